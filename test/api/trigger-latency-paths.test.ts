/**
 * The trigger's and the rate limit's shorter paths (issue 18 part 2) and the tracker's one-batch start (part 3) keep
 * what they replaced: one live run per loader, the same start writes and events, and the documented limits exact.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import { addUsage, emptyUsage, estimatedCostUsd } from "../../src/engine/usage";
import { serviceContext } from "../../src/services/context";
import { LEASE_MS } from "../../src/lib/workspace-rate-limiter";
import { beginRun } from "../../src/services/runs/run-lifecycle";
import { as, bootstrapWorkspace, createD1Source, expectError } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, uniqueName, waitForRun } from "../helpers/engine";

async function restLoader() {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("trig");
  await fakeControl(tenant, "seed", { count: 3 });
  const sourceId = await createD1Source(owner);
  const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
    target_schema: uniqueName("trig"),
  });
  return { owner, loader };
}

const events = async (runId: string) =>
  (await env.DB.prepare("SELECT type, stream, data FROM run_events WHERE run_id = ? ORDER BY id").bind(runId).all<{ type: string; stream: string | null; data: string }>()).results;

describe("trigger in one D1 batch", () => {
  it("answers 201 with the pending run, 409 to a racing second trigger, 404 for another workspace's loader", async () => {
    const { owner, loader } = await restLoader();
    const [a, b] = await Promise.all([as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" }), as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })]);
    const created = [a, b].filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(created[0]!.json).toMatchObject({ status: "pending", trigger: "manual", loader_id: loader.id, streams: [{ name: "items", status: "pending" }] });
    expectError([a, b].find((r) => r.status !== 201)!, 409, "run_in_progress");
    const runs = await env.DB.prepare("SELECT id FROM loader_runs WHERE loader_id = ?").bind(loader.id).all();
    expect(runs.results).toHaveLength(1);
    const stamped = await env.DB.prepare("SELECT last_run_id FROM loaders WHERE id = ?").bind(loader.id).first<{ last_run_id: string }>();
    expect(stamped!.last_run_id).toBe(created[0]!.json.id);
    // The start runs after the answer (waitUntil) and the run completes.
    const done = await waitForRun(owner, loader.id, created[0]!.json.id);
    expect(done.status).toBe("completed");
    const other = await bootstrapWorkspace("Other");
    expectError(await as(other)(`/loaders/${loader.id}/trigger`, { method: "POST" }), 404, "not_found");
  });
});

describe("the tracker's one-batch start", () => {
  it("writes the run running with its job id, streams and usage, and the start events, once", async () => {
    const { owner, loader } = await restLoader();
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await waitForRun(owner, loader.id, run.id);
    const log = await events(run.id);
    expect(log.slice(0, 2)).toEqual([
      { type: "run.started", stream: null, data: JSON.stringify({ streams: 1 }) },
      { type: "stream.started", stream: "items", data: JSON.stringify({ sync_mode: "full_refresh" }) },
    ]);
    const row = await env.DB.prepare("SELECT job_id, usage FROM loader_runs WHERE id = ?").bind(run.id).first<{ job_id: string; usage: string }>();
    expect(row!.job_id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(row!.usage).durable_object_requests).toBeGreaterThanOrEqual(1);
    // A second start (the scheduler re-dispatching) changes nothing.
    expect(await runTracker(env, run.id).start({ runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId })).toBe("completed");
    expect(await events(run.id)).toEqual(log);
  });

  it("in one step: the D1 run row goes from pending to running with every stream running and the start events", async () => {
    const { owner, loader } = await restLoader();
    const runId = crypto.randomUUID();
    const ref = { runId, loaderId: loader.id, workspaceId: owner.workspaceId };
    // A pending run as the trigger writes it, without starting its tracker.
    await env.DB.prepare(
      `INSERT INTO loader_runs (id, loader_id, workspace_id, status, "trigger", started_at, streams_total, streams, snapshot, created_at)
       SELECT ?, id, workspace_id, 'pending', 'manual', '2026-01-01T00:00:00Z', 1,
         '[{"name":"items","sync_mode":"full_refresh","status":"pending","rows_loaded":0,"error_message":""}]',
         json_object('revision', revision, 'loader_type', loader_type, 'source_id', source_id, 'target_schema', target_schema,
           'selected_streams', json(selected_streams), 'config', config, 'config_secrets', config_secrets,
           'source', json_object('source_type', 'd1', 'config', '{}', 'config_secrets', NULL)), '2026-01-01T00:00:00Z'
       FROM loaders WHERE id = ?`,
    )
      .bind(runId, loader.id)
      .run();
    const ctx = serviceContext(env, { kind: "system", reason: "engine" });
    const usage = addUsage(emptyUsage(), { durable_object_requests: 1 });
    const plan = await beginRun(ctx, ref, "job-1", usage);
    expect(plan).toEqual({ streams: [{ name: "items", sync_mode: "full_refresh", state: null }] });
    const row = await env.DB.prepare("SELECT status, streams, job_id, usage, estimated_cost_usd FROM loader_runs WHERE id = ?").bind(runId).first<any>();
    expect(row.status).toBe("running");
    expect(JSON.parse(row.streams)).toEqual([{ name: "items", sync_mode: "full_refresh", status: "running", rows_loaded: 0, error_message: "" }]);
    expect(row.job_id).toBe("job-1");
    expect(JSON.parse(row.usage)).toEqual(usage);
    expect(row.estimated_cost_usd).toBe(estimatedCostUsd(usage));
    expect((await events(runId)).map((e) => e.type)).toEqual(["run.started", "stream.started"]);
    // Running already (a tracker that lost its storage): no event again, and the same plan.
    expect(await beginRun(ctx, ref, "job-1", usage)).toEqual(plan);
    expect(await events(runId)).toHaveLength(2);
    // A run no longer live, or not there, is refused as loadRunPlan refuses it, and nothing is written.
    await env.DB.prepare("UPDATE loader_runs SET status = 'cancelled' WHERE id = ?").bind(runId).run();
    await expect(beginRun(ctx, ref, "job-2", usage)).rejects.toMatchObject({ code: "conflict" });
    expect((await env.DB.prepare("SELECT job_id FROM loader_runs WHERE id = ?").bind(runId).first<any>()).job_id).toBe("job-1");
    await expect(beginRun(ctx, { ...ref, runId: crypto.randomUUID() }, "job-3", usage)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("rate limit decided alongside reads", () => {
  // The limiter's log filled through its own RPC with hits dated 30 s ahead: its 20-a-second window stays full for
  // those 30 s whatever the machine's load (a burst of real requests may straddle a second on a loaded CI).
  const limiterOf = (workspaceId: string) => env.RATE_LIMITER.getByName(`workspace:${workspaceId}`);
  async function fillSecondWindow(workspaceId: string): Promise<void> {
    const limiter = limiterOf(workspaceId);
    for (let i = 0; i < 20; i++) expect((await limiter.hit(Date.now() + 30_000)).allowed).toBe(true);
    expect((await limiter.hit(Date.now() + 30_000)).allowed).toBe(false);
  }
  const hitsLogged = (workspaceId: string) =>
    runInDurableObject(limiterOf(workspaceId), (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hits").one().n);

  it("refuses a write over the limit before it does anything", async () => {
    const owner = await bootstrapWorkspace();
    await fillSecondWindow(owner.workspaceId);
    const write = await as(owner)("/sources", { method: "POST", body: { name: "refused", source_type: "d1" } });
    expectError(write, 429, "rate_limited");
    expect(Number(write.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const sources = await env.DB.prepare("SELECT name FROM sources WHERE workspace_id = ?").bind(owner.workspaceId).all();
    expect(sources.results).toEqual([]);
  });

  it("answers a read over the limit 429 (its own answer dropped), and a refused request is not counted", async () => {
    const owner = await bootstrapWorkspace();
    const before = await hitsLogged(owner.workspaceId);
    const allowed = await as(owner)("/loaders");
    expect(allowed.status).toBe(200);
    // The read's own slot and the isolate's lease of a few more (src/api/middleware/rate-limit.ts).
    const leased = (await hitsLogged(owner.workspaceId)) - before;
    expect(leased).toBeGreaterThanOrEqual(1);
    expect(leased).toBeLessThanOrEqual(5);
    // Past the lease the isolate asks the object again, so the full window decides the next reads.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    await fillSecondWindow(owner.workspaceId);
    const full = await hitsLogged(owner.workspaceId);
    const refused = await Promise.all(Array.from({ length: 5 }, () => as(owner)("/loaders")));
    for (const r of refused) expectError(r, 429, "rate_limited");
    // A refused read of an unknown resource is still a 429, not the 404 its handler answered.
    expectError(await as(owner)(`/loaders/${crypto.randomUUID()}`), 429, "rate_limited");
    // No refusal logged a slot; the lease's unspent ones went back with the first refused call.
    expect(await hitsLogged(owner.workspaceId)).toBe(full - (leased - 1));
  });
});

