import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { extractChunk } from "../../src/engine/extract-chunk";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, d1Rows, fakeControl, fakeRequests, restConfig, triggerAndWait, uniqueName, waitForRun } from "../helpers/engine";
import { waitFor } from "../helpers/wait";

const strip = (rows: any[]) => rows.map(({ _loader_run_id, _loader_synced_at, _loader_batch_id, ...rest }) => rest);

async function trackerView(runId: string) {
  return runInDurableObject(runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>, (instance: RunTracker) => instance.snapshot());
}

async function setup(count: number, streams: Parameters<typeof restConfig>[1], selected: Array<{ name: string; sync_mode: string }>) {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("fault");
  await fakeControl(tenant, "seed", { count });
  const sourceId = await createD1Source(owner);
  const loader = await createRestLoader(owner, sourceId, restConfig(tenant, streams), selected, { target_schema: uniqueName("raw") });
  return { owner, tenant, loader, table: (stream: string) => `${loader.target_schema.toLowerCase()}__${stream}` };
}

describe("faults: no row lost, none doubled", () => {
  it("every queue message delivered twice → the same final table", async () => {
    const { owner, loader, table } = await setup(3600, [{ name: "items", path: "/cursor/items" }], [{ name: "items", sync_mode: "full_refresh" }]);
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const duplicated = new Set<number>();
    const duplicates: Promise<unknown>[] = [];
    for (;;) {
      const view = await trackerView(run.id);
      const stream = view.streams[0];
      if (stream && !duplicated.has(stream.chunk)) {
        duplicated.add(stream.chunk);
        const message = { kind: "extract" as const, runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "items", chunk: stream.chunk };
        duplicates.push(extractChunk(env, message, { id: `duplicate-${stream.chunk}`, attempts: 1 }, { maxPages: 4, maxMilliseconds: 60_000 }));
      }
      if (view.run?.status !== "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const outcomes = await Promise.all(duplicates);
    expect(duplicated.size).toBeGreaterThan(2);
    expect(outcomes.every((o: any) => o.action === "ack")).toBe(true);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 3600 });
    const rows = await d1Rows(table("items"));
    expect(rows).toHaveLength(3600);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3600);
  });

  it("a consumer that dies after writing and before reporting is resumed without duplicates (no primary key)", async () => {
    // 30 pages: a report every 4 (CHUNK_MAX_PAGES in the tests), so the stream reports several times.
    const { owner, tenant, loader, table } = await setup(3000, [{ name: "events", path: "/cursor/items", primary_key: [] }], [{ name: "events", sync_mode: "full_refresh" }]);
    await fakeControl(tenant, "faults", { slow_ms: 60 });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
    // Every report the tracker records, by the page count it brought the stream to.
    const reports = new Map<number, { checkpoint: string | null; rows: number }>();
    await waitFor(
      async () => {
        const s = (await trackerView(run.id)).streams[0]!;
        if (s.pages > 0) reports.set(s.pages, { checkpoint: s.checkpoint, rows: s.rows_loaded });
        return reports.size >= 2;
      },
      "two reports",
      60_000,
      10,
    );
    // Roll the tracker back to the report before the last, as if the last group was written but its report never
    // arrived, and hand the stream to a new delivery: the consumer in flight loses its lease and stops, and the new
    // one reads that group again and rewrites it under the same batch id.
    const [previousPages, previous] = [...reports].sort(([a], [b]) => a - b).at(-2)!;
    const chunk = await runInDurableObject(stub, (_instance: RunTracker, state) => {
      const sql = state.storage.sql;
      const s = sql.exec<{ chunk: number }>("SELECT chunk FROM streams").one();
      sql.exec(
        "UPDATE streams SET pages = ?, rows_loaded = ?, checkpoint = ?, chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = ?",
        previousPages,
        previous.rows,
        previous.checkpoint,
        Date.now(),
      );
      return s.chunk + 1;
    });
    await env.EXTRACT_QUEUE.send({ kind: "extract", runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "events", chunk });
    await fakeControl(tenant, "faults", {});
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 3000 });
    const rows = await d1Rows(table("events"));
    expect(rows).toHaveLength(3000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3000);
    // The rolled-back group was really fetched again: some page was asked for twice.
    const asked = new Map<string, number>();
    for (const r of await fakeRequests(tenant)) asked.set(r.query.after ?? "", (asked.get(r.query.after ?? "") ?? 0) + 1);
    expect([...asked.values()].some((n) => n >= 2)).toBe(true);
  });

  it("20% of source requests answering 429 or 500 → the run still completes exactly", async () => {
    const { owner, tenant, loader, table } = await setup(1200, [{ name: "items", path: "/cursor/items", incremental: true }], [{ name: "items", sync_mode: "incremental" }]);
    await fakeControl(tenant, "faults", { rate_429: 0.1, rate_500: 0.1, retry_after: 0, seed: 7 });
    const done = await triggerAndWait(owner, loader.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 1200, streams_failed: 0 });
    const rows = await d1Rows(table("items"));
    expect(rows).toHaveLength(1200);
  });

  it("a stream whose source answers 401 fails, the loader goes to error, the other stream completes", async () => {
    const owner = await bootstrapWorkspace();
    const open = uniqueName("open");
    const locked = uniqueName("locked");
    await fakeControl(open, "seed", { count: 150 });
    await fakeControl(locked, "seed", { count: 150, auth: { type: "bearer", token: "the-right-token" } });
    const sourceId = await createD1Source(owner);
    const config = {
      base_url: "https://api.example.com",
      auth: { type: "bearer", token: "a-wrong-token" },
      paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 100 },
      streams: [
        { name: "good", path: `/t/${open}/cursor/items`, records_path: "results", primary_key: ["id"] },
        { name: "denied", path: `/t/${locked}/cursor/items`, records_path: "results", primary_key: ["id"] },
      ],
    };
    const loader = await createRestLoader(owner, sourceId, config, [{ name: "good", sync_mode: "full_refresh" }, { name: "denied", sync_mode: "full_refresh" }], { target_schema: "auth_case" });
    const done = await triggerAndWait(owner, loader.id);
    expect(done).toMatchObject({ status: "failed", streams_total: 2, streams_failed: 1, rows_loaded: 150 });
    expect(done.streams.find((s: any) => s.name === "good")).toMatchObject({ status: "completed", rows_loaded: 150 });
    expect(done.streams.find((s: any) => s.name === "denied")).toMatchObject({ status: "failed", error_message: expect.stringMatching(/401|credentials|unauthorized/i) });
    expect(done.error_message).toContain("denied");
    expect(await d1Rows("auth_case__good")).toHaveLength(150);
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("denied") });
    // Fixing the config returns the loader to active.
    const fixed = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: { ...config, auth: { type: "bearer", token: "the-right-token" } } } });
    expect(fixed.json).toMatchObject({ status: "active", status_error: "" });
  });

  it("cancel mid-run → cancelled, state not advanced, full_refresh target untouched", async () => {
    const { owner, tenant, loader, table } = await setup(
      800,
      [
        { name: "snapshot", path: "/cursor/items" },
        { name: "changes", path: "/cursor/items", incremental: true },
      ],
      [{ name: "snapshot", sync_mode: "full_refresh" }, { name: "changes", sync_mode: "incremental" }],
    );
    // First run completes: this is the table content cancel must leave alone.
    const first = await triggerAndWait(owner, loader.id);
    expect(first.status).toBe("completed");
    const before = strip(await d1Rows(table("snapshot")));
    const stateBefore = await env.DB.prepare("select stream, state from stream_states where loader_id = ? order by stream").bind(loader.id).all();

    await fakeControl(tenant, "seed", { count: 1500 });
    await fakeControl(tenant, "faults", { slow_ms: 150 });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await waitForRun(owner, loader.id, run.id, (r) => r.rows_loaded >= 200);
    const cancelled = await as(owner)(`/loaders/${loader.id}/runs/${run.id}/cancel`, { method: "POST" });
    expect(cancelled.json.status).toBe("cancelled");
    await fakeControl(tenant, "faults", {});
    // The consumer in flight notices at its next heartbeat or report and drops the full_refresh staging table.
    const stagingLeft = () => env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and name like ?").bind(`${table("snapshot")}%`).all();
    await waitFor(async () => (await stagingLeft()).results.length === 1, "staging dropped", 30_000);
    const final = (await as(owner)(`/loaders/${loader.id}/runs/${run.id}`)).json;
    expect(final).toMatchObject({ status: "cancelled", completed_at: expect.any(String) });
    expect(final.streams.every((s: any) => s.status === "cancelled")).toBe(true);
    expect(strip(await d1Rows(table("snapshot")))).toEqual(before);
    const stateAfter = await env.DB.prepare("select stream, state from stream_states where loader_id = ? order by stream").bind(loader.id).all();
    expect(stateAfter.results).toEqual(stateBefore.results);
    const staging = await env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and name like ?").bind(`${table("snapshot")}%`).all();
    expect(staging.results.map((r: any) => r.name)).toEqual([table("snapshot")]);
  });

  it("watchdog: a lost message is re-enqueued from the checkpoint and the stream completes", async () => {
    const { owner, tenant, loader, table } = await setup(2600, [{ name: "items", path: "/cursor/items" }], [{ name: "items", sync_mode: "full_refresh" }]);
    await fakeControl(tenant, "faults", { slow_ms: 80 });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
    await waitFor(async () => (await trackerView(run.id)).streams[0]!.pages >= 10);
    // Lose the stream's message: its chunk number moves on (the in-flight delivery is now stale and stops), and
    // no message carries the new chunk, overdue since long ago (due_at too: the stream is most often caught between
    // two chunks, whose next one is due now, and the watchdog would rightly wait a lease for it). Only the watchdog can
    // revive it.
    await runInDurableObject(stub, (_i: RunTracker, state) => {
      state.storage.sql.exec("UPDATE streams SET chunk = chunk + 50, lease_token = NULL, lease_until = 0, last_progress_at = 0, due_at = 0");
    });
    await fakeControl(tenant, "faults", {});
    // The alarm fires on its own (every WATCHDOG_SECONDS); running it here only makes sure it has fired once.
    expect((await trackerView(run.id)).run!.status).toBe("running");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 2600 });
    const rows = await d1Rows(table("items"));
    expect(rows).toHaveLength(2600);
    expect((await trackerView(run.id)).streams[0]!.restarts).toBe(1);
  });
});
