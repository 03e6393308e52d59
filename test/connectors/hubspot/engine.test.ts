/**
 * hubspot end to end through the engine: API → trigger → queue → RunTracker → warehouse, against the fake, with the
 * fake's own data as the oracle. PostgreSQL for loading, merging and soft deletes; D1 for a failing stream.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { committedState, createLoader, d1Rows, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { idsOf, sorted, tenant, type Tenant } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

async function createHubspotLoader(caller: Caller, sourceId: string, t: Tenant, streams: Array<{ name: string; sync_mode: string }>, targetSchema: string) {
  const loader = await createLoader(caller, {
    name: "HubSpot CRM",
    loader_type: "hubspot",
    source_id: sourceId,
    config: t.config(),
    target_schema: targetSchema,
    selected_streams: streams,
    sync_mode: "incremental",
  });
  expect(loader.status).toBe("active");
  return loader;
}

async function loaderStatus(loaderId: string, until: (row: { status: string; status_error: string }) => boolean) {
  for (let attempt = 0; ; attempt++) {
    const row = await env.DB.prepare("select status, status_error from loaders where id = ?").bind(loaderId).first<{ status: string; status_error: string }>();
    if (row && until(row)) return row;
    if (attempt > 300) throw new Error(`loader ${loaderId} never reached the expected status: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value === null ? null : new Date(String(value)).toISOString());
const latest = (values: string[]) => values.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));

describe("hubspot → PostgreSQL, end to end", () => {
  it("loads exact rows and values, merges changes in place, soft-deletes archived records, and replaces full_refresh tables", async () => {
    const owner = await bootstrapWorkspace();
    const t = tenant("e2e-pg");
    await t.seed({ contacts: 650, companies: 180, owners: 40 });
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("HUBSPOT_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await createHubspotLoader(
      owner,
      sourceId,
      t,
      [
        { name: "contacts", sync_mode: "incremental" },
        { name: "companies", sync_mode: "full_refresh" },
        { name: "owners", sync_mode: "incremental" },
        { name: "deal_pipelines", sync_mode: "full_refresh" },
      ],
      schema,
    );

    const contacts0 = await t.records("contacts");
    const companies0 = await t.records("companies");
    const owners0 = await t.records("owners");
    const pipelines = (await t.get("/crm/v3/pipelines/deals")).results;
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0 });
    expect(first.rows_loaded).toBe(contacts0.live.length + companies0.live.length + owners0.live.length + pipelines.length);

    const contactRows = await query<any>(`select * from "${s}"."contacts"`);
    expect(sorted(idsOf(contactRows))).toEqual(sorted(idsOf(contacts0.live)));
    const sampleId = contacts0.live[17]!.id;
    const sample = await t.get(`/crm/v3/objects/contacts/${sampleId}?properties=email,firstname,lastname,hs_email_optout,associatedcompanyid`);
    const row = contactRows.find((r) => r.id === sampleId);
    expect(row).toMatchObject({
      email: sample.properties.email,
      firstname: sample.properties.firstname,
      lastname: sample.properties.lastname,
      archived: false,
      _loader_run_id: first.id,
      _loader_deleted_at: null,
    });
    expect(iso(row.updated_at)).toBe(sample.updatedAt);
    expect(iso(row.lastmodifieddate)).toBe(sample.updatedAt);
    expect(row.hs_email_optout).toBe(sample.properties.hs_email_optout === null ? null : sample.properties.hs_email_optout === "true");
    expect(row.hs_object_id === null ? null : Number(row.hs_object_id)).toBe(Number(sampleId));
    const types = await columnTypes(s, "contacts");
    expect(types).toMatchObject({ id: "text", updated_at: "timestamp with time zone", archived: "boolean", hs_email_optout: "boolean", email: "text" });
    expect(types).not.toHaveProperty("properties");
    expect(await committedState(loader.id, "contacts")).toEqual({ cursor: latest(contacts0.live.map((r) => r.updatedAt)) });

    const companyRows = await query<any>(`select * from "${s}"."companies"`);
    expect(sorted(idsOf(companyRows))).toEqual(sorted(idsOf(companies0.live)));
    const ownerRows = await query<any>(`select * from "${s}"."owners"`);
    expect(sorted(idsOf(ownerRows))).toEqual(sorted(idsOf(owners0.live)));
    const pipelineRows = await query<any>(`select * from "${s}"."deal_pipelines"`);
    expect(pipelineRows.map((r) => r.id)).toEqual(pipelines.map((p: any) => p.id));
    expect(pipelineRows[0].stages).toEqual(pipelines[0].stages);

    // Changes in HubSpot: contacts edited, created and archived; companies archived; an owner edited, one deactivated.
    const edited = await t.mutate({ object: "contacts", update: 4 });
    const created = await t.mutate({ object: "contacts", create: 3 });
    // Archive contacts that were not just edited: the edited ones are read back live below.
    const removable = contacts0.live.map((r) => r.id).filter((id) => !edited.updated.includes(id)).slice(0, 5);
    const removed = await t.mutate({ object: "contacts", delete: removable });
    const companiesGone = await t.mutate({ object: "companies", delete: 2 });
    const ownerChange = await t.mutate({ object: "owners", update: 1, delete: 1 });

    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    const contacts1 = await t.records("contacts");
    const after = await query<any>(`select * from "${s}"."contacts"`);
    expect(sorted(idsOf(after.filter((r) => r._loader_deleted_at === null)))).toEqual(sorted(idsOf(contacts1.live)));
    // Every record archived since the committed cursor arrives as a soft delete: the five just archived keep their
    // row, marked; one archived before the first run but after its newest change arrives as a deleted row too.
    const cursor1 = latest(contacts0.live.map((r) => r.updatedAt));
    const archivedSince = contacts1.archived.filter((r) => Date.parse(r.archivedAt!) >= Date.parse(cursor1));
    const deletedRows = after.filter((r) => r._loader_deleted_at !== null);
    expect(sorted(idsOf(deletedRows))).toEqual(sorted(idsOf(archivedSince)));
    expect(after).toHaveLength(contactRows.length + 3 + archivedSince.length - removed.deleted.length);
    for (const r of deletedRows) expect([iso(r._loader_deleted_at), r.archived, r._loader_run_id]).toEqual([iso(r.archived_at), true, second.id]);
    for (const id of removed.deleted) expect(iso(deletedRows.find((r) => r.id === id)._loader_deleted_at)).toBe(removed.at);
    const keptValues = deletedRows.find((r) => r.id === removed.deleted[0]);
    expect(keptValues.email).toBe(contactRows.find((r) => r.id === removed.deleted[0]).email);
    for (const id of edited.updated) {
      const fresh = await t.get(`/crm/v3/objects/contacts/${id}?properties=email,firstname,lastname,jobtitle,lifecyclestage,phone`);
      const r = after.find((x) => x.id === id);
      expect(iso(r.updated_at)).toBe(edited.at);
      expect(r._loader_run_id).toBe(second.id);
      for (const name of ["email", "firstname", "lastname", "jobtitle", "lifecyclestage", "phone"]) expect(r[name], `${id}.${name}`).toBe(fresh.properties[name]);
    }
    expect(idsOf(after)).toEqual(expect.arrayContaining(created.created));
    expect(await committedState(loader.id, "contacts")).toEqual({ cursor: removed.at });

    const companies1 = await t.records("companies");
    const companyAfter = await query<any>(`select * from "${s}"."companies"`);
    expect(sorted(idsOf(companyAfter))).toEqual(sorted(idsOf(companies1.live)));
    expect(companyAfter.filter((r) => companiesGone.deleted.includes(r.id))).toEqual([]);

    const ownersAfter = await query<any>(`select * from "${s}"."owners"`);
    const editedOwner = ownersAfter.find((r) => r.id === ownerChange.updated[0]);
    const ownerNow = await t.get(`/crm/v3/owners/${ownerChange.updated[0]}`);
    expect(editedOwner).toMatchObject({ last_name: ownerNow.lastName, _loader_deleted_at: null, _loader_run_id: second.id });
    expect(ownersAfter).toHaveLength(ownerRows.length + owners0.archived.filter((r) => Date.parse(r.updatedAt!) >= Date.parse(latest(owners0.live.map((o) => o.updatedAt)))).length);
    const goneOwner = ownersAfter.find((r) => r.id === ownerChange.deleted[0]);
    expect([iso(goneOwner._loader_deleted_at), goneOwner.archived]).toEqual([ownerChange.at, true]);

    // Nothing changed since: the next run re-reads only the ties at the cursor, and no row is doubled.
    const third = await triggerAndWait(owner, loader.id);
    expect(third.status).toBe("completed");
    expect(await query(`select 1 from "${s}"."contacts"`)).toHaveLength(after.length);
    const tied = contacts1.live.filter((r) => r.updatedAt === removed.at).length + contacts1.archived.filter((r) => r.archivedAt === removed.at).length;
    expect(third.streams.find((x: any) => x.name === "contacts")).toMatchObject({ status: "completed", rows_loaded: tied });
  });
});

describe("hubspot → D1, end to end", () => {
  it("fails only the stream the app has no scope for, keeps what the others loaded, and loads it once granted", async () => {
    const owner = await bootstrapWorkspace();
    const t = tenant("e2e-d1");
    await t.seed({ contacts: 450, deals: 120 });
    await t.faults({ missing_scopes: ["crm.objects.deals.read"] });
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("hs");
    const loader = await createHubspotLoader(
      owner,
      sourceId,
      t,
      [
        { name: "contacts", sync_mode: "incremental" },
        { name: "deals", sync_mode: "incremental" },
      ],
      schema,
    );
    const table = (stream: string) => `${schema.toLowerCase()}__${stream}`;

    const first = await triggerAndWait(owner, loader.id);
    const live = (await t.records("contacts")).live;
    expect(first).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(first.streams.find((x: any) => x.name === "contacts")).toMatchObject({ status: "completed", rows_loaded: live.length });
    expect(first.streams.find((x: any) => x.name === "deals")).toMatchObject({
      status: "failed",
      rows_loaded: 0,
      error_message: expect.stringContaining("lacks the scope(s) crm.objects.deals.read"),
    });
    expect(sorted(idsOf(await d1Rows(table("contacts"))))).toEqual(sorted(idsOf(live)));
    expect(await committedState(loader.id, "deals")).toBeNull();

    // A configuration failure parks the loader in `error` (set as the run settles) until the user saves a fix.
    const parked = await loaderStatus(loader.id, (row) => row.status === "error");
    expect(parked.status_error).toContain("deals: HubSpot refused the request (HTTP 403): the app lacks the scope(s) crm.objects.deals.read");
    await t.faults({});
    const fixed = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: t.config() } });
    expect(fixed.status, JSON.stringify(fixed.json)).toBe(200);
    expect(fixed.json.status).toBe("active");
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    expect(sorted(idsOf(await d1Rows(table("deals"))))).toEqual(sorted(idsOf((await t.records("deals")).live)));
    // Contacts: nothing changed, so only the ties at the cursor (and records archived since it) are read again.
    const contactsNow = await d1Rows(table("contacts"));
    expect(sorted(idsOf(contactsNow.filter((r) => r._loader_deleted_at === null)))).toEqual(sorted(idsOf(live)));
    expect(new Set(idsOf(contactsNow)).size).toBe(contactsNow.length);
  });
});

describe("hubspot OAuth through the engine", () => {
  it("one token request serves every chunk of every stream and the next run: the loader's TokenKeeper shares the 30-minute token", async () => {
    const owner = await bootstrapWorkspace();
    const t = tenant("e2e-oauth");
    // 650 contacts are seven 100-record pages: two chunks (CHUNK_MAX_PAGES is 4 in tests), beside two other streams.
    await t.seed({ contacts: 650, companies: 30, owners: 5 });
    const loader = await createLoader(owner, {
      name: "HubSpot over OAuth",
      loader_type: "hubspot",
      source_id: await createD1Source(owner),
      config: t.oauthConfig(),
      target_schema: uniqueName("HS_OAUTH"),
      selected_streams: [{ name: "contacts" }, { name: "companies" }, { name: "owners" }],
      sync_mode: "full_refresh",
    });
    let live = 0;
    for (const object of ["contacts", "companies", "owners"]) live += (await t.records(object)).live.length;
    const runs = [await triggerAndWait(owner, loader.id), await triggerAndWait(owner, loader.id)];
    for (const run of runs) expect(run).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: live });
    const log = await t.requests();
    expect(log.filter((r) => r.path === "/oauth/v1/token").map((r) => r.status)).toEqual([200]);
    // Every API request of both runs carried that one token.
    const api = log.filter((r) => r.path.startsWith("/crm/"));
    expect(api.length).toBeGreaterThan(2 * 9);
    expect(new Set(api.map((r) => r.headers.authorization)).size).toBe(1);
  });
});
