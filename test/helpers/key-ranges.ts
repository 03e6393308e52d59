/**
 * Split streams as engine tests see them: the run's tracker with its lanes, waiting on them, and a lane's consumer
 * that dies after writing pages it never reported.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";

export interface LaneView {
  stream: string;
  lane: number;
  status: string;
  chunk: number;
  pages: number;
  rows_loaded: number;
  restarts: number;
  checkpoint: string | null;
}

export interface TrackerView {
  streams: Array<{ name: string; status: string; ranges: number; rows_loaded: number; pages: number }>;
  lanes: LaneView[];
}

const stubOf = (runId: string) => runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;

export async function trackerView(runId: string): Promise<TrackerView> {
  return (await runInDurableObject(stubOf(runId), (instance: RunTracker) => instance.snapshot())) as unknown as TrackerView;
}

/** Polls the tracker every 20 ms until `until` holds of it (a lane's progress is only seen there, not in D1). */
export async function waitForTracker(runId: string, until: (view: TrackerView) => boolean, what: string, timeoutMs = 30_000): Promise<TrackerView> {
  const started = Date.now();
  for (;;) {
    const view = await trackerView(runId);
    if (until(view)) return view;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not seen after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Lane 0's consumer dies mid-range after writing pages it never reported: the tracker forgets the lane's reported
 * pages (its checkpoint back to the range's start, its rows and pages taken off the stream's sums) and a delivery
 * that claimed the lane's next chunk dies at once, holding a lease that runs out `leaseLeftMs` from now. The consumer
 * working now becomes stale and stops; the watchdog restarts the lane, which must rewrite what was written before
 * without losing or doubling a row. Lane 0, because its range's start is its checkpoint without the lower end.
 */
export async function killFirstLane(runId: string, stream: string, leaseLeftMs = 1_000): Promise<LaneView> {
  return runInDurableObject(stubOf(runId), (_instance: RunTracker, state) => {
    const sql = state.storage.sql;
    const lane = sql.exec<LaneView & Record<string, SqlStorageValue>>("SELECT * FROM lanes WHERE stream = ? AND lane = 0", stream).one();
    if (lane.status !== "running") throw new Error(`lane 0 of ${stream} is ${lane.status}: nothing to kill`);
    const until = (JSON.parse(lane.checkpoint!) as { until: string[] }).until;
    sql.exec(
      `UPDATE lanes SET pages = 0, rows_loaded = 0, checkpoint = ?, chunk = chunk + 1, lease_token = 'ghost', lease_delivery = 'ghost-delivery',
       lease_until = ? WHERE stream = ? AND lane = 0`,
      JSON.stringify({ until }),
      Date.now() + leaseLeftMs,
      stream,
    );
    sql.exec("UPDATE streams SET pages = pages - ?, rows_loaded = rows_loaded - ? WHERE name = ?", lane.pages, lane.rows_loaded, stream);
    return { ...lane };
  });
}

/**
 * A lane's next delivery reads from a checkpoint its reader refuses (a key of another width: a data error), as if
 * its range failed; the consumer working on the lane now becomes stale. Returns the lane's new chunk.
 */
export async function breakLane(runId: string, loaderId: string, workspaceId: string, stream: string, lane: number): Promise<number> {
  const chunk = await runInDurableObject(stubOf(runId), (_instance: RunTracker, state) => {
    const sql = state.storage.sql;
    const row = sql.exec<{ chunk: number; status: string }>("SELECT chunk, status FROM lanes WHERE stream = ? AND lane = ?", stream, lane).one();
    if (row.status !== "running") throw new Error(`lane ${lane} of ${stream} is ${row.status}: nothing to break`);
    sql.exec(
      `UPDATE lanes SET checkpoint = '{"after":["1","2"]}', chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = ? WHERE stream = ? AND lane = ?`,
      Date.now(),
      stream,
      lane,
    );
    return row.chunk + 1;
  });
  await env.EXTRACT_QUEUE.send({ kind: "extract", runId, loaderId, workspaceId, stream, chunk, lane });
  return chunk;
}
