/**
 * Mailchimp end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Mailchimp
 * fake through the wildcard `*.api.mailchimp.com` override, with the engine's own clock, sleeps and retries.
 */
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { committedState, createActiveLoader, d1Rows, forgetUnreportedPages, streamOf, triggerAndWait, uniqueName, waitForRun } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { mailchimpTime, secondsOf, type Tenant, tenant } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

async function createMailchimpLoader(owner: Caller, sourceId: string, t: Tenant, schema: string, streams: Array<[string, "incremental" | "full_refresh"]>) {
  return createActiveLoader(owner, { name: "Mailchimp", loader_type: "mailchimp", source_id: sourceId, config: { api_key: t.key }, target_schema: schema, streams });
}

describe("mailchimp → warehouse through the engine", () => {
  it("the Worker has the mailchimp reader registered", async () => {
    expect(connectorFor("mailchimp")).toBeDefined();
    expect(await servedLoaderType("mailchimp")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows, values and types; an incremental run re-reads only changed members and updates them in place", async () => {
    const t = tenant("us14");
    // The fake's clock ten minutes back, so its changes are dated before the runs that read them.
    const seeded = await t.seed({ counts: { members: [1300, 60] }, now: Math.floor(Date.now() / 1000) - 600 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("MAILCHIMP_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await createMailchimpLoader(owner, sourceId, t, schema, [
      ["list_members", "incremental"],
      ["campaigns", "incremental"],
      ["email_activity", "incremental"],
      ["segments", "full_refresh"],
    ]);
    const first = await triggerAndWait(owner, loader.id);
    const truth = await t.truth();
    const activity = Object.values(truth.activity).flat();
    const segments = Object.values(truth.segments).flat();
    expect(first).toMatchObject({ status: "completed", streams_failed: 0 });
    expect(streamOf(first, "campaigns").rows_loaded).toBe(truth.campaigns.length);
    expect(streamOf(first, "email_activity").rows_loaded).toBe(activity.length);

    const members = await query<any>(`select * from "${s}"."list_members"`);
    expect(members).toHaveLength(1360);
    expect(new Set(members.map((m) => `${m.list_id}/${m.id}`)).size).toBe(1360);
    const sample = truth.members[seeded.lists[0]!.id]![123];
    const row = members.find((m) => m.id === sample.id);
    expect(row).toMatchObject({ list_id: seeded.lists[0]!.id, email_address: sample.email_address, status: sample.status, merge_fields: sample.merge_fields, vip: sample.vip, _loader_run_id: first.id });
    expect(row.last_changed.getTime() / 1000).toBe(secondsOf(sample.last_changed));
    expect(await columnTypes(s, "list_members")).toMatchObject({ id: "text", list_id: "text", last_changed: "timestamp with time zone", merge_fields: "jsonb", member_rating: "bigint", vip: "boolean" });
    expect(await query(`select 1 from "${s}"."email_activity"`)).toHaveLength(activity.length);
    const segmentRows = await query<any>(`select list_id, id, member_count from "${s}"."segments"`);
    expect(segmentRows.map((r) => `${r.list_id}/${Number(r.id)}/${Number(r.member_count)}`).sort()).toEqual(segments.map((x) => `${x.list_id}/${x.id}/${x.member_count}`).sort());
    expect(await columnTypes(s, "segments")).toMatchObject({ id: "bigint" });

    const cursor = (await committedState(loader.id, "list_members"))!.cursor as string;
    await t.clearRequests();
    const changed = await t.mutate({ type: "members", list: seeded.lists[0]!.id, update: 4, create: 3 });
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    const atCursor = Object.values(truth.members)
      .flat()
      .filter((m) => secondsOf(m.last_changed) === secondsOf(cursor) && !changed.updated.includes(m.id)).length;
    expect(streamOf(second, "list_members").rows_loaded).toBe(7 + atCursor);
    const after = await query<any>(`select id, merge_fields, _loader_run_id from "${s}"."list_members"`);
    expect(after).toHaveLength(1363);
    const live = new Map((await t.truth()).members[seeded.lists[0]!.id]!.map((m) => [m.id, m]));
    for (const id of [...changed.updated, ...changed.created]) {
      expect(after.find((r) => r.id === id)).toMatchObject({ merge_fields: live.get(id)!.merge_fields, _loader_run_id: second.id });
    }
    const sent = (await t.requests()).filter((r) => r.path.endsWith("/members"));
    expect(sent.every((r) => r.dc === "us14" && r.query.since_last_changed === mailchimpTime(secondsOf(cursor) - 1))).toBe(true);
    expect(sent.map((r) => r.path)).toEqual(seeded.lists.map((l) => `/3.0/lists/${l.id}/members`));
  });

  it("D1: full_refresh streams load exactly, and 429s (the connection limit) are survived with exact counts", async () => {
    const t = tenant();
    await t.seed({ counts: { members: [40, 10] } });
    await t.faults({ sequence: ["too_many_requests", "ok", "too_many_requests", "too_many_requests"] });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("mailchimp");
    const loader = await createMailchimpLoader(owner, sourceId, t, schema, [
      ["lists", "full_refresh"],
      ["reports", "full_refresh"],
      ["automations", "full_refresh"],
      ["unsubscribes", "full_refresh"],
      ["tags", "full_refresh"],
    ]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", streams_failed: 0 });
    const truth = await t.truth();
    const counts: Record<string, number> = {
      lists: truth.lists.length,
      reports: truth.reports.length,
      automations: truth.automations.length,
      unsubscribes: Object.values(truth.unsubscribes).flat().length,
      tags: Object.values(truth.segments).flat().filter((x) => x.type === "static").length,
    };
    for (const [stream, count] of Object.entries(counts)) {
      expect(await d1Rows(`${schema.toLowerCase()}__${stream}`, "1"), stream).toHaveLength(count);
      expect(streamOf(run, stream).rows_loaded, stream).toBe(count);
    }
    const report = truth.reports[0];
    const reportRow = (await d1Rows(`${schema.toLowerCase()}__reports`)).find((r) => r.id === report.id);
    expect(reportRow).toMatchObject({ campaign_title: report.campaign_title, emails_sent: report.emails_sent, list_id: report.list_id });
    expect(JSON.parse(reportRow.opens)).toEqual(report.opens);
    expect(await t.served()).toEqual({ too_many_requests: 3 });
    const log = await t.requests();
    expect(log.filter((r) => r.status === 429)).toHaveLength(3);
    expect(log.filter((r) => r.status !== 200 && r.status !== 429)).toHaveLength(0);
    // Sequential reads stay far inside the 10-connection limit.
    expect(Math.max(...log.map((r) => r.in_flight))).toBeLessThanOrEqual(5);
  });

  it("a revoked key fails the run's streams and sets the loader to error", async () => {
    const t = tenant();
    await t.seed({ counts: { members: [10] } });
    await t.faults({ revoke: true });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = await createMailchimpLoader(owner, sourceId, t, uniqueName("mailchimp"), [["campaigns", "full_refresh"]]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(streamOf(run, "campaigns").error_message).toContain("API Key Invalid");
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("HTTP 401") });
    expect(after.status_error).not.toContain(t.name);
  });

  it("a consumer that dies after writing a page and before reporting it is resumed without loss or duplicates", async () => {
    const t = tenant();
    await t.seed({ counts: { members: [6200] } });
    await t.faults({ slow_ms: 80 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("mailchimp");
    const loader = await createMailchimpLoader(owner, sourceId, t, schema, [["list_members", "full_refresh"]]);
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await forgetUnreportedPages(owner, loader.id, run.id, "list_members", 3);
    await t.faults({});
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed" });
    const rows = await d1Rows(`${schema.toLowerCase()}__list_members`);
    expect(rows).toHaveLength(6200);
    expect(new Set(rows.map((r) => r.id)).size).toBe(6200);
  });
});
