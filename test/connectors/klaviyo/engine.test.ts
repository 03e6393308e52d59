/**
 * Klaviyo end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Klaviyo fake
 * through HOST_OVERRIDES, with the engine's own clock, sleeps and retries.
 */
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { committedState, createActiveLoader, createLoader, d1Rows, forgetUnreportedPages, streamOf, triggerAndWait, uniqueName, waitForRun } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { secondsOf, type Tenant, tenant } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

async function createKlaviyoLoader(owner: Caller, sourceId: string, t: Tenant, schema: string, streams: Array<[string, "incremental" | "full_refresh"]>) {
  return createActiveLoader(owner, { name: "Klaviyo", loader_type: "klaviyo", source_id: sourceId, config: { api_key: t.key }, target_schema: schema, streams });
}

describe("klaviyo → warehouse through the engine", () => {
  it("the Worker has the klaviyo reader registered", async () => {
    expect(connectorFor("klaviyo")).toBeDefined();
    expect(await servedLoaderType("klaviyo")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows, values and types; an incremental run re-reads only what changed and updates it in place", async () => {
    const t = tenant();
    // The fake's clock frozen ten minutes back, so its changes are dated before the runs that read them.
    await t.seed({ counts: { profiles: 260, events: 700 }, now: Math.floor(Date.now() / 1000) - 600 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("KLAVIYO_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await createKlaviyoLoader(owner, sourceId, t, schema, [
      ["profiles", "incremental"],
      ["events", "incremental"],
      ["campaigns", "incremental"],
      ["list_memberships", "incremental"],
    ]);
    const first = await triggerAndWait(owner, loader.id);
    const profiles = await t.objects("profile");
    const events = await t.objects("event");
    const campaigns = await t.objects("campaign");
    const lists = await t.objects("list");
    let memberships = 0;
    for (const list of lists) memberships += (await t.memberships(list.id)).length;
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 260 + 700 + campaigns.length + memberships });

    const rows = await query<any>(`select * from "${s}"."profiles"`);
    expect(rows).toHaveLength(260);
    const sample = profiles[42];
    const row = rows.find((r) => r.id === sample.id);
    expect(row).toMatchObject({ email: sample.attributes.email, first_name: sample.attributes.first_name, type: "profile", properties: sample.attributes.properties, _loader_run_id: first.id });
    expect(row.updated.getTime() / 1000).toBe(secondsOf(sample.attributes.updated));
    expect(await columnTypes(s, "profiles")).toMatchObject({ id: "text", updated: "timestamp with time zone", properties: "jsonb", subscriptions: "jsonb" });

    const eventRows = await query<any>(`select id, metric_id, profile_id, timestamp, datetime from "${s}"."events"`);
    expect(eventRows).toHaveLength(700);
    const event = events[7];
    const eventRow = eventRows.find((r) => r.id === event.id);
    expect(eventRow).toMatchObject({ metric_id: event.relationships.metric.data.id, profile_id: event.relationships.profile.data.id });
    expect(Number(eventRow.timestamp)).toBe(event.attributes.timestamp);
    expect(await columnTypes(s, "events")).toMatchObject({ timestamp: "bigint", metric_id: "text", event_properties: "jsonb" });

    const campaignRows = await query<any>(`select id, channel, archived from "${s}"."campaigns"`);
    expect(campaignRows.map((r) => `${r.id}:${r.channel}:${r.archived}`).sort()).toEqual(campaigns.map((c) => `${c.id}:${c.channel}:${c.attributes.archived}`).sort());
    const memberRows = await query<any>(`select list_id, profile_id from "${s}"."list_memberships"`);
    expect(memberRows).toHaveLength(memberships);
    expect(new Set(memberRows.map((r) => `${r.list_id}/${r.profile_id}`)).size).toBe(memberships);

    // Changes: three profiles edited, two created, four new events, two new members of one list.
    const profileCursor = (await committedState(loader.id, "profiles"))!.cursor as string;
    await t.clearRequests();
    const changed = await t.mutate({ type: "profiles", update: profiles.slice(0, 3).map((p) => p.id), create: 2 });
    const newEvents = await t.mutate({ type: "events", create: 4 });
    const joined = await t.mutate({ type: "memberships", group: lists[0].id, add: 2 });
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    // Only what changed, plus the committed second read again (inclusive bound).
    const atCommitted = profiles.filter((p) => secondsOf(p.attributes.updated) === secondsOf(profileCursor) && !changed.updated.includes(p.id)).length;
    expect(streamOf(second, "profiles").rows_loaded).toBe(5 + atCommitted);
    const after = await query<any>(`select id, first_name, _loader_run_id from "${s}"."profiles"`);
    expect(after).toHaveLength(262);
    const live = new Map((await t.objects("profile")).map((p) => [p.id, p]));
    for (const id of [...changed.updated, ...changed.created]) {
      expect(after.find((r) => r.id === id)).toMatchObject({ first_name: live.get(id)!.attributes.first_name, _loader_run_id: second.id });
    }
    expect(await query(`select 1 from "${s}"."events"`)).toHaveLength(704);
    for (const id of newEvents.created) expect((await query(`select 1 from "${s}"."events" where id = $1`, [id])).length).toBe(1);
    const members = await query<any>(`select profile_id from "${s}"."list_memberships" where list_id = $1`, [lists[0].id]);
    expect(members.map((r) => r.profile_id)).toEqual(expect.arrayContaining(joined.created));
    expect(await query(`select 1 from "${s}"."list_memberships"`)).toHaveLength(memberships + 2);

    const sent = await t.requests();
    const profileFilters = sent.filter((r) => r.path === "/api/profiles").map((r) => r.query.filter);
    expect(profileFilters).toEqual([`greater-than(updated,${new Date((secondsOf(profileCursor) - 1) * 1000).toISOString().replace(".000Z", "Z")})`]);
  });

  it("D1: full_refresh streams load exactly; 429s are survived, each retried no sooner than its Retry-After", async () => {
    const t = tenant();
    await t.seed({});
    // Every stream's first request is throttled (Retry-After 1 s, then 2 s on the next throttle).
    await t.faults({ sequence: ["throttled", "ok", "throttled", "ok"], retry_after: 1, paths: ["/api/flows", "/api/templates"] });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("klaviyo");
    const loader = await createKlaviyoLoader(owner, sourceId, t, schema, [
      ["flows", "full_refresh"],
      ["templates", "full_refresh"],
      ["segments", "full_refresh"],
      ["metrics", "full_refresh"],
      ["segment_memberships", "full_refresh"],
    ]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", streams_failed: 0 });
    for (const [stream, type] of [["flows", "flow"], ["templates", "template"], ["segments", "segment"], ["metrics", "metric"]] as const) {
      const truth = await t.objects(type);
      const rows = await d1Rows(`${schema.toLowerCase()}__${stream}`);
      expect(rows.map((r) => r.id).sort(), stream).toEqual(truth.map((r) => r.id).sort());
      expect(streamOf(run, stream).rows_loaded, stream).toBe(truth.length);
    }
    const flow = (await t.objects("flow"))[0];
    const flowRow = (await d1Rows(`${schema.toLowerCase()}__flows`)).find((r) => r.id === flow.id);
    expect(flowRow).toMatchObject({ name: flow.attributes.name, status: flow.attributes.status, archived: 0, trigger_type: flow.attributes.trigger_type });
    expect(JSON.parse(flowRow.flow_action_ids)).toEqual(flow.relationships["flow-actions"].data.map((d: any) => d.id));

    expect(await t.served()).toEqual({ throttled: 2 });
    const log = (await t.requests()).filter((r) => r.path === "/api/flows" || r.path === "/api/templates");
    const refused = log.filter((r) => r.status === 429);
    expect(refused).toHaveLength(2);
    for (const entry of refused) {
      const retry = log.find((r) => r.path === entry.path && r.at >= entry.at && r !== entry && log.indexOf(r) > log.indexOf(entry));
      expect(retry, entry.path).toBeDefined();
      expect(retry!.at - entry.at).toBeGreaterThanOrEqual(entry.retry_after! * 1000);
    }
    // One request per page, plus one retry per 429.
    expect(log).toHaveLength(3 + 2);
  });

  it("a live burst window: every 429 of the shrunk tier is retried only after its Retry-After", async () => {
    const t = tenant();
    await t.seed({ counts: { lists: 40 } });
    await t.limits({ lists: { burst: 2, steady: 1000 } });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("klaviyo");
    const loader = await createKlaviyoLoader(owner, sourceId, t, schema, [["lists", "full_refresh"]]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 40 });
    expect(await d1Rows(`${schema.toLowerCase()}__lists`)).toHaveLength(40);
    const log = (await t.requests()).filter((r) => r.path === "/api/lists");
    expect(log.filter((r) => r.status === 200)).toHaveLength(4);
    for (const [i, entry] of log.entries()) {
      if (entry.status !== 429) continue;
      const next = log[i + 1]!;
      expect(next.at - entry.at).toBeGreaterThanOrEqual(entry.retry_after! * 1000);
    }
  });

  it("the shared budget paces requests to the endpoint's tier: five pages of flows (3/s burst) and never a 429", async () => {
    const t = tenant();
    await t.seed({ counts: { flows: 240 } });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("klaviyo");
    const loader = await createKlaviyoLoader(owner, sourceId, t, schema, [["flows", "full_refresh"]]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 240 });
    const log = (await t.requests()).filter((r) => r.path === "/api/flows");
    expect(log.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // A full bucket of three, then one token a second (60/min steady): no fixed second ever sees a fourth request.
    const perSecond = new Map<number, number>();
    for (const r of log) perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(3);
    expect(log[4]!.at - log[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it("OAuth through the loader's token keeper: one token request serves every chunk of two runs", async () => {
    const t = tenant();
    await t.seed({ counts: { profiles: 950 } });
    await t.oauth({ client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-engine" });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("klaviyo");
    const loader = await createLoader(owner, {
      name: "Klaviyo OAuth",
      loader_type: "klaviyo",
      source_id: sourceId,
      config: { client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-engine" },
      target_schema: schema,
      selected_streams: [{ name: "profiles", sync_mode: "full_refresh" }],
      sync_mode: "full_refresh",
    });
    expect(loader.status).toBe("active");
    for (let run = 0; run < 2; run++) expect(await triggerAndWait(owner, loader.id)).toMatchObject({ status: "completed", rows_loaded: 950 });
    const log = await t.requests();
    // Ten pages a run, four a chunk: three chunks per run, six in all.
    expect(log.filter((r) => r.path === "/api/profiles")).toHaveLength(20);
    expect(log.filter((r) => r.path === "/oauth/token")).toHaveLength(1);
    expect(log.filter((r) => r.path === "/api/profiles").every((r) => r.headers.authorization?.startsWith("Bearer kat_") && r.quota === `app${t.name}`)).toBe(true);
    expect(await d1Rows(`${schema.toLowerCase()}__profiles`)).toHaveLength(950);
  });

  it("a revoked key fails the stream, the other completes, and the loader goes to error", async () => {
    const t = tenant();
    await t.seed({});
    await t.control("POST", "scopes", { scopes: ["lists:read"] });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = await createKlaviyoLoader(owner, sourceId, t, uniqueName("klaviyo"), [
      ["lists", "full_refresh"],
      ["profiles", "full_refresh"],
    ]);
    const denied = await triggerAndWait(owner, loader.id);
    expect(denied).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(streamOf(denied, "lists")).toMatchObject({ status: "completed", rows_loaded: 12 });
    expect(streamOf(denied, "profiles")).toMatchObject({ status: "failed", error_message: expect.stringContaining("profiles:read") });

    await t.faults({ revoke: true });
    const fixed = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: { api_key: t.key } } });
    expect(fixed.status).toBe(200);
    const revoked = await triggerAndWait(owner, loader.id);
    expect(revoked).toMatchObject({ status: "failed", streams_failed: 2 });
    expect(streamOf(revoked, "lists").error_message).toContain("Klaviyo rejected the credentials (HTTP 401");
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("HTTP 401") });
    expect(after.status_error).not.toContain(t.key);
  });

  it("a consumer that dies after writing a page and before reporting it is resumed without loss or duplicates", async () => {
    const t = tenant();
    await t.seed({ counts: { profiles: 900 } });
    await t.faults({ slow_ms: 60 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("klaviyo");
    const loader = await createKlaviyoLoader(owner, sourceId, t, schema, [["profiles", "full_refresh"]]);
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await forgetUnreportedPages(owner, loader.id, run.id, "profiles", 3);
    await t.faults({});
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 900 });
    const rows = await d1Rows(`${schema.toLowerCase()}__profiles`);
    expect(rows).toHaveLength(900);
    expect(new Set(rows.map((r) => r.id)).size).toBe(900);
  });
});
