import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleStartMessages } from "../../src/scheduler/start-messages";
import { runSchedulerTick } from "../../src/scheduler/tick";
import { bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, uniqueName } from "../helpers/engine";

// More than one claim round (100 a round) and one run-insert batch (100 a batch), so the rounds' edges are crossed.
const LOADERS = 130;

/** One loader made through the API, then copied in SQL: the tick reads only D1 rows, so the copies are real loaders. */
async function dueLoaders(count: number, dueAt: string) {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("tick");
  await fakeControl(tenant, "seed", { count: 0 });
  const sourceId = await createD1Source(owner);
  const template = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
    schedule: "0 * * * *",
    target_schema: uniqueName("tick"),
  });
  const prefix = uniqueName("copy");
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO loaders (id, workspace_id, source_id, name, loader_type, config, config_secrets, target_schema, selected_streams, sync_mode,
       schedule, status, status_error, next_run_at, created_by, created_at, updated_at, revision)
     SELECT ? || '_' || i, workspace_id, source_id, name || ' ' || i, loader_type, config, config_secrets, target_schema, selected_streams, sync_mode,
       schedule, status, status_error, ?, created_by, created_at, updated_at, revision
     FROM loaders, n WHERE loaders.id = ?`,
  )
    .bind(count - 1, prefix, dueAt, template.id)
    .run();
  await env.DB.prepare("UPDATE loaders SET next_run_at = ? WHERE id = ?").bind(dueAt, template.id).run();
  const ids = (await env.DB.prepare("SELECT id FROM loaders WHERE workspace_id = ? ORDER BY id").bind(owner.workspaceId).all<{ id: string }>()).results.map((r) => r.id);
  return { owner, ids };
}

/** Waits until none of the workspace's runs is pending: every start message the tick sent has reached its tracker. */
async function allBegun(workspaceId: string, timeoutMs = 90_000) {
  const started = Date.now();
  for (;;) {
    const row = await env.DB.prepare("SELECT count(*) AS n FROM loader_runs WHERE workspace_id = ? AND status = 'pending'").bind(workspaceId).first<{ n: number }>();
    if (row!.n === 0) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${row!.n} runs still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** run.started events per run of the workspace: one per tracker that began. */
async function startEvents(workspaceId: string) {
  const rows = await env.DB.prepare(
    "SELECT r.id, (SELECT count(*) FROM run_events e WHERE e.run_id = r.id AND e.type = 'run.started') AS n FROM loader_runs r WHERE r.workspace_id = ?",
  )
    .bind(workspaceId)
    .all<{ id: string; n: number }>();
  return new Map(rows.results.map((r) => [r.id, r.n]));
}

/** A queue delivery as the consumer sees it, recording what the handler decided. */
function delivery(body: unknown) {
  const outcome = { acked: 0, retried: 0 };
  const msg = { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body, ack: () => void outcome.acked++, retry: () => void outcome.retried++ };
  return { msg: msg as unknown as Message<unknown>, outcome };
}

async function runCounts(workspaceId: string) {
  const rows = await env.DB.prepare("SELECT loader_id, count(*) AS runs FROM loader_runs WHERE workspace_id = ? GROUP BY loader_id").bind(workspaceId).all<{ loader_id: string; runs: number }>();
  return new Map(rows.results.map((r) => [r.loader_id, r.runs]));
}

describe("scheduler tick in batches", () => {
  it("two racing batched ticks start every due loader exactly once", async () => {
    const { owner, ids } = await dueLoaders(LOADERS, "2031-01-01T10:00:00Z");
    expect(ids).toHaveLength(LOADERS);
    const at = Date.parse("2031-01-01T10:00:00Z");
    const [a, b] = await Promise.all([runSchedulerTick(env, at), runSchedulerTick(env, at)]);

    const started = [...a.started, ...b.started].filter((id) => ids.includes(id));
    expect(started.sort()).toEqual([...ids].sort());
    expect(new Set(started).size).toBe(LOADERS);
    const counts = await runCounts(owner.workspaceId);
    expect(counts.size).toBe(LOADERS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    // Every loader moved to its next occurrence and stamped with its one run.
    const rows = (await env.DB.prepare("SELECT l.next_run_at, l.last_run_id, r.id AS run_id FROM loaders l JOIN loader_runs r ON r.loader_id = l.id WHERE l.workspace_id = ?").bind(owner.workspaceId).all<any>()).results;
    expect(rows).toHaveLength(LOADERS);
    for (const row of rows) {
      expect(row.next_run_at).toBe("2031-01-01T11:00:00Z");
      expect(row.last_run_id).toBe(row.run_id);
    }

    // A third tick at the same minute finds nothing due.
    const again = await runSchedulerTick(env, at);
    expect(again.started.filter((id) => ids.includes(id))).toEqual([]);
    expect((await runCounts(owner.workspaceId)).size).toBe(LOADERS);

    // The starts went through the queue: every run's tracker began, once.
    await allBegun(owner.workspaceId);
    const begun = await startEvents(owner.workspaceId);
    expect(begun.size).toBe(LOADERS);
    expect([...begun.values()].every((n) => n === 1)).toBe(true);
  });

  it("a start message delivered twice starts its run once", async () => {
    const { owner, ids } = await dueLoaders(2, "2031-03-01T10:00:00Z");
    const tick = await runSchedulerTick(env, Date.parse("2031-03-01T10:00:00Z"));
    expect(tick.started.filter((id) => ids.includes(id)).sort()).toEqual(ids);
    const runs = (await env.DB.prepare("SELECT id, loader_id FROM loader_runs WHERE workspace_id = ?").bind(owner.workspaceId).all<{ id: string; loader_id: string }>()).results;
    expect(runs).toHaveLength(2);
    const body = { kind: "start", runs: runs.map((r) => ({ runId: r.id, loaderId: r.loader_id, workspaceId: owner.workspaceId })) };
    // The queue's own delivery of the tick's message races these two.
    const [a, b] = [delivery(body), delivery(body)];
    await handleStartMessages([a.msg, b.msg], env, false);
    expect([a.outcome, b.outcome]).toEqual([{ acked: 1, retried: 0 }, { acked: 1, retried: 0 }]);
    await allBegun(owner.workspaceId);
    const again = delivery(body);
    await handleStartMessages([again.msg], env, false);
    expect(again.outcome.acked).toBe(1);
    const begun = await startEvents(owner.workspaceId);
    expect(runs.map((r) => begun.get(r.id))).toEqual([1, 1]);
  });

  it("a lost start leaves its run pending until the stuck-run pass sends it again; a dead-lettered one is acked", async () => {
    const { owner, ids } = await dueLoaders(2, "2999-01-01T00:00:00Z");
    const runId = crypto.randomUUID();
    // A run as the tick inserts it, whose start message never arrived.
    await env.DB.prepare(
      `INSERT INTO loader_runs (id, loader_id, workspace_id, status, "trigger", started_at, streams_total, streams, snapshot, created_at)
       SELECT ?, l.id, l.workspace_id, 'pending', 'schedule', '2031-04-01T09:00:00Z', 1,
         '[{"name":"items","sync_mode":"full_refresh","status":"pending","rows_loaded":0,"error_message":""}]',
         json_object('revision', l.revision, 'loader_type', l.loader_type, 'source_id', l.source_id, 'target_schema', l.target_schema,
           'selected_streams', json(l.selected_streams), 'config', l.config, 'config_secrets', l.config_secrets,
           'source', json_object('source_type', 'd1', 'config', '{}', 'config_secrets', NULL)), '2031-04-01T09:00:00Z'
       FROM loaders l WHERE l.id = ?`,
    )
      .bind(runId, ids[0])
      .run();
    const dead = delivery({ kind: "start", runs: [{ runId, loaderId: ids[0], workspaceId: owner.workspaceId }] });
    await handleStartMessages([dead.msg], env, true);
    expect(dead.outcome).toEqual({ acked: 1, retried: 0 });
    expect((await env.DB.prepare("SELECT status FROM loader_runs WHERE id = ?").bind(runId).first<any>()).status).toBe("pending");
    // Not yet stuck (under two minutes old): left alone.
    expect((await runSchedulerTick(env, Date.parse("2031-04-01T09:01:00Z"))).redispatched).not.toContain(runId);
    // The pass sends at most 100 stuck runs a tick, the oldest first; under load the runs earlier tests made can still
    // be pending (their start messages queued), so this run's turn may come a few ticks later, as those begin.
    let sentAgain = false;
    for (let i = 0; i < 120 && !sentAgain; i++) {
      sentAgain = (await runSchedulerTick(env, Date.parse("2031-04-01T09:05:00Z"))).redispatched.includes(runId);
      if (!sentAgain) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sentAgain).toBe(true);
    await allBegun(owner.workspaceId);
    expect((await startEvents(owner.workspaceId)).get(runId)).toBe(1);
  });

  it("a loader with a live run is skipped without rolling back the others in its batch", async () => {
    const { owner, ids } = await dueLoaders(20, "2031-02-01T10:00:00Z");
    const busy = ids[7]!;
    await env.DB.prepare("INSERT INTO loader_runs (id, loader_id, workspace_id, status, trigger, created_at) VALUES (?, ?, ?, 'running', 'manual', ?)")
      .bind(crypto.randomUUID(), busy, owner.workspaceId, "2031-02-01T09:59:00Z")
      .run();
    const tick = await runSchedulerTick(env, Date.parse("2031-02-01T10:00:00Z"));
    expect(tick.skipped).toContain(busy);
    expect(tick.started).not.toContain(busy);
    expect(tick.started.filter((id) => ids.includes(id)).sort()).toEqual(ids.filter((id) => id !== busy).sort());
    const counts = await runCounts(owner.workspaceId);
    expect(counts.get(busy)).toBe(1);
    expect(ids.every((id) => counts.get(id) === 1)).toBe(true);
    const stamped = await env.DB.prepare("SELECT last_run_id, next_run_at FROM loaders WHERE id = ?").bind(busy).first<any>();
    expect(stamped.last_run_id).toBeNull();
    expect(stamped.next_run_at).toBe("2031-02-01T11:00:00Z");
  });

  it("finds stuck pending runs through the partial index, not a scan of the run history", async () => {
    const plan = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT id, loader_id, workspace_id FROM loader_runs WHERE status = 'pending' AND created_at < ? ORDER BY created_at LIMIT 100",
    )
      .bind("2031-01-01T00:00:00Z")
      .all<{ detail: string }>();
    const detail = plan.results.map((r) => r.detail).join("\n");
    expect(detail).toMatch(/USING (COVERING )?INDEX loader_runs_pending_created/);
    expect(detail).not.toMatch(/SCAN loader_runs(?! USING)/);
  });
});
