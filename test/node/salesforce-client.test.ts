/**
 * The Salesforce fake must answer the vendor's own client (jsforce) correctly, not just our connector: listing
 * and paging every object, incremental filters, mutations and deletions, OAuth refresh, auth and rate-limit
 * errors. Wire details (envelopes, error bodies, headers) are asserted with plain fetch.
 */
import { createHmac } from "node:crypto";
import jsforce from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startSalesforceFake } from "../fakes/salesforce/server";
import type { LogEntry as LoggedRequest } from "../fakes/salesforce/tenants";
import { controlClient } from "../helpers/fake-control";

type Row = Record<string, unknown>;

const DATA_OBJECTS = ["Account", "Case", "Contact", "Invoice__c", "Lead", "Opportunity", "User"];
const CLIENT = { clientId: "loaders-test-client", clientSecret: "loaders-test-secret" };

let fake: RunningFake;
let base: string;

beforeAll(async () => {
  fake = await startSalesforceFake();
  base = `http://127.0.0.1:${fake.port}`;
});

afterAll(async () => {
  await fake.close();
});

const control = <T = Row>(tenant: string, method: string, action: string, body?: unknown) => controlClient(`${base}/_fake/${tenant}`)<T>(method, action, body);

const seed = (tenant: string, body: Row = {}) => control<{ counts: Record<string, number>; refresh_token: string }>(tenant, "POST", "seed", body);
const dump = async (tenant: string, object: string) => (await control<{ records: Row[] }>(tenant, "GET", `records/${object}`)).records;
const requests = async (tenant: string) => (await control<{ requests: LoggedRequest[] }>(tenant, "GET", "requests")).requests;
const clearRequests = (tenant: string) => control(tenant, "DELETE", "requests");
const faults = (tenant: string, body: Row) => control(tenant, "POST", "faults", body);
const mutate = (tenant: string, body: Row) =>
  control<{ at: string; created: string[]; updated: string[]; deleted: string[] }>(tenant, "POST", "mutate", body);

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${base}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

async function accessToken(tenant: string): Promise<string> {
  const res = await tokenRequest({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}`, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

const tokenConnection = async (tenant: string) =>
  new jsforce.Connection({ instanceUrl: base, accessToken: await accessToken(tenant), version: "62.0" });

const refreshingConnection = (tenant: string) =>
  new jsforce.Connection({ oauth2: { loginUrl: base, ...CLIENT }, instanceUrl: base, refreshToken: `refresh-${tenant}`, version: "62.0" });

const live = (rows: Row[]) => rows.filter((r) => r.IsDeleted !== true);
const idsOf = (rows: Row[]) => rows.map((r) => String(r.Id));
const sorted = (ids: string[]) => [...ids].sort();
const withoutAttributes = ({ attributes: _attributes, ...rest }: Row) => rest;
/** A SOQL datetime literal for a stored `2024-01-01T00:00:00.000+0000` value. */
const soqlDateTime = (value: unknown) => new Date(String(value)).toISOString().replace(".000Z", "Z");
const apiGet = (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/services/data/v62.0${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
const soqlUrl = (soql: string) => `/query?q=${encodeURIComponent(soql)}`;

describe("jsforce against the Salesforce fake", () => {
  it("lists and auto-paginates every object with exact ids, none duplicated or missing", async () => {
    const tenant = "jsf-list";
    const { counts } = await seed(tenant);
    const conn = await tokenConnection(tenant);

    const global = await conn.describeGlobal();
    const replicated = global.sobjects.filter((s) => s.queryable && s.replicateable).map((s) => s.name);
    expect(sorted(replicated)).toEqual(DATA_OBJECTS);
    // A non-queryable object is listed too, as in a real org, so clients must filter.
    expect(global.sobjects.some((s) => !s.queryable)).toBe(true);

    for (const name of replicated) {
      await clearRequests(tenant);
      const described = await conn.sobject(name).describe();
      const fields = described.fields.map((f) => f.name);
      const result = await conn.query<Row>(`SELECT ${fields.join(", ")} FROM ${name} ORDER BY Id ASC`).run({ autoFetch: true, maxFetch: 100000 });
      const expected = live(await dump(tenant, name));

      expect(expected.length).toBe(counts[name]);
      expect(result.totalSize).toBe(expected.length);
      expect(result.records.length).toBe(expected.length);
      expect(new Set(idsOf(result.records)).size).toBe(expected.length);
      expect(idsOf(result.records)).toEqual(sorted(idsOf(expected)));
      expect(result.records.map(withoutAttributes)).toEqual(expected.sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : 1)));
      expect(result.records[0]?.attributes).toEqual({ type: name, url: `/services/data/v62.0/sobjects/${name}/${String(result.records[0]?.Id)}` });

      // One describe, then the first page and one nextRecordsUrl fetch per further 2,000-record batch.
      const log = await requests(tenant);
      const pages = log.filter((r) => r.path.includes("/query"));
      expect(log[0]?.path).toBe(`/services/data/v62.0/sobjects/${name}/describe`);
      expect(pages.length).toBe(Math.max(1, Math.ceil(expected.length / 2000)));
      expect(pages[0]?.path).toBe("/services/data/v62.0/query");
      expect(pages[0]?.query.q).toBe(`SELECT ${fields.join(", ")} FROM ${name} ORDER BY Id ASC`);
      pages.slice(1).forEach((page, i) => expect(page.path).toMatch(new RegExp(`^/services/data/v62\\.0/query/01g[0-9A-Za-z]{15}-${(i + 1) * 2000}$`)));
      for (const r of log) {
        expect(r.api_version).toBe("62.0");
        expect(r.headers.authorization).toMatch(/^Bearer 00D/);
      }
    }
  });

  it("walks nextRecordsUrl with queryMore, honouring Sforce-Query-Options batchSize", async () => {
    const tenant = "jsf-query-more";
    await seed(tenant, { counts: { Account: 1100 } });
    const conn = await tokenConnection(tenant);
    await clearRequests(tenant);
    const headers = { "Sforce-Query-Options": "batchSize=300" };

    let page = await conn.query<Row>("SELECT Id, Name FROM Account ORDER BY Id", { headers });
    const ids = idsOf(page.records);
    const locators = [];
    expect(page.totalSize).toBe(1100);
    expect(page.records.length).toBe(300);
    while (!page.done) {
      // jsforce hands back the locator as an absolute URL on the instance.
      const next = String(page.nextRecordsUrl);
      expect(next.startsWith(base)).toBe(true);
      const path = next.slice(base.length);
      expect(path).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]{15}-\d+$/);
      locators.push(path);
      page = await conn.queryMore<Row>(next);
      ids.push(...idsOf(page.records));
    }
    expect(locators.map((l) => l.split("-").pop())).toEqual(["300", "600", "900"]);
    expect(page.nextRecordsUrl).toBeUndefined();
    expect(ids).toEqual(sorted(idsOf(live(await dump(tenant, "Account")))));

    const log = await requests(tenant);
    expect(log[0]?.headers["sforce-query-options"]).toBe("batchSize=300");
    expect(log.slice(1).map((r) => r.path)).toEqual(locators);
  });

  it("returns exactly the records an inclusive SystemModstamp filter selects, ties included", async () => {
    const tenant = "jsf-incremental";
    await seed(tenant, { counts: { Account: 800 } });
    const conn = await tokenConnection(tenant);
    const all = live(await dump(tenant, "Account"));
    const stamps = all.map((r) => String(r.SystemModstamp));
    // A cursor value that several records share, so `>=` must include every tie.
    const tied = stamps.filter((s, i) => stamps.indexOf(s) !== i).sort()[0];
    expect(tied).toBeDefined();
    const cursor = Date.parse(String(tied));
    const expected = all
      .filter((r) => Date.parse(String(r.SystemModstamp)) >= cursor)
      .sort((a, b) => Date.parse(String(a.SystemModstamp)) - Date.parse(String(b.SystemModstamp)) || (String(a.Id) < String(b.Id) ? -1 : 1));

    const zulu = await conn
      .query<Row>(`SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= ${soqlDateTime(tied)} ORDER BY SystemModstamp ASC, Id ASC`)
      .run({ autoFetch: true, maxFetch: 100000 });
    expect(idsOf(zulu.records)).toEqual(idsOf(expected));
    expect(zulu.records.filter((r) => r.SystemModstamp === tied).length).toBeGreaterThan(1);

    const offset = await conn
      .query<Row>(`SELECT Id FROM Account WHERE SystemModstamp >= ${soqlDateTime(tied).replace("Z", "+00:00")} AND IsDeleted = false ORDER BY SystemModstamp ASC, Id ASC`)
      .run({ autoFetch: true, maxFetch: 100000 });
    expect(idsOf(offset.records)).toEqual(idsOf(expected));

    const exclusive = await conn.query<Row>(`SELECT Id FROM Account WHERE SystemModstamp > ${soqlDateTime(tied)}`).run({ autoFetch: true, maxFetch: 100000 });
    expect(sorted(idsOf(exclusive.records))).toEqual(sorted(idsOf(expected.filter((r) => r.SystemModstamp !== tied))));
  });

  it("makes a mutation visible to an incremental query", async () => {
    const tenant = "jsf-mutate";
    await seed(tenant, { counts: { Contact: 300 } });
    const conn = await tokenConnection(tenant);
    const before = await dump(tenant, "Contact");
    const watermark = before.map((r) => Date.parse(String(r.SystemModstamp))).reduce((a, b) => Math.max(a, b));

    const change = await mutate(tenant, { object: "Contact", update: 7, create: 3 });
    expect(change.updated.length).toBe(7);
    expect(change.created.length).toBe(3);

    const since = await conn.query<Row>(
      `SELECT Id, Title, SystemModstamp, LastModifiedDate FROM Contact WHERE SystemModstamp > ${soqlDateTime(new Date(watermark).toISOString())} ORDER BY Id`,
    );
    expect(sorted(idsOf(since.records))).toEqual(sorted([...change.updated, ...change.created]));
    for (const record of since.records) {
      expect(Date.parse(String(record.SystemModstamp))).toBe(Date.parse(change.at));
      expect(record.LastModifiedDate).toBe(record.SystemModstamp);
    }
    for (const id of change.updated) {
      const old = before.find((r) => r.Id === id);
      const now = since.records.find((r) => r.Id === id);
      expect(now?.Title).not.toEqual(old?.Title);
    }
    const total = await conn.query("SELECT COUNT() FROM Contact");
    expect(total.totalSize).toBe(303);
    const updated = await conn.sobject("Contact").updated(new Date(Date.parse(change.at) - 1000), new Date(Date.parse(change.at) + 60_000));
    expect(sorted(updated.ids)).toEqual(sorted([...change.updated, ...change.created]));
  });

  it("reports deletions as the API does: gone from query, IsDeleted in queryAll, listed by getDeleted", async () => {
    const tenant = "jsf-delete";
    await seed(tenant, { counts: { Account: 60 } });
    const conn = await tokenConnection(tenant);
    const windowStart = new Date(Date.now() - 60_000);
    const change = await mutate(tenant, { object: "Account", delete: 4 });
    expect(change.deleted.length).toBe(4);

    const visible = await conn.query<Row>("SELECT Id FROM Account");
    expect(visible.totalSize).toBe(56);
    expect(idsOf(visible.records).filter((id) => change.deleted.includes(id))).toEqual([]);

    const everything = await conn.query<Row>("SELECT Id, IsDeleted, SystemModstamp FROM Account", { scanAll: true });
    expect(everything.totalSize).toBe(60);
    const flagged = everything.records.filter((r) => r.IsDeleted === true);
    expect(sorted(idsOf(flagged))).toEqual(sorted(change.deleted));
    for (const r of flagged) expect(Date.parse(String(r.SystemModstamp))).toBe(Date.parse(change.at));

    const onlyDeleted = await conn.query<Row>("SELECT Id FROM Account WHERE IsDeleted = true", { scanAll: true });
    expect(sorted(idsOf(onlyDeleted.records))).toEqual(sorted(change.deleted));
    expect((await conn.query("SELECT Id FROM Account WHERE IsDeleted = true")).totalSize).toBe(0);

    const deleted = await conn.sobject("Account").deleted(windowStart, new Date(Date.now() + 60_000));
    expect(sorted(deleted.deletedRecords.map((d) => d.id))).toEqual(sorted(change.deleted));
    for (const d of deleted.deletedRecords) expect(Date.parse(d.deletedDate)).toBe(Date.parse(change.at));
    expect(Date.parse(deleted.earliestDateAvailable)).toBeLessThan(windowStart.getTime());
    expect(Date.parse(deleted.latestDateCovered)).toBeGreaterThanOrEqual(Date.parse(change.at));

    const log = await requests(tenant);
    const getDeleted = log.find((r) => r.path.endsWith("/deleted"));
    expect(getDeleted?.path).toBe("/services/data/v62.0/sobjects/Account/deleted");
    expect(Object.keys(getDeleted?.query ?? {})).toEqual(["start", "end"]);
    await expect(conn.sobject("Account").retrieve(change.deleted[0] ?? "")).rejects.toMatchObject({ errorCode: "NOT_FOUND" });
  });

  it("nests parent relationship fields, null when the lookup is empty", async () => {
    const tenant = "jsf-relationships";
    await seed(tenant, { counts: { Contact: 400 } });
    const conn = await tokenConnection(tenant);
    const accounts = new Map((await dump(tenant, "Account")).map((a) => [a.Id, a]));
    const users = new Map((await dump(tenant, "User")).map((u) => [u.Id, u]));
    const result = await conn
      .query<Row>("SELECT Id, AccountId, Account.Name, Account.Owner.Name, Owner.Email FROM Contact")
      .run({ autoFetch: true, maxFetch: 100000 });
    expect(result.records.length).toBe(400);
    let orphans = 0;
    for (const record of result.records) {
      const owner = record.Owner as Row;
      expect(owner.attributes).toMatchObject({ type: "User" });
      if (record.AccountId === null) {
        orphans++;
        expect(record.Account).toBeNull();
        continue;
      }
      const account = accounts.get(record.AccountId);
      const nested = record.Account as Row;
      expect(nested.attributes).toEqual({ type: "Account", url: `/services/data/v62.0/sobjects/Account/${String(record.AccountId)}` });
      expect(nested.Name).toBe(account?.Name);
      expect((nested.Owner as Row).Name).toBe(users.get(account?.OwnerId)?.Name);
    }
    expect(orphans).toBeGreaterThan(0);
  });

  it("describes objects with typed fields, references and child relationships", async () => {
    const conn = await tokenConnection("jsf-describe");
    const account = await conn.sobject("Account").describe();
    const type = (name: string) => account.fields.find((f) => f.name === name);
    expect(type("Id")).toMatchObject({ type: "id", nillable: false, length: 18 });
    expect(type("Name")).toMatchObject({ type: "string", length: 255, nameField: true });
    expect(type("AnnualRevenue")).toMatchObject({ type: "currency" });
    expect(type("NumberOfEmployees")).toMatchObject({ type: "int" });
    expect(type("SystemModstamp")).toMatchObject({ type: "datetime", nillable: false });
    expect(type("LastActivityDate")).toMatchObject({ type: "date" });
    expect(type("Industry")?.picklistValues?.length).toBeGreaterThan(10);
    expect(type("Description")).toMatchObject({ type: "textarea", filterable: false });
    expect(type("BillingAddress")).toMatchObject({ type: "address" });
    expect(type("OwnerId")).toMatchObject({ type: "reference", referenceTo: ["User"], relationshipName: "Owner" });
    expect(account.childRelationships).toContainEqual(expect.objectContaining({ childSObject: "Contact", field: "AccountId", relationshipName: "Contacts" }));

    const invoice = await conn.sobject("Invoice__c").describe();
    expect(invoice.custom).toBe(true);
    expect(invoice.fields.find((f) => f.name === "Account__c")).toMatchObject({ type: "reference", referenceTo: ["Account"], relationshipName: "Account__r", custom: true });
    expect(invoice.fields.find((f) => f.name === "Billing_Email__c")).toMatchObject({ type: "email" });
  });

  it("refreshes through OAuth2 on a missing or expired session and retries the call", async () => {
    const tenant = "jsf-oauth";
    await seed(tenant, { counts: { Account: 30 }, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    const conn = refreshingConnection(tenant);
    const issued: string[] = [];
    conn.on("refresh", (token: string) => issued.push(token));

    expect((await conn.query("SELECT Id FROM Account")).totalSize).toBe(30);
    expect(issued.length).toBe(1);
    let log = await requests(tenant);
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /services/oauth2/token 200",
      "GET /services/data/v62.0/query 200",
    ]);
    const form = new URLSearchParams(log[0]?.body ?? "");
    expect(Object.fromEntries(form)).toEqual({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}`, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    expect(log[1]?.headers.authorization).toBe(`Bearer ${issued[0]}`);

    await clearRequests(tenant);
    await faults(tenant, { expire_tokens: true });
    expect((await conn.query("SELECT Id FROM Account")).totalSize).toBe(30);
    expect(issued.length).toBe(2);
    log = await requests(tenant);
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /services/data/v62.0/query 401",
      "POST /services/oauth2/token 200",
      "GET /services/data/v62.0/query 200",
    ]);
    expect(log[0]?.headers.authorization).toBe(`Bearer ${issued[0]}`);
    expect(log[2]?.headers.authorization).toBe(`Bearer ${issued[1]}`);
  });

  it("keeps paging through a cursor while sessions expire and jsforce refreshes mid-pagination", async () => {
    const tenant = "jsf-ttl";
    const { counts } = await seed(tenant, { counts: { Contact: 2400 } });
    const conn = refreshingConnection(tenant);
    await faults(tenant, { token_ttl_requests: 4 });
    const result = await conn
      .query<Row>("SELECT Id FROM Contact ORDER BY Id", { headers: { "Sforce-Query-Options": "batchSize=200" } })
      .run({ autoFetch: true, maxFetch: 100000 });
    expect(result.records.length).toBe(counts.Contact);
    expect(idsOf(result.records)).toEqual(sorted(idsOf(live(await dump(tenant, "Contact")))));

    // 12 pages, 4 per session: a refresh before the first page, then after every fourth page the next call
    // gets 401, jsforce refreshes and repeats that same page on the same cursor.
    const log = await requests(tenant);
    const session = ["POST token 200", "GET page 200", "GET page 200", "GET page 200", "GET page 200"];
    expect(log.map((r) => `${r.method} ${r.path.endsWith("/token") ? "token" : "page"} ${r.status}`)).toEqual([
      ...session,
      "GET page 401",
      ...session,
      "GET page 401",
      ...session,
    ]);
    expect(log[5]?.path).toBe(log[7]?.path);
    const sessions = new Set(log.filter((r) => r.status === 200 && r.method === "GET").map((r) => r.headers.authorization));
    expect(sessions.size).toBe(3);
    const identity = await conn.identity();
    expect(identity).toMatchObject({ organization_id: expect.stringMatching(/^00D/), user_id: expect.stringMatching(/^005/), display_name: "Integration User" });
  });

  it("surfaces auth failures as jsforce's own errors", async () => {
    const tenant = "jsf-auth-fail";
    await seed(tenant, { counts: { Account: 5 } });
    const bogus = new jsforce.Connection({ instanceUrl: base, accessToken: "00DFk0000000001AAA!not-a-token", version: "62.0" });
    await expect(bogus.query("SELECT Id FROM Account")).rejects.toMatchObject({
      name: "INVALID_SESSION_ID",
      errorCode: "INVALID_SESSION_ID",
      message: "Session expired or invalid",
    });

    const expiring = await tokenConnection(tenant);
    await faults(tenant, { expire_tokens: true });
    await expect(expiring.query("SELECT Id FROM Account")).rejects.toMatchObject({ errorCode: "INVALID_SESSION_ID" });

    await faults(tenant, { revoke_refresh_token: true });
    const refreshing = refreshingConnection(tenant);
    await expect(refreshing.query("SELECT Id FROM Account")).rejects.toThrow("Unable to refresh session due to: expired access/refresh token");
    await expect(refreshing.oauth2.refreshToken(`refresh-${tenant}`)).rejects.toMatchObject({ name: "invalid_grant", message: "expired access/refresh token" });
  });

  it("does not retry the daily-limit 403 but retries 503 and 500 until they pass", async () => {
    const tenant = "jsf-limits";
    await seed(tenant, { counts: { Account: 10 } });
    const conn = await tokenConnection(tenant);
    await faults(tenant, { daily_limit: 50, api_usage: 49 });
    await clearRequests(tenant);
    expect((await conn.query("SELECT Id FROM Account")).totalSize).toBe(10);
    await expect(conn.query("SELECT Id FROM Account")).rejects.toMatchObject({ errorCode: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded." });
    expect((await requests(tenant)).map((r) => r.status)).toEqual([200, 403]);

    await faults(tenant, { daily_limit: 100000, fail_first: 2, fail_status: 503 });
    await clearRequests(tenant);
    expect((await conn.query("SELECT Id FROM Account")).totalSize).toBe(10);
    let log = await requests(tenant);
    expect(log.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(log.map((r) => r.query.q)).size).toBe(1);

    await faults(tenant, { fail_first: 1, fail_status: 500 });
    await clearRequests(tenant);
    expect((await conn.query("SELECT Id FROM Account")).totalSize).toBe(10);
    log = await requests(tenant);
    expect(log.map((r) => r.status)).toEqual([500, 200]);
  });
});

describe("Salesforce fake wire format (plain fetch)", () => {
  it("issues tokens like the OAuth endpoint: no expires_in, instance_url from Host, verifiable signature", async () => {
    const tenant = "wire-token";
    await seed(tenant, { client_id: "cid", client_secret: "csecret" });
    const res = await tokenRequest({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}` }, { authorization: `Basic ${Buffer.from("cid:csecret").toString("base64")}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"]);
    expect(body.instance_url).toBe(base);
    expect(body.token_type).toBe("Bearer");
    expect(body.issued_at).toMatch(/^\d{13}$/);
    expect(body.id).toMatch(new RegExp(`^${base}/id/00D[0-9A-Za-z]{15}/005[0-9A-Za-z]{15}$`));
    expect(body.signature).toBe(createHmac("sha256", "csecret").update(`${body.id}${body.issued_at}`).digest("base64"));

    const expectOAuthError = async (response: Response, status: number, error: string, description: string) => {
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ error, error_description: description });
    };
    await expectOAuthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}`, client_id: "cid", client_secret: "wrong" }), 400, "invalid_client", "invalid client credentials");
    await expectOAuthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: "garbage", client_id: "cid", client_secret: "csecret" }), 400, "invalid_grant", "expired access/refresh token");
    await expectOAuthError(await tokenRequest({ grant_type: "password", client_id: "cid" }), 400, "unsupported_grant_type", "grant type not supported");
    await expectOAuthError(await fetch(`${base}/services/oauth2/token`), 400, "invalid_request", "must use HTTP POST");

    const revoked = await fetch(`${base}/services/oauth2/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: body.access_token ?? "" }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect((await apiGet("/limits", body.access_token ?? "")).status).toBe(401);

    await faults(tenant, { rotate_refresh_token: true });
    const rotated = (await (await tokenRequest({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}`, client_id: "cid", client_secret: "csecret" })).json()) as Record<string, string>;
    expect(rotated.refresh_token).toBe(`refresh-${tenant}~1`);
    await expectOAuthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: `refresh-${tenant}`, client_id: "cid", client_secret: "csecret" }), 400, "invalid_grant", "expired access/refresh token");
  });

  it("answers with the API's error bodies for auth, SOQL, locator and version errors", async () => {
    const tenant = "wire-errors";
    await seed(tenant, { counts: { Account: 20 } });
    const token = await accessToken(tenant);
    const json = async (res: Response) => ({ status: res.status, body: await res.json() });

    expect(await json(await fetch(`${base}/services/data/v62.0/query?q=SELECT+Id+FROM+Account`))).toEqual({
      status: 401,
      body: [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }],
    });
    expect(await json(await fetch(`${base}/services/data/v62.0/limits`, { headers: { authorization: "Basic abc" } }))).toEqual({
      status: 401,
      body: [{ message: "INVALID_HEADER_TYPE", errorCode: "INVALID_AUTH_HEADER" }],
    });

    const soqlError = async (soql: string) => {
      const { status, body } = await json(await apiGet(soqlUrl(soql), token));
      expect(status).toBe(400);
      return (body as Array<{ errorCode: string; message: string }>)[0];
    };
    expect(await soqlError("SELECT Id, Nope__c FROM Account")).toEqual({
      errorCode: "INVALID_FIELD",
      message:
        "\nSELECT Id, Nope__c FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Nope__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    });
    expect(await soqlError("SELECT Id FROM Invoice")).toMatchObject({ errorCode: "INVALID_TYPE", message: expect.stringContaining("sObject type 'Invoice' is not supported.") });
    expect(await soqlError("SELECT Id FROM Account WHERE SystemModstamp >= '2024-01-01T00:00:00Z'")).toMatchObject({
      errorCode: "INVALID_FIELD",
      message: expect.stringContaining("value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes"),
    });
    expect(await soqlError("SELECT Id FROM Account WHERE Name = 'a' AND Id != null OR Name = 'b'")).toMatchObject({ errorCode: "MALFORMED_QUERY" });
    expect(await soqlError("SELECT Id FROM Account ORDER BY Description")).toMatchObject({ errorCode: "INVALID_FIELD", message: expect.stringContaining("can not be sorted") });
    expect(await soqlError("SELECT Id, id FROM Account")).toMatchObject({ errorCode: "MALFORMED_QUERY", message: expect.stringContaining("duplicate field selected: id") });
    expect(await soqlError("SELECT FIELDS(ALL) FROM Account")).toMatchObject({ errorCode: "MALFORMED_QUERY" });
    expect(await soqlError("SELECT Id FROM Account WHERE Owner.Nme = 'x'")).toMatchObject({ errorCode: "INVALID_FIELD" });
    expect(await soqlError("SELECT Id FROM Account WHERE Bogus.Name = 'x'")).toMatchObject({ errorCode: "INVALID_FIELD", message: expect.stringContaining("Didn't understand relationship 'Bogus'") });
    expect(await soqlError("SELECT Id FROM AggregateResult")).toMatchObject({ errorCode: "INVALID_TYPE_FOR_OPERATION" });

    // An unencoded `+` in the offset arrives as a space, and the literal no longer parses, as on the real API.
    const plus = await json(await apiGet("/query?q=SELECT+Id+FROM+Account+WHERE+SystemModstamp+>=+2024-01-01T00:00:00+00:00", token));
    expect(plus.status).toBe(400);
    expect((plus.body as Array<{ errorCode: string }>)[0]?.errorCode).toBe("MALFORMED_QUERY");

    expect(await json(await apiGet("/query/01gFk0000000099AAA-2000", token))).toEqual({
      status: 400,
      body: [{ message: "invalid query locator", errorCode: "INVALID_QUERY_LOCATOR" }],
    });
    expect(await json(await fetch(`${base}/services/data/v99.0/limits`, { headers: { authorization: `Bearer ${token}` } }))).toEqual({
      status: 404,
      body: [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }],
    });
  });

  it("pages with the documented envelope and batch-size bounds, and counts usage in Sforce-Limit-Info", async () => {
    const tenant = "wire-envelope";
    await seed(tenant, { counts: { Account: 450 } });
    const token = await accessToken(tenant);

    const versions = await fetch(`${base}/services/data/`);
    expect(versions.headers.get("sforce-limit-info")).toBeNull();
    expect(await versions.json()).toContainEqual({ label: "Winter '25", url: "/services/data/v62.0", version: "62.0" });

    const first = await apiGet(soqlUrl("SELECT Id, Name, CreatedDate, AnnualRevenue FROM Account ORDER BY Id"), token, { "Sforce-Query-Options": "batchSize=100" });
    expect(first.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(first.headers.get("sforce-limit-info")).toBe("api-usage=1/100000");
    const page1 = (await first.json()) as { totalSize: number; done: boolean; nextRecordsUrl: string; records: Row[] };
    expect(Object.keys(page1)).toEqual(["totalSize", "done", "nextRecordsUrl", "records"]);
    // batchSize below the documented minimum is raised to 200.
    expect(page1).toMatchObject({ totalSize: 450, done: false });
    expect(page1.records.length).toBe(200);
    expect(page1.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]{15}-200$/);
    const record = page1.records[0] ?? {};
    expect(Object.keys(record)).toEqual(["attributes", "Id", "Name", "CreatedDate", "AnnualRevenue"]);
    expect(record.CreatedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);

    const second = await fetch(`${base}${page1.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } });
    expect(second.headers.get("sforce-limit-info")).toBe("api-usage=2/100000");
    const page2 = (await second.json()) as { nextRecordsUrl: string; records: Row[] };
    const third = (await (await fetch(`${base}${page2.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Row;
    expect(Object.keys(third)).toEqual(["totalSize", "done", "records"]);
    expect(third).toMatchObject({ totalSize: 450, done: true });
    expect((third.records as Row[]).length).toBe(50);

    const big = (await (await apiGet(soqlUrl("SELECT Id FROM Account"), token, { "Sforce-Query-Options": "batchSize=5000" })).json()) as Row;
    expect(big).toMatchObject({ totalSize: 450, done: true });

    const all = (await (await fetch(`${base}/services/data/v62.0/queryAll?q=${encodeURIComponent("SELECT Id FROM Account")}`, { headers: { authorization: `Bearer ${token}`, "Sforce-Query-Options": "batchSize=200" } })).json()) as Row;
    expect(String(all.nextRecordsUrl)).toMatch(/^\/services\/data\/v62\.0\/query\/01g/);

    const count = (await (await apiGet(soqlUrl("SELECT COUNT() FROM Account WHERE AnnualRevenue != null"), token)).json()) as Row;
    const expectedWithRevenue = (await dump(tenant, "Account")).filter((a) => a.AnnualRevenue !== null).length;
    expect(count).toEqual({ totalSize: expectedWithRevenue, done: true, records: [] });

    const limits = (await (await apiGet("/limits", token)).json()) as { DailyApiRequests: { Max: number; Remaining: number } };
    expect(limits.DailyApiRequests).toEqual({ Max: 100000, Remaining: 100000 - 7 });

    const id = String(record.Id);
    const single = (await (await apiGet(`/sobjects/Account/${id.slice(0, 15)}?fields=Name,Industry`, token)).json()) as Row;
    expect(single).toEqual({ attributes: { type: "Account", url: `/services/data/v62.0/sobjects/Account/${id}` }, Name: record.Name, Industry: expect.anything() as unknown });
  });

  it("sends the rate-limit and outage bodies exactly, and rolls probabilistic faults reproducibly from the seed", async () => {
    const tenant = "wire-faults";
    await seed(tenant, { counts: { Account: 5 } });
    const token = await accessToken(tenant);
    await faults(tenant, { daily_limit: 3, api_usage: 3 });
    const limited = await apiGet("/limits", token);
    expect(limited.status).toBe(403);
    expect(limited.headers.get("sforce-limit-info")).toBe("api-usage=3/3");
    expect(await limited.json()).toEqual([{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }]);

    await faults(tenant, { daily_limit: 100000, fail_first: 1, fail_status: 503 });
    const outage = await apiGet("/limits", token);
    expect(outage.status).toBe(503);
    expect(await outage.json()).toEqual([{ message: "Server is temporarily unavailable. Please try again later.", errorCode: "SERVER_UNAVAILABLE" }]);

    const roll = async () => {
      await faults(tenant, { rates: { unavailable: 0.5 }, seed: 42 });
      const statuses = [];
      for (let i = 0; i < 24; i++) statuses.push((await apiGet("/limits", token)).status);
      await faults(tenant, { rates: { unavailable: 0 } });
      return statuses;
    };
    const firstRun = await roll();
    expect(firstRun).toContain(503);
    expect(firstRun).toContain(200);
    expect(await roll()).toEqual(firstRun);
  });

  it("keeps tenants apart and generates the same data for the same tenant", async () => {
    await seed("wire-tenant-a", { counts: { Account: 40 } });
    const a1 = await dump("wire-tenant-a", "Account");
    await seed("wire-tenant-a", { counts: { Account: 40 } });
    expect(await dump("wire-tenant-a", "Account")).toEqual(a1);
    await seed("wire-tenant-b", { counts: { Account: 40 } });
    const b = await dump("wire-tenant-b", "Account");
    expect(b.map((r) => r.Name)).not.toEqual(a1.map((r) => r.Name));

    const tokenA = await accessToken("wire-tenant-a");
    const tokenB = await accessToken("wire-tenant-b");
    await clearRequests("wire-tenant-a");
    await clearRequests("wire-tenant-b");
    await faults("wire-tenant-a", { fail_first: 1 });
    expect((await apiGet("/limits", tokenB)).status).toBe(200);
    expect((await apiGet("/limits", tokenA)).status).toBe(503);
    await mutate("wire-tenant-a", { object: "Account", delete: 2 });
    const countB = (await (await apiGet(soqlUrl("SELECT COUNT() FROM Account"), tokenB)).json()) as Row;
    expect(countB.totalSize).toBe(40);
    expect((await requests("wire-tenant-a")).map((r) => r.status)).toEqual([503]);
    expect((await requests("wire-tenant-b")).map((r) => r.status)).toEqual([200, 200]);
  });
});
