/**
 * `read` against the Salesforce fake, asserting the records AND the exact requests: sign-in, describe, the SOQL
 * query, nextRecordsUrl pages, incremental bounds, deletions through queryAll, resuming from a checkpoint (also
 * after the query locator expired) and token refresh.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject, Page } from "../../../connectors/kit/contract";
import { salesforceConnector } from "../../../connectors/salesforce";
import { toRecord } from "../../../connectors/salesforce/read";
import type { SalesforceConfig } from "../../../connectors/salesforce/spec";
import { dateTimeLiteral, soqlQuery } from "../../../connectors/salesforce/soql";
import {
  apiRequests,
  asDelivered,
  CLIENT_ID,
  CLIENT_SECRET,
  context,
  expectedRows,
  fakeBase,
  idsOf,
  org,
  readAll,
  readRequest,
  records,
  sfConfig,
  SMALL,
  tokenRequests,
} from "./harness";

const DATA = "/services/data/v66.0";
const ADDRESS = /^(Billing|Mailing)Address$/;

/** The first page of a full read, the read then abandoned (as a chunk that ends or dies after one page). */
async function firstPage(config: SalesforceConfig, object: string): Promise<Page> {
  const reader = salesforceConnector.read(context().ctx, config, readRequest(object, "full_refresh"))[Symbol.asyncIterator]();
  const page = (await reader.next()).value as Page;
  await reader.return?.(undefined);
  return page;
}

/** The SOQL the connector must send: every non-compound field of the object, in describe order. */
function selectOf(object: string, sample: Record<string, unknown>): string {
  return `SELECT ${Object.keys(sample).filter((f) => !ADDRESS.test(f)).join(", ")} FROM ${object}`;
}

describe("salesforce read: requests and records", () => {
  it("signs in, describes, queries with an explicit field list and follows nextRecordsUrl to the end", async () => {
    const o = org("first");
    await o.seed({ ...SMALL, Account: 4500 });
    const { ctx } = context();
    const pages = await readAll(ctx, sfConfig(o), readRequest("Account", "full_refresh"));

    const all = await o.records("Account");
    expect(pages.map((p) => p.records.length)).toEqual([2000, 2000, 500]);
    expect(records(pages)).toEqual(expectedRows(all).map(asDelivered));
    expect(records(pages).some((r) => "attributes" in r)).toBe(false);

    const log = await o.requests();
    const [token] = tokenRequests(log);
    expect(tokenRequests(log)).toHaveLength(1);
    expect(token).toMatchObject({ method: "POST", status: 200, headers: expect.objectContaining({ "content-type": "application/x-www-form-urlencoded" }) });
    expect(Object.fromEntries(new URLSearchParams(token!.body ?? ""))).toEqual({
      grant_type: "refresh_token",
      refresh_token: o.refreshToken,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });

    const api = apiRequests(log);
    expect(api.map((r) => [r.method, r.path.replace(/01g\w+/, "<locator>"), r.status])).toEqual([
      ["GET", `${DATA}/sobjects/Account/describe/`, 200],
      ["GET", `${DATA}/query`, 200],
      ["GET", `${DATA}/query/<locator>-2000`, 200],
      ["GET", `${DATA}/query/<locator>-4000`, 200],
    ]);
    expect(api.every((r) => r.api_version === "66.0" && /^Bearer \S+!/.test(r.headers.authorization ?? ""))).toBe(true);
    expect(api[1]!.query).toEqual({ q: `${selectOf("Account", all[0]!)} ORDER BY SystemModstamp ASC, Id ASC` });
    // The query options go with every page: the server applies the batch size per request.
    expect(api.slice(1).map((r) => r.headers["sforce-query-options"])).toEqual(["batchSize=2000", "batchSize=2000", "batchSize=2000"]);
    expect(api[2]!.query).toEqual({});

    const last = records(pages).at(-1)!;
    expect(pages.at(-1)!.checkpoint).toEqual({ next: null, done: true, cursor: last.SystemModstamp, after: { at: last.SystemModstamp, id: last.Id } });
    expect(JSON.stringify(pages[0]!.checkpoint).length).toBeLessThan(400);
  });

  it("resumes from a checkpoint exactly after its page, without a new query", async () => {
    const o = org("resume");
    await o.seed({ ...SMALL, Account: 4500 });
    const config = sfConfig(o);
    const page1 = await firstPage(config, "Account");
    await o.clearRequests();

    const rest = await readAll(context().ctx, config, readRequest("Account", "full_refresh", null, page1.checkpoint));
    expect([...idsOf(page1.records), ...idsOf(records(rest))]).toEqual(idsOf(expectedRows(await o.records("Account"))));
    const api = apiRequests(await o.requests());
    expect(api.map((r) => r.path.replace(/01g\w+/, "<locator>"))).toEqual([
      `${DATA}/sobjects/Account/describe/`,
      `${DATA}/query/<locator>-2000`,
      `${DATA}/query/<locator>-4000`,
    ]);

    // A checkpoint of a finished stream reads nothing (a redelivered last chunk must not start over).
    await o.clearRequests();
    expect(await readAll(context().ctx, config, readRequest("Account", "full_refresh", null, rest.at(-1)!.checkpoint))).toEqual([]);
    expect(apiRequests(await o.requests())).toEqual([]);
  });

  it("when the query locator has expired, queries again right after the last record delivered", async () => {
    const o = org("locator");
    await o.seed({ ...SMALL, Account: 4500 });
    const config = sfConfig(o);
    const page1 = await firstPage(config, "Account");
    // Re-seeding keeps the (deterministic) data and forgets every query locator, as 15 idle minutes do.
    await o.seed({ ...SMALL, Account: 4500 });

    const rest = await readAll(context().ctx, config, readRequest("Account", "full_refresh", null, page1.checkpoint));
    const expected = idsOf(expectedRows(await o.records("Account")));
    expect([...idsOf(page1.records), ...idsOf(records(rest))]).toEqual(expected);

    const after = page1.checkpoint.after as { at: string; id: string };
    expect(after).toEqual({ at: page1.records.at(-1)!.SystemModstamp, id: page1.records.at(-1)!.Id });
    const at = `${new Date(Date.parse(after.at.replace("+0000", "Z"))).toISOString().slice(0, 19)}Z`;
    const api = apiRequests(await o.requests());
    expect(api.map((r) => [r.path.replace(/01g\w+/, "<locator>"), r.status])).toEqual([
      [`${DATA}/sobjects/Account/describe/`, 200],
      [`${DATA}/query/<locator>-2000`, 400],
      [`${DATA}/query`, 200],
      [`${DATA}/query/<locator>-2000`, 200],
    ]);
    expect(api[2]!.query.q).toMatch(
      new RegExp(`FROM Account WHERE \\(SystemModstamp > ${at} OR \\(SystemModstamp = ${at} AND Id > '${after.id}'\\)\\) ORDER BY SystemModstamp ASC, Id ASC$`),
    );
    expect(rest.at(-1)!.checkpoint).toMatchObject({ done: true, cursor: records(rest).at(-1)!.SystemModstamp });
  });

  it("incremental: queryAll from the committed cursor (inclusive), deletions marked, state = greatest cursor", async () => {
    const o = org("incr");
    await o.seed();
    const config = sfConfig(o);
    const firstRun = await readAll(context().ctx, config, readRequest("Contact", "incremental"));
    const before = await o.records("Contact");
    expect(records(firstRun)).toEqual(expectedRows(before, { deleted: true }).map(asDelivered));
    const state = firstRun.at(-1)!.state as JsonObject;
    const greatest = expectedRows(before).at(-1)!.SystemModstamp;
    expect(state).toEqual({ cursor: greatest });

    const changed = await o.mutate({ object: "Contact", update: 3, delete: 2, create: 1 });
    await o.clearRequests();
    const secondRun = await readAll(context().ctx, config, readRequest("Contact", "incremental", state));
    const after = await o.records("Contact");
    const expected = expectedRows(after, { deleted: true, since: String(greatest) });
    expect(records(secondRun).map((r) => ({ ...r, _loader_deleted_at: undefined }))).toEqual(expected.map((r) => ({ ...asDelivered(r), _loader_deleted_at: undefined })));
    for (const id of [...changed.updated, ...changed.deleted, ...changed.created]) expect(idsOf(records(secondRun))).toContain(id);

    const deleted = records(secondRun).filter((r) => r.IsDeleted === true);
    expect(idsOf(deleted).sort()).toEqual([...changed.deleted].sort());
    for (const row of deleted) expect(row._loader_deleted_at).toBe(new Date(Date.parse(String(row.SystemModstamp).replace("+0000", "Z"))).toISOString());
    expect(records(secondRun).filter((r) => r.IsDeleted !== true).every((r) => !("_loader_deleted_at" in r))).toBe(true);
    expect(secondRun.at(-1)!.state).toEqual({ cursor: records(secondRun).at(-1)!.SystemModstamp });

    const [query] = apiRequests(await o.requests()).filter((r) => r.path.startsWith(`${DATA}/query`));
    const bound = `${new Date(Date.parse(String(greatest).replace("+0000", "Z"))).toISOString().slice(0, 19)}Z`;
    expect(query!.path).toBe(`${DATA}/queryAll`);
    expect(query!.query.q).toBe(`${selectOf("Contact", after[0]!)} WHERE SystemModstamp >= ${bound} ORDER BY SystemModstamp ASC, Id ASC`);
  });

  it("an incremental run of an object without deletions (User) uses /query; start_date bounds a first run", async () => {
    const o = org("users");
    await o.seed();
    const config = sfConfig(o, { start_date: "2025-01-01" });
    const pages = await readAll(context().ctx, config, readRequest("User", "incremental"));
    expect(records(pages)).toEqual(expectedRows(await o.records("User"), { since: "2025-01-01T00:00:00Z" }).map(asDelivered));
    const [query] = apiRequests(await o.requests()).filter((r) => r.path.startsWith(`${DATA}/query`));
    expect(query!.path).toBe(`${DATA}/query`);
    expect(query!.query.q).toMatch(/ FROM User WHERE SystemModstamp >= 2025-01-01T00:00:00Z ORDER BY SystemModstamp ASC, Id ASC$/);
  });

  it("an expired session is refreshed once and the same page is asked again with the new token", async () => {
    const o = org("refresh");
    await o.seed({ ...SMALL, Account: 4500 });
    const iterator = salesforceConnector.read(context().ctx, sfConfig(o), readRequest("Account", "full_refresh"))[Symbol.asyncIterator]();
    const pages = [(await iterator.next()).value!];
    await o.faults({ expire_tokens: true });
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) pages.push(next.value);
    expect(idsOf(records(pages))).toEqual(idsOf(expectedRows(await o.records("Account"))));

    const log = (await o.requests()).filter((r) => r.path !== `${DATA}/sobjects/Account/describe/`);
    expect(log.map((r) => [r.method, r.path.replace(/01g\w+/, "<locator>"), r.status])).toEqual([
      ["POST", "/services/oauth2/token", 200],
      ["GET", `${DATA}/query`, 200],
      ["GET", `${DATA}/query/<locator>-2000`, 401],
      ["POST", "/services/oauth2/token", 200],
      ["GET", `${DATA}/query/<locator>-2000`, 200],
      ["GET", `${DATA}/query/<locator>-4000`, 200],
    ]);
    expect(new URLSearchParams(log[3]!.body ?? "").get("refresh_token")).toBe(o.refreshToken);
    expect(log[4]!.headers.authorization).not.toBe(log[2]!.headers.authorization);
    expect(log[5]!.headers.authorization).toBe(log[4]!.headers.authorization);
  });

  it("uses the token's instance_url as the API base and signs a sandbox in at test.salesforce.com", async () => {
    const o = org("sandbox");
    await o.seed();
    const seen: string[] = [];
    // No HOST_OVERRIDES: this fetch records the URL the connector addressed, then hands it to the fake.
    const { ctx } = context({
      hostOverrides: {},
      fetch: async (input, init) => {
        const url = new URL(String(input));
        seen.push(`${url.protocol}//${url.host}${url.pathname}`);
        return fetch(`${fakeBase()}${url.pathname}${url.search}`, init);
      },
    });
    await readAll(ctx, sfConfig(o, { is_sandbox: true }), readRequest("Case", "full_refresh"));
    // The fake names its instance after the Host it was reached on: here its loopback address, not the config's host.
    expect(seen).toEqual([
      "https://test.salesforce.com/services/oauth2/token",
      `${fakeBase()}${DATA}/sobjects/Case/describe/`,
      `${fakeBase()}${DATA}/query`,
    ]);
  });

  it("sends the configured api_version in every path", async () => {
    const o = org("version");
    await o.seed();
    await readAll(context().ctx, sfConfig(o, { api_version: "v62.0" }), readRequest("Lead", "full_refresh"));
    const api = apiRequests(await o.requests());
    expect(api.map((r) => r.path)).toEqual(["/services/data/v62.0/sobjects/Lead/describe/", "/services/data/v62.0/query"]);
  });

  it("stops between pages once the engine aborts", async () => {
    const o = org("abort");
    await o.seed({ ...SMALL, Account: 4500 });
    const { ctx, controller } = context();
    const seen: number[] = [];
    for await (const page of salesforceConnector.read(ctx, sfConfig(o), readRequest("Account", "full_refresh"))) {
      seen.push(page.records.length);
      controller.abort();
    }
    expect(seen).toEqual([2000]);
    expect(apiRequests(await o.requests()).filter((r) => r.path.includes("/query"))).toHaveLength(1);
  });
});

describe("salesforce records and SOQL, piece by piece", () => {
  it("drops `attributes` at every level, keeps parent records nested, and marks recycle-bin rows", () => {
    const raw = {
      attributes: { type: "Invoice__c", url: "/services/data/v66.0/sobjects/Invoice__c/a0B" },
      Id: "a0B000000000001AAA",
      IsDeleted: true,
      SystemModstamp: "2025-03-04T05:06:07.000+0000",
      Account__r: { attributes: { type: "Account", url: "/x" }, Name: "Zoë Müller GmbH", Owner: { attributes: { type: "User" }, Name: "Ann" } },
      Opportunity__r: null,
    };
    expect(toRecord(raw, "SystemModstamp")).toEqual({
      Id: "a0B000000000001AAA",
      IsDeleted: true,
      SystemModstamp: "2025-03-04T05:06:07.000+0000",
      Account__r: { Name: "Zoë Müller GmbH", Owner: { Name: "Ann" } },
      Opportunity__r: null,
      _loader_deleted_at: "2025-03-04T05:06:07.000Z",
    });
    expect(toRecord({ ...raw, IsDeleted: false }, "SystemModstamp")).not.toHaveProperty("_loader_deleted_at");
  });

  it("writes datetime literals unquoted with a zone, and resumes after a position in (cursor, Id) order", () => {
    const base = { object: "Invoice__c", fields: ["Id", "Name"], cursor: "SystemModstamp", since: null, after: null };
    expect(dateTimeLiteral("2025-03-04T05:06:07.000+0000")).toBe("2025-03-04T05:06:07Z");
    expect(dateTimeLiteral("2025-03-04T07:06:07+02:00")).toBe("2025-03-04T05:06:07Z");
    expect(dateTimeLiteral("2025-01-01")).toBe("2025-01-01T00:00:00Z");
    expect(soqlQuery({ ...base, since: "2025-01-01" })).toBe("SELECT Id, Name FROM Invoice__c WHERE SystemModstamp >= 2025-01-01T00:00:00Z ORDER BY SystemModstamp ASC, Id ASC");
    expect(soqlQuery({ ...base, after: { at: null, id: "a0B000000000001AAA" } })).toBe(
      "SELECT Id, Name FROM Invoice__c WHERE (SystemModstamp != null OR Id > 'a0B000000000001AAA') ORDER BY SystemModstamp ASC, Id ASC",
    );
    expect(soqlQuery({ ...base, cursor: null, after: { at: null, id: "a0B000000000001" } })).toBe("SELECT Id, Name FROM Invoice__c WHERE Id > 'a0B000000000001' ORDER BY Id ASC");
    // Checkpoints travel through the queue: nothing but a record id or a timestamp reaches the query text.
    expect(() => soqlQuery({ ...base, after: { at: null, id: "x' OR Name != '" } })).toThrow(/not a Salesforce record id/);
    expect(() => soqlQuery({ ...base, since: "yesterday" })).toThrow(/not a timestamp/);
  });
});
