/**
 * hubspot `read()` against the fake: the requests sent (paths, query, bodies, auth, API version), the records
 * (flattened, typed) compared with the fake's own data, checkpoints that resume exactly after a page, and the
 * incremental window (search by keyset, archived records as soft deletes, the state it commits).
 */
import { describe, expect, it } from "vitest";
import { createHubspotConnector, WINDOW_LAG_MS } from "../../../connectors/hubspot";
import type { JsonObject, Page } from "../../../connectors/kit/contract";
import { apiRequests, context, idsOf, readAll, readRequest, records, sorted, tenant } from "./harness";

const epoch = (iso: string) => String(Date.parse(iso));
const maxOf = (values: string[]) => values.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));

async function propertyDefs(t: ReturnType<typeof tenant>, type: string): Promise<Array<{ name: string; type: string }>> {
  return (await t.get(`/crm/v3/properties/${type}`)).results;
}

async function propertyNames(t: ReturnType<typeof tenant>, type: string): Promise<string[]> {
  return (await propertyDefs(t, type)).map((p) => p.name);
}

/** What a property value becomes in a row: number and bool properties typed, the rest kept as HubSpot's strings. */
function typed(type: string | undefined, value: string | null): unknown {
  if (value === null || (type !== "number" && type !== "bool")) return value;
  return type === "bool" ? value === "true" : Number(value);
}

describe("hubspot full_refresh of a CRM object", () => {
  it("lists every live record once, with all properties lifted to columns, through the exact requests HubSpot expects", async () => {
    const t = tenant("full");
    await t.seed({ contacts: 250 });
    const pages = await readAll(context().ctx, t.config(), readRequest("contacts", "full_refresh"));
    const log = await t.requests();
    const oracle = await t.records("contacts");
    const names = await propertyNames(t, "contacts");
    const firstPage = await t.get(`/crm/v3/objects/contacts?limit=100&archived=false&properties=${names.join(",")}`);

    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /crm/v3/properties/contacts 200",
      "GET /crm/v3/objects/contacts 200",
      "GET /crm/v3/objects/contacts 200",
      "GET /crm/v3/objects/contacts 200",
    ]);
    expect(log.every((r) => r.headers.authorization === `Bearer ${t.token}` && r.api_version === "v3")).toBe(true);
    expect(log[0]!.query).toEqual({ archived: "false" });
    expect(log[1]!.query).toEqual({ archived: "false", limit: "100", properties: names.join(",") });
    expect(log[2]!.query).toEqual({ archived: "false", limit: "100", properties: names.join(","), after: firstPage.paging.next.after });
    expect(log[3]!.query.after).toMatch(/^\d+$/);

    const rows = records(pages);
    expect(sorted(idsOf(rows))).toEqual(sorted(idsOf(oracle.live)));
    expect(new Set(idsOf(rows)).size).toBe(rows.length);
    // Flattened, typed by the properties API, and otherwise exactly what HubSpot sent.
    const sample = firstPage.results[7];
    const row = rows.find((r) => r.id === sample.id)!;
    expect(row).not.toHaveProperty("properties");
    expect(row).toMatchObject({ id: sample.id, createdAt: sample.createdAt, updatedAt: sample.updatedAt, archived: false });
    const types = new Map((await propertyDefs(t, "contacts")).map((p) => [p.name, p.type]));
    expect([types.get("hs_object_id"), types.get("hs_email_optout"), types.get("email")]).toEqual(["number", "bool", "string"]);
    for (const [name, value] of Object.entries(sample.properties as Record<string, string | null>)) {
      expect(row[name], name).toBe(typed(types.get(name), value));
    }
    expect(row.hs_object_id).toBe(Number(sample.id));
    expect(Object.keys(row).sort()).toEqual([...names, "id", "createdAt", "updatedAt", "archived"].sort());

    expect(pages.at(-1)!.checkpoint).toMatchObject({ phase: "done", next: null });
    expect(pages.at(-1)!.state).toEqual({ cursor: maxOf(oracle.live.map((r) => r.updatedAt)) });
  });

  it("resumes from a page's checkpoint with the next request and reads the rest exactly once; a done checkpoint reads nothing", async () => {
    const t = tenant("resume");
    await t.seed({ contacts: 320 });
    const first: Page[] = [];
    for await (const page of createHubspotConnector().read(context().ctx, t.config(), readRequest("contacts", "full_refresh"))) {
      first.push(page);
      if (first.length === 2) break;
    }
    const checkpoint = JSON.parse(JSON.stringify(first[1]!.checkpoint)) as JsonObject;
    expect(JSON.stringify(checkpoint).length).toBeLessThan(200);
    await t.clearRequests();

    const rest = await readAll(context().ctx, t.config(), readRequest("contacts", "full_refresh", null, checkpoint));
    const log = await t.requests();
    expect(log[1]!.query.after).toBe((checkpoint.next as { cursor: string }).cursor);
    const all = [...records(first), ...records(rest)];
    expect(sorted(idsOf(all))).toEqual(sorted(idsOf((await t.records("contacts")).live)));
    expect(new Set(idsOf(all)).size).toBe(all.length);

    await t.clearRequests();
    expect(await readAll(context().ctx, t.config(), readRequest("contacts", "full_refresh", null, rest.at(-1)!.checkpoint))).toEqual([]);
    expect(await t.requests()).toEqual([]);
  });

  it("keeps only records changed since start_date, from the same list requests", async () => {
    const t = tenant("start");
    await t.seed({ companies: 200 });
    const pages = await readAll(context().ctx, t.config({ start_date: "2025-06-01" }), readRequest("companies", "full_refresh"));
    const expected = (await t.records("companies")).live.filter((r) => r.updatedAt >= "2025-06-01T00:00:00.000Z");
    expect(expected.length).toBeGreaterThan(10);
    expect(sorted(idsOf(records(pages)))).toEqual(sorted(idsOf(expected)));
    expect(apiRequests(await t.requests()).slice(1).every((r) => r.method === "GET" && r.path === "/crm/v3/objects/companies")).toBe(true);
  });

  it("gives way to search, properties in the POST body, when they do not fit in a URL", async () => {
    const t = tenant("longprops");
    await t.seed({ deals: 260 });
    const connector = createHubspotConnector({ propertiesQueryBudget: 10 });
    const pages = await readAll(context().ctx, t.config(), readRequest("deals", "full_refresh"), connector);
    const names = await propertyNames(t, "deals");
    const log = await t.requests();
    expect(sorted(idsOf(records(pages)))).toEqual(sorted(idsOf((await t.records("deals")).live)));
    const searches = log.filter((r) => r.method === "POST");
    expect(searches.map((r) => r.path)).toEqual(["/crm/v3/objects/deals/search", "/crm/v3/objects/deals/search"]);
    expect(searches[0]!.body).toEqual({ sorts: [{ propertyName: "hs_object_id", direction: "ASCENDING" }], properties: names, limit: 200 });
    expect(log.some((r) => "properties" in r.query)).toBe(false);

    // Incremental: archived records are then listed with the type's default properties.
    const state = { cursor: "2025-09-01T00:00:00.000Z" };
    await t.mutate({ object: "deals", delete: 2 });
    await t.clearRequests();
    const incremental = await readAll(context().ctx, t.config(), readRequest("deals", "incremental", state), connector);
    const archivedList = (await t.requests()).filter((r) => r.query.archived === "true");
    expect(archivedList.length).toBeGreaterThan(0);
    expect(archivedList.every((r) => !("properties" in r.query))).toBe(true);
    const archivedSince = (await t.records("deals")).archived.filter((r) => r.archivedAt! >= state.cursor);
    expect(archivedSince.length).toBeGreaterThanOrEqual(2);
    expect(sorted(idsOf(records(incremental).filter((r) => r._loader_deleted_at)))).toEqual(sorted(idsOf(archivedSince)));
  });
});

describe("hubspot incremental read of a CRM object", () => {
  it("first run lists everything; the next searches [cursor, upper] by keyset, then lists archived records as soft deletes", async () => {
    const t = tenant("incr");
    await t.seed({ contacts: 300 });
    const first = await readAll(context().ctx, t.config(), readRequest("contacts", "incremental"));
    expect((await t.requests()).map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /crm/v3/properties/contacts",
      ...Array(3).fill("GET /crm/v3/objects/contacts"),
    ]);
    const before = await t.records("contacts");
    const state = first.at(-1)!.state!;
    expect(state).toEqual({ cursor: maxOf(before.live.map((r) => r.updatedAt)) });

    const updated = await t.mutate({ object: "contacts", update: 3 });
    const created = await t.mutate({ object: "contacts", create: 2 });
    // Explicit ids, none of them just updated or created: a random pick could archive one of those, which then
    // (rightly) arrives as a tombstone and is missing from the live rows asserted below.
    const changed = new Set([...updated.updated, ...created.created]);
    const doomed = before.live.map((r) => r.id).filter((id) => !changed.has(id)).slice(10, 12);
    const removed = await t.mutate({ object: "contacts", delete: doomed });
    expect(removed.deleted).toEqual(doomed);
    await t.clearRequests();
    const now = new Date("2026-01-01T00:00:00.000Z");
    const pages = await readAll(context({ now: () => now }).ctx, t.config(), readRequest("contacts", "incremental", state));
    const log = await t.requests();
    const after = await t.records("contacts");
    const names = await propertyNames(t, "contacts");

    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /crm/v3/properties/contacts 200",
      "POST /crm/v3/objects/contacts/search 200",
      "GET /crm/v3/objects/contacts 200",
    ]);
    const upper = now.getTime() - WINDOW_LAG_MS;
    expect(log[1]!.body).toEqual({
      filterGroups: [
        {
          filters: [
            { propertyName: "lastmodifieddate", operator: "GTE", value: epoch(String(state.cursor)) },
            { propertyName: "lastmodifieddate", operator: "LTE", value: String(upper) },
          ],
        },
      ],
      sorts: [{ propertyName: "hs_object_id", direction: "ASCENDING" }],
      properties: names,
      limit: 200,
    });
    expect(log[1]!.headers["content-type"]).toBe("application/json");
    expect(log[2]!.query).toEqual({ archived: "true", limit: "100", properties: names.join(",") });

    // Changed and created records, plus the ties at the committed cursor (inclusive bound); deletes as tombstones.
    const rows = records(pages);
    const live = rows.filter((r) => !r._loader_deleted_at);
    const expectedLive = after.live.filter((r) => Date.parse(r.updatedAt) >= Date.parse(String(state.cursor)));
    expect(sorted(idsOf(live))).toEqual(sorted(idsOf(expectedLive)));
    expect(idsOf(live)).toEqual(expect.arrayContaining([...updated.updated, ...created.created]));
    const tombstones = rows.filter((r) => r._loader_deleted_at);
    const archivedSince = after.archived.filter((r) => Date.parse(r.archivedAt!) >= Date.parse(String(state.cursor)));
    expect(sorted(idsOf(tombstones))).toEqual(sorted(idsOf(archivedSince)));
    for (const row of tombstones) expect(row).toMatchObject({ archived: true, _loader_deleted_at: row.archivedAt });
    for (const id of removed.deleted) expect(tombstones.find((r) => r.id === id)).toMatchObject({ archivedAt: removed.at, _loader_deleted_at: removed.at });
    expect(pages.at(-1)!.state).toEqual({ cursor: removed.at });
    expect(pages.map((p) => p.checkpoint.phase)).toEqual(["archived", "done"]);
  });

  it("reads more than 10,000 records tied on one instant without paging past the search limit", async () => {
    const t = tenant("ties");
    await t.seed({ contacts: 10_300 });
    const bulk = await t.mutate({ object: "contacts", update: 10_050 });
    const state = { cursor: bulk.at };
    await t.clearRequests();

    // Read half, then resume from the checkpoint as the next chunk would.
    const first: Page[] = [];
    for await (const page of createHubspotConnector().read(context().ctx, t.config(), readRequest("contacts", "incremental", state))) {
      first.push(page);
      if (first.length === 25) break;
    }
    const checkpoint = JSON.parse(JSON.stringify(first.at(-1)!.checkpoint)) as JsonObject;
    expect(checkpoint).toMatchObject({ phase: "search", next: { after: String(first.at(-1)!.records.at(-1)!.id) } });
    const rest = await readAll(context().ctx, t.config(), readRequest("contacts", "incremental", state, checkpoint));
    const log = await t.requests();

    const rows = [...records(first), ...records(rest)].filter((r) => !r._loader_deleted_at);
    expect(rows).toHaveLength(10_050);
    expect(sorted(idsOf(rows))).toEqual(sorted(bulk.updated));
    const searches = log.filter((r) => r.method === "POST");
    expect(searches).toHaveLength(Math.ceil(10_050 / 200));
    expect(searches.every((r) => r.status === 200 && !("after" in r.body))).toBe(true);
    // Each request continues after the last id of the one before (the resumed read included).
    const keys = searches.map((r) => r.body.filterGroups[0].filters.find((f: any) => f.propertyName === "hs_object_id")?.value);
    expect(keys[0]).toBeUndefined();
    const all = [...first, ...rest];
    const searchPages = all.slice(0, all.findIndex((p) => p.checkpoint.phase !== "search") + 1);
    expect(searchPages).toHaveLength(searches.length);
    expect(keys.slice(1)).toEqual(searchPages.slice(0, -1).map((p) => String(p.records.at(-1)!.id)));
    expect(rest.at(-1)!.state).toEqual({ cursor: bulk.at });
  });

  it("with start_date and no state, searches from start_date and lists no archived records", async () => {
    const t = tenant("incr-start");
    await t.seed({ tickets: 200 });
    const pages = await readAll(context().ctx, t.config({ start_date: "2025-07-01" }), readRequest("tickets", "incremental"));
    const log = apiRequests(await t.requests());
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /crm/v3/properties/tickets", "POST /crm/v3/objects/tickets/search"]);
    expect(log[1]!.body.filterGroups[0].filters[0]).toEqual({
      propertyName: "hs_lastmodifieddate",
      operator: "GTE",
      value: epoch("2025-07-01T00:00:00.000Z"),
    });
    const expected = (await t.records("tickets")).live.filter((r) => r.updatedAt >= "2025-07-01T00:00:00.000Z");
    expect(sorted(idsOf(records(pages)))).toEqual(sorted(idsOf(expected)));
  });

  it("never commits a state past the run's upper bound, so what changes during a run is read by the next", async () => {
    const t = tenant("upper");
    await t.seed({ companies: 300 });
    const upper = "2025-06-01T00:00:00.000Z";
    const now = () => new Date(Date.parse(upper) + WINDOW_LAG_MS);
    const oracle = await t.records("companies");

    // A list reads everything, but the state stops at the upper bound.
    const listed = await readAll(context({ now }).ctx, t.config(), readRequest("companies", "incremental"));
    expect(records(listed)).toHaveLength(oracle.live.length);
    expect(listed.at(-1)!.state).toEqual({ cursor: upper });

    // A search reads only up to it.
    await t.clearRequests();
    const from = "2025-04-01T00:00:00.000Z";
    const searched = await readAll(context({ now }).ctx, t.config(), readRequest("companies", "incremental", { cursor: from }));
    const inWindow = oracle.live.filter((r) => r.updatedAt >= from && r.updatedAt <= upper);
    expect(sorted(idsOf(records(searched).filter((r) => !r._loader_deleted_at)))).toEqual(sorted(idsOf(inWindow)));
    const search = (await t.requests()).find((r) => r.method === "POST")!;
    expect(search.body.filterGroups[0].filters[1]).toEqual({ propertyName: "hs_lastmodifieddate", operator: "LTE", value: epoch(upper) });
    // Archived records count too (their updatedAt is when they were archived), still capped at the upper bound.
    const seen = maxOf([...inWindow.map((r) => r.updatedAt), ...oracle.archived.map((r) => r.archivedAt!).filter((at) => at >= from)]);
    expect(searched.at(-1)!.state).toEqual({ cursor: seen > upper ? upper : seen });
    expect(searched.at(-2)!.state).toEqual({ cursor: maxOf(inWindow.map((r) => r.updatedAt)) });
    expect(searched.every((p) => p.checkpoint.upper === upper)).toBe(true);
  });

  it("filters each object type on its own modification property", async () => {
    const t = tenant("types");
    await t.seed({ contacts: 20, companies: 20, deals: 20, tickets: 20, products: 20, line_items: 20, calls: 20, emails: 20, meetings: 20, notes: 20, tasks: 20 });
    const types = ["contacts", "companies", "deals", "tickets", "products", "line_items", "calls", "emails", "meetings", "notes", "tasks"];
    for (const type of types) {
      await t.clearRequests();
      const pages = await readAll(context().ctx, t.config(), readRequest(type, "incremental", { cursor: "2025-01-01T00:00:00.000Z" }));
      const search = (await t.requests()).find((r) => r.method === "POST")!;
      expect(search.path, type).toBe(`/crm/v3/objects/${type}/search`);
      expect(search.body.filterGroups[0].filters[0].propertyName, type).toBe(type === "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate");
      const oracle = await t.records(type);
      expect(sorted(idsOf(records(pages).filter((r) => !r._loader_deleted_at))), type).toEqual(sorted(idsOf(oracle.live)));
      expect(sorted(idsOf(records(pages).filter((r) => r._loader_deleted_at))), type).toEqual(sorted(idsOf(oracle.archived)));
    }
  });
});

describe("hubspot owners and pipelines", () => {
  it("pages owners 500 at a time; incremental keeps updatedAt >= cursor client-side and soft-deletes archived owners", async () => {
    const t = tenant("owners");
    await t.seed({ owners: 1200, contacts: 10, companies: 10, deals: 10, tickets: 10 });
    const full = await readAll(context().ctx, t.config(), readRequest("owners", "full_refresh"));
    const log = await t.requests();
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill("GET /crm/v3/owners/"));
    expect(log.map((r) => r.query)).toEqual([
      { archived: "false", limit: "500" },
      { archived: "false", limit: "500", after: expect.stringMatching(/^\d+$/) },
      { archived: "false", limit: "500", after: expect.stringMatching(/^\d+$/) },
    ]);
    const before = await t.records("owners");
    expect(sorted(idsOf(records(full)))).toEqual(sorted(idsOf(before.live)));
    expect(records(full)[0]).toMatchObject({ id: expect.any(String), email: expect.any(String), updatedAt: expect.any(String), archived: false });

    const state = { cursor: maxOf(before.live.map((r) => r.updatedAt)) };
    const change = await t.mutate({ object: "owners", update: 2, create: 1, delete: 1 });
    await t.clearRequests();
    const pages = await readAll(context().ctx, t.config(), readRequest("owners", "incremental", state));
    const after = await t.records("owners");
    const requests = await t.requests();
    expect(requests.map((r) => r.query.archived)).toEqual(["false", "false", "false", "true"]);
    const live = records(pages).filter((r) => !r._loader_deleted_at);
    expect(sorted(idsOf(live))).toEqual(sorted(idsOf(after.live.filter((r) => Date.parse(r.updatedAt) >= Date.parse(state.cursor)))));
    expect(idsOf(live)).toEqual(expect.arrayContaining([...change.updated, ...change.created]));
    const gone = records(pages).filter((r) => r._loader_deleted_at);
    const archivedSince = after.archived.filter((r) => Date.parse(r.updatedAt!) >= Date.parse(state.cursor));
    expect(sorted(idsOf(gone))).toEqual(sorted(idsOf(archivedSince)));
    expect(gone.every((r) => r.archived === true && r._loader_deleted_at === r.updatedAt)).toBe(true);
    expect(gone.find((r) => r.id === change.deleted[0])).toMatchObject({ _loader_deleted_at: change.at });
    expect(pages.at(-1)!.state).toEqual({ cursor: change.at });
  });

  it("reads each pipeline list whole in one request", async () => {
    const t = tenant("pipelines");
    for (const [stream, type] of [["deal_pipelines", "deals"], ["ticket_pipelines", "tickets"]] as const) {
      await t.clearRequests();
      const pages = await readAll(context().ctx, t.config(), readRequest(stream, "full_refresh"));
      const log = await t.requests();
      expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`GET /crm/v3/pipelines/${type} 200`]);
      const expected = (await t.get(`/crm/v3/pipelines/${type}`)).results;
      expect(pages).toHaveLength(1);
      expect(pages[0]!.records).toEqual(expected);
      expect(pages[0]!.records[0]).toMatchObject({ id: expect.any(String), stages: expect.any(Array) });
      expect(pages[0]!.state).toBeUndefined();
      expect(pages[0]!.checkpoint).toMatchObject({ phase: "done" });
    }
  });
});
