/**
 * The HubSpot fake (test/fakes/hubspot) driven by HubSpot's official Node client, @hubspot/api-client, and by
 * plain fetch for the wire details the client hides. The control API's record lists are the oracle.
 */
import { Client } from "@hubspot/api-client";
import { ApiException } from "@hubspot/api-client/lib/codegen/crm/contacts";
import type { Filter, PublicObjectSearchRequest } from "@hubspot/api-client/lib/codegen/crm/contacts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { DEFAULT_COUNTS, FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, startHubSpotFake } from "../fakes/hubspot/server";
import type { CountKey as ObjectName } from "../fakes/hubspot/records";
import type { LoggedRequest } from "../fakes/hubspot/tenants";

let fake: RunningFake;
let base: string;

beforeAll(async () => {
  fake = await startHubSpotFake();
  base = `http://127.0.0.1:${fake.port}`;
});

afterAll(async () => {
  await fake.close();
});

const ENGAGEMENTS = ["calls", "emails", "meetings", "notes", "tasks"] as const;

interface Oracle {
  live: { id: string; updatedAt: string }[];
  archived: { id: string; archivedAt?: string; updatedAt?: string }[];
}


interface MutationResult {
  at: string;
  updated: string[];
  created: string[];
  deleted: string[];
}

async function controlPost<T>(tenant: string, action: string, body: unknown): Promise<T> {
  const response = await fetch(`${base}/_fake/${tenant}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

const seed = (tenant: string, counts: Partial<Record<ObjectName, number>> = {}) =>
  controlPost(tenant, "seed", { counts });
const faults = (tenant: string, config: object) => controlPost(tenant, "faults", config);
const mutate = (tenant: string, body: object) => controlPost<MutationResult>(tenant, "mutate", body);

async function oracle(tenant: string, object: ObjectName): Promise<Oracle> {
  return (await (await fetch(`${base}/_fake/${tenant}/records/${object}`)).json()) as Oracle;
}

async function requestLog(tenant: string): Promise<LoggedRequest[]> {
  return ((await (await fetch(`${base}/_fake/${tenant}/requests`)).json()) as { requests: LoggedRequest[] }).requests;
}

async function clearLog(tenant: string) {
  expect((await fetch(`${base}/_fake/${tenant}/requests`, { method: "DELETE" })).status).toBe(204);
}

/**
 * The client keeps its retry decorators in a process-wide singleton that each `new Client` overwrites and
 * each API object captures when first touched, so a client is built and its API touched in one go.
 */
function client(accessToken: string, numberOfApiCallRetries = 0) {
  const hubspot = new Client({ accessToken, basePath: base, numberOfApiCallRetries });
  const { contacts, companies, deals, tickets, owners } = hubspot.crm;
  return { hubspot, contacts, companies, deals, tickets, owners };
}

const byNumber = (a: string, b: string) => Number(a) - Number(b);
const ids = (records: readonly { id: string }[]) => records.map((record) => record.id);

/** Each generated API module has its own ApiException class; all carry the HTTP code and the parsed body. */
interface ClientError extends Error {
  code: number;
  body: unknown;
}

async function caught(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error && "code" in error && typeof error.code === "number" && "body" in error) {
      return error as ClientError;
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

function filter(propertyName: string, operator: string, value?: string, extra: Partial<Filter> = {}): Filter {
  return { propertyName, operator, value, ...extra } as Filter;
}

function searchBody(filters: Filter[], sortBy: string, extra: Partial<PublicObjectSearchRequest> = {}) {
  return {
    filterGroups: [{ filters }],
    // The client types sorts as strings; HubSpot takes {propertyName, direction} objects.
    sorts: [{ propertyName: sortBy, direction: "ASCENDING" }] as unknown as string[],
    limit: 200,
    after: "0",
    ...extra,
  } as PublicObjectSearchRequest;
}

describe("HubSpot fake with the official client: lists", () => {
  const tenant = "list-all";

  it("auto-paginates every CRM object to exactly the live records, no duplicates", async () => {
    await seed(tenant);
    const api = client(`pat-${tenant}`);
    const listed: Partial<Record<ObjectName, string[]>> = {
      contacts: ids(await api.contacts.getAll()),
      companies: ids(await api.companies.getAll()),
      deals: ids(await api.deals.getAll()),
      tickets: ids(await api.tickets.getAll()),
      products: ids(await api.hubspot.crm.products.getAll()),
      line_items: ids(await api.hubspot.crm.lineItems.getAll()),
    };
    // Engagement discoveries have no getAll: page them through the generic objects API.
    for (const type of ENGAGEMENTS) {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await api.hubspot.crm.objects.basicApi.getPage(type, 100, after);
        seen.push(...ids(page.results));
        for (const record of page.results) expect(record.properties.hs_createdate).toBe(record.createdAt.toISOString());
        after = page.paging?.next?.after;
      } while (after);
      listed[type] = seen;
    }
    for (const [object, got] of Object.entries(listed)) {
      const expected = await oracle(tenant, object as ObjectName);
      expect(expected.live.length + expected.archived.length).toBe(DEFAULT_COUNTS[object as ObjectName]);
      expect(expected.archived.length).toBeGreaterThan(0);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual(ids(expected.live));
      expect([...got].sort(byNumber)).toEqual(got);
    }
    // 2400 seeded contacts minus the archived ones at 100 per page: one request per page, cursors chained.
    const contacts = listed.contacts ?? [];
    const log = (await requestLog(tenant)).filter((entry) => entry.path === "/crm/v3/objects/contacts");
    expect(log).toHaveLength(Math.ceil(contacts.length / 100));
    expect(log[0]?.query).toEqual({ limit: "100" });
    for (const [index, entry] of log.entries()) {
      expect(entry.method).toBe("GET");
      expect(entry.status).toBe(200);
      expect(entry.api_version).toBe("v3");
      expect(entry.headers.authorization).toBe(`Bearer pat-${tenant}`);
      expect(entry.headers["user-agent"]).toBe("hubspot-api-client-nodejs; 14.0.1");
      const previousLast = contacts[index * 100 - 1];
      if (index > 0) expect(entry.query.after).toBe(String(Number(previousLast) + 1));
    }
  });

  it("pages owners, live and archived, through ownersApi.getPage", async () => {
    const api = client(`pat-${tenant}`);
    const collect = async (archived: boolean) => {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await api.owners.ownersApi.getPage(undefined, after, 5, archived);
        seen.push(...ids(page.results));
        for (const owner of page.results) expect(owner.archived).toBe(archived);
        after = page.paging?.next?.after;
      } while (after);
      return seen;
    };
    const expected = await oracle(tenant, "owners");
    expect(await collect(false)).toEqual(ids(expected.live));
    expect(await collect(true)).toEqual(ids(expected.archived));
    const first = (await api.owners.ownersApi.getPage(undefined, undefined, 1)).results[0];
    expect(first?.email).toMatch(/@/);
    const byEmail = await api.owners.ownersApi.getPage(first?.email);
    expect(ids(byEmail.results)).toEqual([first?.id]);
    const paths = (await requestLog(tenant)).filter((entry) => entry.path.startsWith("/crm/v3/owners"));
    expect(paths[0]?.path).toBe("/crm/v3/owners/");
  });

  it("returns the default or requested properties, associations, and deleted records under archived=true", async () => {
    const api = client(`pat-${tenant}`);
    const defaults = await api.contacts.basicApi.getPage(3);
    expect(defaults.results).toHaveLength(3);
    for (const contact of defaults.results) {
      expect(Object.keys(contact.properties).sort()).toEqual([
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
      ]);
      expect(contact.properties.hs_object_id).toBe(contact.id);
      expect(contact.properties.lastmodifieddate).toBe(contact.updatedAt.toISOString());
      expect(contact.archived).toBe(false);
    }
    await clearLog(tenant);
    const chosen = await api.contacts.basicApi.getPage(
      100,
      undefined,
      ["associatedcompanyid", "jobtitle", "no_such_property"],
      undefined,
      ["companies"],
    );
    expect((await requestLog(tenant))[0]?.query).toEqual({
      limit: "100",
      properties: ["associatedcompanyid", "jobtitle", "no_such_property"],
      associations: "companies",
    });
    const withCompany = chosen.results.filter((contact) => contact.properties.associatedcompanyid !== null);
    expect(withCompany.length).toBeGreaterThan(0);
    for (const contact of chosen.results) {
      expect(Object.keys(contact.properties).sort()).toEqual([
        "associatedcompanyid",
        "createdate",
        "hs_object_id",
        "jobtitle",
        "lastmodifieddate",
      ]);
      const linked = contact.associations?.companies?.results.map((entry) => entry.id) ?? [];
      if (contact.properties.associatedcompanyid === null) expect(linked).toEqual([]);
      else expect(linked).toContain(contact.properties.associatedcompanyid);
    }
    const archived = await api.deals.getAll(undefined, undefined, undefined, undefined, undefined, true);
    expect(ids(archived)).toEqual(ids((await oracle(tenant, "deals")).archived));
    for (const deal of archived) {
      expect(deal.archived).toBe(true);
      expect(deal.archivedAt).toBeInstanceOf(Date);
    }
  });

  it("reads associations in batches through the v4 associations API", async () => {
    const api = client(`pat-${tenant}`);
    const contacts = await api.contacts.basicApi.getPage(20, undefined, ["associatedcompanyid"]);
    const answer = await api.hubspot.crm.associations.v4.batchApi.getPage("contacts", "companies", {
      inputs: contacts.results.map((contact) => ({ id: contact.id })),
    });
    const withCompany = contacts.results.filter((contact) => contact.properties.associatedcompanyid !== null);
    expect(withCompany.length).toBeGreaterThan(0);
    expect(answer.results).toHaveLength(withCompany.length);
    const errors = "errors" in answer ? (answer.errors ?? []) : [];
    expect(errors).toHaveLength(contacts.results.length - withCompany.length);
    for (const result of answer.results) {
      const contact = contacts.results.find((candidate) => candidate.id === result._from.id);
      const target = result.to[0];
      expect(String(target?.toObjectId)).toBe(contact?.properties.associatedcompanyid);
      expect(target?.associationTypes.map((type) => type.typeId).sort((a, b) => a - b)).toEqual([1, 279]);
    }
    const items = await api.hubspot.crm.lineItems.basicApi.getPage(10, undefined, undefined, undefined, ["deals"]);
    const parents = await api.hubspot.crm.associations.v4.batchApi.getPage("line_items", "deals", {
      inputs: items.results.map((item) => ({ id: item.id })),
    });
    const withDeal = items.results.filter((item) => item.associations?.deals !== undefined);
    expect(withDeal.length).toBeGreaterThan(0);
    expect(parents.results).toHaveLength(withDeal.length);
    for (const result of parents.results) {
      const item = items.results.find((candidate) => candidate.id === result._from.id);
      const listed = item?.associations?.deals?.results.map((entry) => entry.id);
      expect(result.to.map((target) => String(target.toObjectId))).toEqual(listed);
      expect(result.to[0]?.associationTypes[0]?.typeId).toBe(20);
    }
  });

  it("describes each object's properties and the deal pipeline stages used by the data", async () => {
    const api = client(`pat-${tenant}`);
    const contactProps = (await api.hubspot.crm.properties.coreApi.getAll("contacts")).results;
    const find = (name: string) => contactProps.find((property) => property.name === name);
    expect(find("lastmodifieddate")).toMatchObject({ type: "datetime", fieldType: "date", hubspotDefined: true });
    expect(find("email")).toMatchObject({ type: "string", hasUniqueValue: true });
    expect(find("hubspot_owner_id")).toMatchObject({ type: "enumeration", referencedObjectType: "OWNER" });
    expect(find("customer_rating")).toMatchObject({ type: "number", hubspotDefined: false });
    expect(find("hs_lastmodifieddate")).toBeUndefined();
    const companyProps = (await api.hubspot.crm.properties.coreApi.getAll("companies")).results;
    expect(companyProps.map((property) => property.name)).toContain("hs_lastmodifieddate");
    const pipelines = (await api.hubspot.crm.pipelines.pipelinesApi.getAll("deals")).results;
    const stages = new Set(pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => stage.id)));
    const deals = await api.deals.getAll(100, undefined, ["dealstage"]);
    for (const deal of deals) expect(stages.has(deal.properties.dealstage ?? "")).toBe(true);
  });

  it("is deterministic per tenant id and different across tenants, with ties and months of history", async () => {
    await seed("twin-a", { contacts: 300 });
    const first = await oracle("twin-a", "contacts");
    await seed("twin-a", { contacts: 300 });
    expect(await oracle("twin-a", "contacts")).toEqual(first);
    await seed("twin-b", { contacts: 300 });
    expect(ids((await oracle("twin-b", "contacts")).live)).not.toEqual(ids(first.live));
    const stamps = first.live.map((record) => Date.parse(record.updatedAt));
    expect(new Set(stamps).size).toBeLessThan(stamps.length);
    expect(Math.max(...stamps) - Math.min(...stamps)).toBeGreaterThan(90 * 86_400_000);
  });
});

describe("HubSpot fake with the official client: search and incremental reads", () => {
  const tenant = "incremental";

  it("returns exactly the records a mutation changed, with epoch-ms or ISO bounds", async () => {
    await seed(tenant, { contacts: 400, companies: 80, deals: 150, tickets: 60 });
    const api = client(`pat-${tenant}`);
    const before = await oracle(tenant, "contacts");
    const change = await mutate(tenant, { object: "contacts", update: 7 });
    expect(change.updated).toHaveLength(7);
    const current = await api.contacts.basicApi.getById(change.updated[0] ?? "", ["jobtitle", "lifecyclestage", "phone"]);
    expect(current.updatedAt.toISOString()).toBe(change.at);
    const wasBefore = before.live.find((record) => record.id === change.updated[0]);
    expect(Date.parse(wasBefore?.updatedAt ?? "")).toBeLessThan(Date.parse(change.at));

    for (const value of [String(Date.parse(change.at)), change.at]) {
      const page = await api.contacts.searchApi.doSearch(
        searchBody([filter("lastmodifieddate", "GTE", value)], "lastmodifieddate", { properties: ["jobtitle"] }),
      );
      expect(page.total).toBe(7);
      expect(ids(page.results)).toEqual([...change.updated].sort(byNumber));
      expect(page.paging).toBeUndefined();
      for (const record of page.results) {
        expect(record.updatedAt.toISOString()).toBe(change.at);
        expect(Object.keys(record.properties).sort()).toEqual(["createdate", "hs_object_id", "jobtitle", "lastmodifieddate"]);
      }
    }
    const strictlyAfter = await api.contacts.searchApi.doSearch(
      searchBody([filter("lastmodifieddate", "GT", change.at)], "lastmodifieddate"),
    );
    expect(strictlyAfter.total).toBe(0);
    const log = (await requestLog(tenant)).filter((entry) => entry.path === "/crm/v3/objects/contacts/search");
    expect(log[0]?.method).toBe("POST");
    expect(log[0]?.body).toMatchObject({
      filterGroups: [
        { filters: [{ propertyName: "lastmodifieddate", operator: "GTE", value: String(Date.parse(change.at)) }] },
      ],
      sorts: [{ propertyName: "lastmodifieddate", direction: "ASCENDING" }],
      limit: 200,
    });
  });

  it("matches BETWEEN and LT windows to the oracle and never returns archived records", async () => {
    const api = client(`pat-${tenant}`);
    const expected = await oracle(tenant, "deals");
    const stamps = expected.live.map((record) => Date.parse(record.updatedAt)).sort((a, b) => a - b);
    const low = stamps[Math.floor(stamps.length / 4)] ?? 0;
    const high = stamps[Math.floor(stamps.length / 2)] ?? 0;
    const inWindow = expected.live.filter((r) => Date.parse(r.updatedAt) >= low && Date.parse(r.updatedAt) <= high);
    const between = await api.deals.searchApi.doSearch(
      searchBody([filter("hs_lastmodifieddate", "BETWEEN", String(low), { highValue: String(high) })], "hs_object_id"),
    );
    expect(between.total).toBe(inWindow.length);
    expect(ids(between.results)).toEqual(ids(inWindow).sort(byNumber));
    const below = await api.deals.searchApi.doSearch(
      searchBody([filter("hs_lastmodifieddate", "LT", new Date(low).toISOString())], "hs_object_id"),
    );
    expect(below.total).toBe(expected.live.filter((r) => Date.parse(r.updatedAt) < low).length);
    const everything = await api.deals.searchApi.doSearch(searchBody([], "hs_object_id", { filterGroups: [] }));
    expect(everything.total).toBe(expected.live.length);
  });

  it("shows updates, creations and deletions the way HubSpot reports them", async () => {
    const api = client(`pat-${tenant}`);
    const chosen = ids((await oracle(tenant, "deals")).live.slice(0, 2));
    const before = await api.deals.basicApi.getById(chosen[0] ?? "", ["amount", "dealstage"]);
    const change = await mutate(tenant, { object: "deals", update: chosen, create: 2, delete: 3 });
    expect(change.updated).toEqual(chosen);
    expect(change.created).toHaveLength(2);
    expect(change.deleted).toHaveLength(3);
    const after = await api.deals.basicApi.getById(chosen[0] ?? "", ["amount", "dealstage"]);
    expect(after.properties).not.toEqual(before.properties);
    expect(after.updatedAt.toISOString()).toBe(change.at);
    const changed = await api.deals.searchApi.doSearch(
      searchBody([filter("hs_lastmodifieddate", "GTE", change.at)], "hs_lastmodifieddate"),
    );
    expect(ids(changed.results)).toEqual([...change.updated, ...change.created].sort(byNumber));
    const listed = ids(await api.deals.getAll());
    for (const id of change.created) expect(listed).toContain(id);
    for (const id of change.deleted) expect(listed).not.toContain(id);
    const archived = await api.deals.getAll(undefined, undefined, undefined, undefined, undefined, true);
    for (const id of change.deleted) {
      const record = archived.find((candidate) => candidate.id === id);
      expect(record?.archived).toBe(true);
      expect(record?.archivedAt?.toISOString()).toBe(change.at);
    }
    const gone = await caught(api.deals.basicApi.getById(change.deleted[0] ?? ""));
    expect(gone.code).toBe(404);
  });

  it("rejects an impossible mutation without applying any of it; archives owners like users", async () => {
    const before = await oracle(tenant, "contacts");
    const response = await fetch(`${base}/_fake/${tenant}/mutate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ object: "contacts", update: 2, delete: ["1"] }),
    });
    expect(response.status).toBe(400);
    expect(await oracle(tenant, "contacts")).toEqual(before);
    const change = await mutate(tenant, { object: "owners", delete: 1 });
    const archived = await client(`pat-${tenant}`).owners.ownersApi.getPage(undefined, undefined, 100, true);
    const owner = archived.results.find((candidate) => candidate.id === change.deleted[0]);
    expect(owner?.archived).toBe(true);
    expect(owner?.updatedAt.toISOString()).toBe(change.at);
  });

  it("rejects a contacts filter on hs_lastmodifieddate: contacts keep lastmodifieddate", async () => {
    const api = client(`pat-${tenant}`);
    const error = await caught(
      api.contacts.searchApi.doSearch(searchBody([filter("hs_lastmodifieddate", "GTE", "0")], "lastmodifieddate")),
    );
    expect(error.code).toBe(400);
    expect((error.body as { category?: string }).category).toBe("VALIDATION_ERROR");
  });

  it("refuses to page past 10,000 results; a moving hs_object_id lower bound reads them all", async () => {
    const deep = "deep-search";
    await seed(deep, { contacts: 10_500, companies: 0, deals: 0, tickets: 0, owners: 3 });
    const expected = ids((await oracle(deep, "contacts")).live);
    expect(expected.length).toBeGreaterThan(10_000);
    const api = client(`pat-${deep}`);
    const tooFar = await caught(
      api.contacts.searchApi.doSearch(searchBody([], "hs_object_id", { filterGroups: [], after: "9900", limit: 200 })),
    );
    expect(tooFar.code).toBe(400);

    const seen: string[] = [];
    let lowerBound = "0";
    let restarts = 0;
    for (;;) {
      let after = "0";
      let last: string | undefined;
      let next: string | undefined;
      do {
        const page = await api.contacts.searchApi.doSearch(
          searchBody([filter("hs_object_id", "GTE", lowerBound)], "hs_object_id", { after, properties: ["email"] }),
        );
        seen.push(...ids(page.results));
        last = page.results[page.results.length - 1]?.id ?? last;
        next = page.paging?.next?.after;
        if (next !== undefined) after = next;
      } while (next !== undefined && Number(next) + 200 <= 10_000);
      if (next === undefined || last === undefined) break;
      lowerBound = String(Number(last) + 1);
      restarts++;
    }
    expect(restarts).toBe(1);
    expect(seen).toEqual(expected);
  });
});

describe("HubSpot fake with the official client: auth", () => {
  it("refreshes through tokensApi.create, expires tokens on demand, and refreshes again", async () => {
    const tenant = "oauth-flow";
    await seed(tenant, { contacts: 50 });
    const anonymous = new Client({ basePath: base });
    const tokens = await anonymous.oauth.tokensApi.create(
      "refresh_token",
      undefined,
      undefined,
      FAKE_CLIENT_ID,
      FAKE_CLIENT_SECRET,
      `refresh-${tenant}`,
    );
    expect(tokens).toMatchObject({ refreshToken: `refresh-${tenant}`, expiresIn: 1800, tokenType: "bearer" });
    const [refresh] = await requestLog(tenant);
    expect(refresh).toMatchObject({
      method: "POST",
      path: "/oauth/v1/token",
      api_version: "v1",
      status: 200,
      body: {
        grant_type: "refresh_token",
        client_id: FAKE_CLIENT_ID,
        client_secret: FAKE_CLIENT_SECRET,
        refresh_token: `refresh-${tenant}`,
      },
    });
    expect(refresh?.headers["content-type"]).toBe("application/x-www-form-urlencoded");

    const page = await client(tokens.accessToken).contacts.basicApi.getPageWithHttpInfo(5);
    expect(page.data.results).toHaveLength(5);
    expect(page.headers["x-hubspot-ratelimit-max"]).toBeDefined();
    expect(page.headers["x-hubspot-ratelimit-daily"]).toBeUndefined();

    await faults(tenant, { expire_tokens: true });
    const expired = await caught(client(tokens.accessToken).contacts.basicApi.getPage(5));
    expect(expired.code).toBe(401);
    expect(expired.body).toMatchObject({ category: "EXPIRED_AUTHENTICATION" });
    expect((expired.body as { message: string }).message).toMatch(/^The OAuth token used to make this call expired/);

    const fresh = await anonymous.oauth.tokensApi.create(
      "refresh_token",
      undefined,
      undefined,
      FAKE_CLIENT_ID,
      FAKE_CLIENT_SECRET,
      `refresh-${tenant}`,
    );
    expect(fresh.accessToken).not.toBe(tokens.accessToken);
    expect((await client(fresh.accessToken).contacts.basicApi.getPage(5)).results).toHaveLength(5);
  });

  it("answers bad refresh tokens and bad client credentials with HubSpot's OAuth errors", async () => {
    const anonymous = new Client({ basePath: base });
    const badToken = await caught(
      anonymous.oauth.tokensApi.create("refresh_token", undefined, undefined, FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, "nope"),
    );
    expect(badToken.code).toBe(400);
    expect((badToken.body as { message: string }).message).toBe("missing or invalid refresh token");
    const raw = await fetch(`${base}/oauth/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: FAKE_CLIENT_ID,
        client_secret: "wrong",
        refresh_token: "refresh-x",
      }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ status: "BAD_CLIENT_SECRET" });
    const rawBadToken = await fetch(`${base}/oauth/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: FAKE_CLIENT_ID,
        client_secret: FAKE_CLIENT_SECRET,
        refresh_token: "nope",
      }),
    });
    expect(await rawBadToken.json()).toMatchObject({
      status: "BAD_REFRESH_TOKEN",
      message: "missing or invalid refresh token",
    });
  });

  it("surfaces an invalid token as the client's ApiException with code 401", async () => {
    const error = await caught(client("not-a-real-token").contacts.basicApi.getPage(1));
    expect(error).toBeInstanceOf(ApiException);
    expect(error.code).toBe(401);
    expect(error.body).toMatchObject({ category: "INVALID_AUTHENTICATION" });
    expect((error.body as { message: string }).message).toMatch(/^Authentication credentials not found/);
  });
});

describe("HubSpot fake with the official client: rate limits and server errors", () => {
  const tenant = "faults";

  it("is retried by the client for a secondly 429 and for 5xx, and logs every attempt", async () => {
    await seed(tenant, { contacts: 40 });
    await faults(tenant, { fail_first: { count: 1, status: 429 }, rate_limit_policy: "SECONDLY" });
    await clearLog(tenant);
    const retried = await client(`pat-${tenant}`, 3).contacts.basicApi.getPage(10);
    expect(retried.results).toHaveLength(10);
    expect((await requestLog(tenant)).map((entry) => entry.status)).toEqual([429, 200]);

    await faults(tenant, { fail_first: { count: 2, status: 503 } });
    await clearLog(tenant);
    const recovered = await client(`pat-${tenant}`, 3).contacts.basicApi.getPage(10);
    expect(recovered.results).toHaveLength(10);
    expect((await requestLog(tenant)).map((entry) => entry.status)).toEqual([503, 503, 200]);
  });

  it("is not retried by the client for a daily 429, nor without retries configured", async () => {
    await faults(tenant, { fail_first: { count: 1, status: 429 }, rate_limit_policy: "DAILY" });
    await clearLog(tenant);
    const daily = await caught(client(`pat-${tenant}`, 3).contacts.basicApi.getPage(10));
    expect(daily.code).toBe(429);
    expect((daily.body as { message: string }).message).toBe("You have reached your daily limit.");
    expect(await requestLog(tenant)).toHaveLength(1);

    await faults(tenant, { fail_first: { count: 1, status: 429 } });
    const once = await caught(client(`pat-${tenant}`).contacts.basicApi.getPage(10));
    expect(once.code).toBe(429);
  });

  it("fails a seeded fraction of requests, the same ones for the same seed", async () => {
    const statuses = async () => {
      await faults(tenant, { rate_limit_rate: 0.3, server_error_rate: 0.1, seed: "fixed" });
      const seen: number[] = [];
      for (let i = 0; i < 30; i++) {
        const response = await fetch(`${base}/crm/v3/objects/contacts?limit=1`, {
          headers: { authorization: `Bearer pat-${tenant}` },
        });
        seen.push(response.status);
      }
      return seen;
    };
    const first = await statuses();
    expect(first).toEqual(await statuses());
    expect(first).toContain(429);
    expect(first).toContain(500);
    expect(first).toContain(200);
    await faults(tenant, {});
  });
});

describe("HubSpot fake on the wire (plain fetch)", () => {
  const tenant = "wire";
  const auth = { authorization: `Bearer pat-${tenant}` };

  beforeAll(async () => {
    await seed(tenant, { contacts: 120, companies: 30, deals: 40, tickets: 20 });
  });

  it("sends the list envelope, string property values, the paging link and rate-limit headers", async () => {
    const url = `${base}/crm/v3/objects/contacts?limit=2&properties=email,hs_email_optout`;
    const response = await fetch(url, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json;charset=utf-8");
    expect(response.headers.get("x-hubspot-ratelimit-interval-milliseconds")).toBe("10000");
    const max = Number(response.headers.get("x-hubspot-ratelimit-max"));
    const remaining = Number(response.headers.get("x-hubspot-ratelimit-remaining"));
    expect(Number.isInteger(remaining) && remaining >= 0 && remaining < max).toBe(true);
    expect(response.headers.get("x-hubspot-ratelimit-daily")).toBe("650000");
    expect(Number(response.headers.get("x-hubspot-ratelimit-daily-remaining"))).toBeLessThan(650_000);
    interface Row {
      id: string;
      properties: Record<string, unknown>;
      createdAt: string;
      updatedAt: string;
      archived: boolean;
    }
    const body = (await response.json()) as { results: Row[]; paging: { next: { after: string; link: string } } };
    expect(body.results).toHaveLength(2);
    for (const record of body.results) {
      expect(Object.keys(record).sort()).toEqual(["archived", "createdAt", "id", "properties", "updatedAt"]);
      expect(record.archived).toBe(false);
      expect(new Date(record.createdAt).toISOString()).toBe(record.createdAt);
      for (const value of Object.values(record.properties)) {
        expect(typeof value === "string" || value === null).toBe(true);
      }
      expect(["true", "false"]).toContain(record.properties.hs_email_optout);
    }
    const after = String(Number(body.results[1]?.id) + 1);
    expect(body.paging.next).toEqual({
      after,
      link: `https://api.hubapi.com/crm/v3/objects/contacts?limit=2&properties=email%2Chs_email_optout&after=${after}`,
    });
    const next = await fetch(`${base}/crm/v3/objects/contacts?limit=2&after=${after}`, { headers: auth });
    const nextIds = ((await next.json()) as { results: { id: string }[] }).results.map((r) => r.id);
    expect(Number(nextIds[0])).toBeGreaterThan(Number(body.results[1]?.id));
  });

  it("serves the date-versioned path with the same payload and logs the version", async () => {
    await clearLog(tenant);
    const v3 = await (await fetch(`${base}/crm/v3/objects/companies?limit=3`, { headers: auth })).json();
    const dated = await (await fetch(`${base}/crm/objects/2026-03/companies?limit=3`, { headers: auth })).json();
    expect((dated as { results: unknown[] }).results).toEqual((v3 as { results: unknown[] }).results);
    expect((await requestLog(tenant)).map((entry) => entry.api_version)).toEqual(["v3", "2026-03"]);
  });

  it("sends the search envelope with total and an offset cursor", async () => {
    const response = await fetch(`${base}/crm/v3/objects/contacts/search`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ limit: 2, sorts: [{ propertyName: "createdate", direction: "DESCENDING" }] }),
    });
    const body = (await response.json()) as {
      total: number;
      results: { properties: { createdate: string } }[];
      paging: unknown;
    };
    expect(body.total).toBe((await oracle(tenant, "contacts")).live.length);
    expect(body.paging).toEqual({ next: { after: "2" } });
    const [a, b] = body.results.map((record) => Date.parse(record.properties.createdate));
    expect(a).toBeGreaterThanOrEqual(b ?? Infinity);
  });

  it("rejects what HubSpot search rejects with a VALIDATION_ERROR body", async () => {
    const bad = [
      { after: "9900", limit: 200 },
      { limit: 201 },
      { filterGroups: Array.from({ length: 6 }, () => ({ filters: [{ propertyName: "email", operator: "HAS_PROPERTY" }] })) },
      { sorts: ["createdate", "email"] },
      { filterGroups: [{ filters: [{ propertyName: "createdate", operator: "GTE", value: "yesterday" }] }] },
    ];
    for (const request of bad) {
      const response = await fetch(`${base}/crm/v3/objects/contacts/search`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(request),
      });
      expect(response.status, JSON.stringify(request)).toBe(400);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: "error", category: "VALIDATION_ERROR" });
      expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof body.message).toBe("string");
    }
  });

  it("sends 429s exactly as HubSpot does, Retry-After on every other one", async () => {
    await faults(tenant, { fail_first: { count: 2, status: 429 } });
    const first = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
    const second = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
    const third = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
    expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
    expect(first.headers.get("retry-after")).toBe("1");
    expect(second.headers.get("retry-after")).toBeNull();
    for (const response of [first, second]) {
      const body = (await response.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(["correlationId", "errorType", "message", "policyName", "status"]);
      expect(body).toMatchObject({
        status: "error",
        message: "You have reached your secondly limit.",
        errorType: "RATE_LIMIT",
        policyName: "SECONDLY",
      });
    }
  });

  it("sends 5xx, 401 and 403 error bodies", async () => {
    await faults(tenant, { fail_first: { count: 1, status: 503 } });
    const unavailable = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({ status: "error", message: "Service Unavailable" });

    const anonymous = await fetch(`${base}/crm/v3/objects/deals`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ status: "error", category: "INVALID_AUTHENTICATION" });

    await faults(tenant, { missing_scopes: ["crm.objects.deals.read"] });
    const forbidden = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      status: "error",
      category: "MISSING_SCOPES",
      context: { missingScopes: ["crm.objects.deals.read"] },
    });
    expect((await fetch(`${base}/crm/v3/objects/contacts`, { headers: auth })).status).toBe(200);
    await faults(tenant, {});
  });

  it("answers an unknown object type with a 400 and enforces a configured burst limit", async () => {
    const unknown = await fetch(`${base}/crm/v3/objects/widgets`, { headers: auth });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      category: "VALIDATION_ERROR",
      message: "Unable to infer object type from: widgets",
    });
    await seed("burst", { contacts: 10 });
    await faults("burst", { burst_limit: 3, retry_after: null });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${base}/crm/v3/objects/contacts`, { headers: { authorization: "Bearer pat-burst" } });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("writes through create, update and archive like HubSpot, conflicts included", async () => {
    const api = client(`pat-${tenant}`);
    const created = await api.contacts.basicApi.create({
      properties: { email: "new.person@example.org", firstname: "New", lifecyclestage: "lead" },
      associations: [],
    });
    expect(created.properties).toMatchObject({ email: "new.person@example.org", firstname: "New", lifecyclestage: "lead" });
    const duplicate = await caught(
      api.contacts.basicApi.create({ properties: { email: "NEW.person@example.org" }, associations: [] }),
    );
    expect(duplicate.code).toBe(409);
    const invalid = await caught(api.contacts.basicApi.create({ properties: { shoe_size: "42" }, associations: [] }));
    expect(invalid.code).toBe(400);
    const updated = await api.contacts.basicApi.update(created.id, { properties: { jobtitle: "CTO" } });
    expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    const found = await api.contacts.searchApi.doSearch(
      searchBody([filter("email", "EQ", "new.person@example.org")], "createdate"),
    );
    expect(ids(found.results)).toEqual([created.id]);
    await api.contacts.basicApi.archive(created.id);
    const afterArchive = await api.contacts.searchApi.doSearch(
      searchBody([filter("email", "EQ", "new.person@example.org")], "createdate"),
    );
    expect(afterArchive.total).toBe(0);
    const archived = await api.contacts.basicApi.getById(created.id, undefined, undefined, undefined, true);
    expect(archived.archived).toBe(true);
  });

  it("keeps a request log with lowercased headers, parsed query and body, and clears it", async () => {
    await clearLog(tenant);
    await fetch(`${base}/crm/v3/objects/tickets/search?x=1`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json", "X-Custom": "Yes" },
      body: JSON.stringify({ limit: 1 }),
    });
    const [entry] = await requestLog(tenant);
    expect(entry).toMatchObject({
      method: "POST",
      path: "/crm/v3/objects/tickets/search",
      query: { x: "1" },
      body: { limit: 1 },
      api_version: "v3",
      status: 200,
    });
    expect(entry?.headers["x-custom"]).toBe("Yes");
    await clearLog(tenant);
    expect(await requestLog(tenant)).toEqual([]);
  });
});
