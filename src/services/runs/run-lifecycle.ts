/**
 * The D1 writes of a run's life, called by the RunTracker (which owns the transitions). Each is conditional on
 * the run still being live, so a late or repeated write can never resurrect a finished run.
 */
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { JsonObject } from "../../../connectors/kit/contract";
import { loaderRuns, loaders, streamStates } from "../../db/schema";
import { nowIso } from "../../lib/time";
import type { ServiceContext } from "../context";
import { nextRunAt } from "../loaders/schedule";
import { emitEvent } from "../webhooks/events";
import { eventsBetween, recordRunEvents } from "./run-events";
import type { RunStreamSummary } from "./run-store";
import { type RunUsage, estimatedCostUsd } from "../../engine/usage";
import type { RunRef } from "../../engine/messages";
import type { SyncMode } from "../../../connectors/kit/contract";
import { d1Statement } from "../../db/client";
import { runEvents } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";

export { loadRunConfigs, loadRunPlan } from "./run-snapshot";

const live = inArray(loaderRuns.status, ["pending", "running"]);

export interface RunProgress {
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  rowsLoaded: number;
  streamsFailed: number;
  errorMessage: string;
  streams: RunStreamSummary[];
  jobId?: string;
  completedAt?: string | null;
  /** The tracker's running total; the run's final write persists it with the run. */
  usage?: RunUsage;
}

export async function writeRunProgress(ctx: ServiceContext, runId: string, progress: RunProgress): Promise<boolean> {
  const [before] = await ctx.db.select({ status: loaderRuns.status, streams: loaderRuns.streams }).from(loaderRuns).where(eq(loaderRuns.id, runId)).limit(1);
  const rows = await ctx.db
    .update(loaderRuns)
    .set({
      status: progress.status,
      rowsLoaded: progress.rowsLoaded,
      streamsFailed: progress.streamsFailed,
      errorMessage: progress.errorMessage,
      streams: JSON.stringify(progress.streams),
      ...(progress.jobId ? { jobId: progress.jobId } : {}),
      ...(progress.completedAt !== undefined ? { completedAt: progress.completedAt } : {}),
      ...(progress.usage ? { usage: JSON.stringify(progress.usage), estimatedCostUsd: estimatedCostUsd(progress.usage) } : {}),
    })
    .where(and(eq(loaderRuns.id, runId), live))
    .returning();
  const run = rows[0];
  if (run && before) {
    const events = eventsBetween({ status: before.status, streams: JSON.parse(before.streams) as RunStreamSummary[] }, progress);
    await recordRunEvents(ctx, runId, events);
  }
  if (run && progress.status === "completed") await recoverLoader(ctx, run.loaderId, runId);
  // The one write that ends the run (later ones find it no longer live): its event is emitted exactly once.
  if (run && (progress.status === "completed" || progress.status === "failed")) {
    await emitEvent(ctx, run.workspaceId, progress.status === "completed" ? "run.completed" : "run.failed", { run: runEventData(run) });
    // One event per run that changed (or was refused a change to) a table, once the run's outcome is known.
    const changed = progress.streams.filter((s) => (s.schema_changes?.length ?? 0) > 0);
    if (changed.length > 0) {
      await emitEvent(ctx, run.workspaceId, "schema.changed", {
        run: { id: run.id, loader_id: run.loaderId, status: run.status },
        streams: changed.map((s) => ({ name: s.name, status: s.status, schema_changes: s.schema_changes })),
      });
    }
  }
  return rows.length > 0;
}

/**
 * Usage that arrives after the run's final write (a chunk stopped by the cancel): counts only grow, so the write is
 * not conditional on the run being live, unlike every other write here.
 */
export async function writeRunUsage(ctx: ServiceContext, runId: string, usage: RunUsage): Promise<void> {
  await ctx.db.update(loaderRuns).set({ usage: JSON.stringify(usage), estimatedCostUsd: estimatedCostUsd(usage) }).where(eq(loaderRuns.id, runId));
}

/**
 * The revision the run started from, as SQL: a conclusion the run draws about its loader (error, recovery) applies
 * only while the loader is still at that revision — a user who fixed the config during the run is not overruled
 * by a run that read the old one. Runs without a snapshot compare with the row's own revision.
 */
const revisionOfRun = (runId: SQL | string) =>
  sql`coalesce((SELECT json_extract(r.snapshot, '$.revision') FROM ${loaderRuns} r WHERE r.id = ${runId}), ${loaders.revision})`;

/**
 * A configuration failure (credentials rejected, object missing) parks the loader in `error` until a PUT fixes it
 * or a run completes. It is the loader's latest run that failed (runs of one loader never overlap).
 */
export async function markLoaderError(ctx: ServiceContext, loaderId: string, message: string) {
  const [loader] = await ctx.db
    .update(loaders)
    .set({ status: "error", statusError: `${message} (fix the config with PUT on this loader; the next run that completes sets it active again)`, nextRunAt: null, updatedAt: nowIso() })
    .where(and(eq(loaders.id, loaderId), inArray(loaders.status, ["active", "paused"]), eq(loaders.revision, revisionOfRun(sql`${loaders.lastRunId}`))))
    .returning();
  if (loader) {
    await emitEvent(ctx, loader.workspaceId, "loader.error", {
      loader: { id: loader.id, name: loader.name, loader_type: loader.loaderType, status: loader.status, status_error: loader.statusError, last_run_id: loader.lastRunId },
    });
  }
}

/** A run as webhook receivers get it: the API's run fields that describe the outcome. */
function runEventData(run: typeof loaderRuns.$inferSelect) {
  return {
    id: run.id,
    loader_id: run.loaderId,
    status: run.status,
    trigger: run.trigger,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    rows_loaded: run.rowsLoaded,
    streams_total: run.streamsTotal,
    streams_failed: run.streamsFailed,
    error_message: run.errorMessage,
    streams: JSON.parse(run.streams) as unknown,
  };
}

/** A run that completed every stream proves the loader works: one in `error` returns to `active` (issue 15). */
async function recoverLoader(ctx: ServiceContext, loaderId: string, runId: string) {
  const [loader] = await ctx.db.select().from(loaders).where(eq(loaders.id, loaderId)).limit(1);
  if (!loader || loader.status !== "error") return;
  await ctx.db
    .update(loaders)
    .set({ status: "active", statusError: "", nextRunAt: nextRunAt(loader.schedule, new Date()), updatedAt: nowIso() })
    .where(and(eq(loaders.id, loaderId), eq(loaders.status, "error"), eq(loaders.revision, revisionOfRun(runId))));
}

/**
 * Stream state moves only here, after the data it describes is committed in the warehouse — and only while the run
 * is live, its loader exists, and the loader still writes where the run wrote: a PUT that moved the loader to another
 * schema or source during the run starts its streams afresh there, so this run's cursor must not carry over.
 */
export async function commitStreamState(ctx: ServiceContext, loaderId: string, stream: string, state: JsonObject, runId: string) {
  const now = nowIso();
  const text = JSON.stringify(state);
  await ctx.db.run(sql`
    INSERT INTO ${streamStates} (loader_id, stream, state, run_id, updated_at)
    SELECT ${loaderId}, ${stream}, ${text}, ${runId}, ${now}
      FROM ${loaders} l JOIN ${loaderRuns} r ON r.id = ${runId} AND r.loader_id = l.id
     WHERE l.id = ${loaderId} AND r.status IN ('pending', 'running')
       AND (r.snapshot IS NULL OR (json_extract(r.snapshot, '$.target_schema') = l.target_schema AND json_extract(r.snapshot, '$.source_id') = l.source_id))
    ON CONFLICT (loader_id, stream) DO UPDATE SET state = excluded.state, run_id = excluded.run_id, updated_at = excluded.updated_at`);
}

/** A stream as the run starts it: its snapshot's name and sync mode, and the state its last committed run left. */
export interface StartedStream {
  name: string;
  sync_mode: SyncMode;
  state: JsonObject | null;
}

/**
 * The tracker's start in one D1 round trip (one batch, one transaction): the run's plan read from its snapshot, and
 * the first progress write that loadRunPlan followed by writeRunProgress made in five — the run `running` with each
 * selected stream `running` at 0 rows, its job id and usage, and the events that write derives (`run.started` while
 * the run was pending, `stream.started` for each stream still pending), inserted before the update moves the status.
 * Every statement is conditional on the run being live and having a snapshot. "legacy" (a run made before snapshots)
 * leaves the caller to loadRunPlan and its own progress write; a run not found or no longer live throws what
 * loadRunPlan throws.
 */
export async function beginRun(ctx: ServiceContext, ref: RunRef, jobId: string, usage: RunUsage): Promise<{ streams: StartedStream[] } | "legacy"> {
  const db = ctx.env.DB;
  const at = nowIso();
  const thisRun = sql`r.id = ${ref.runId} AND r.loader_id = ${ref.loaderId} AND r.workspace_id = ${ref.workspaceId}`;
  const startable = sql`${thisRun} AND r.status IN ('pending', 'running') AND r.snapshot IS NOT NULL`;
  const [before, , updated, states] = await db.batch([
    d1Statement(db, sql`SELECT r.status, r.snapshot IS NOT NULL AS has_snapshot FROM ${loaderRuns} r WHERE ${thisRun}`),
    d1Statement(
      db,
      sql`INSERT INTO ${runEvents} (run_id, at, type, stream, data)
        SELECT run_id, at, type, stream, data FROM (
          SELECT r.id AS run_id, ${at} AS at, 'run.started' AS type, NULL AS stream,
                 json_object('streams', json_array_length(r.snapshot, '$.selected_streams')) AS data, -1 AS ord
            FROM ${loaderRuns} r WHERE ${startable} AND r.status = 'pending'
          UNION ALL
          SELECT r.id, ${at}, 'stream.started', s.value ->> 'name', json_object('sync_mode', s.value ->> 'sync_mode'), s.key
            FROM ${loaderRuns} r, json_each(r.snapshot, '$.selected_streams') s
           WHERE ${startable}
             AND coalesce((SELECT p.value ->> 'status' FROM json_each(r.streams) p WHERE p.value ->> 'name' = s.value ->> 'name'), 'pending') = 'pending')
        ORDER BY ord`,
    ),
    d1Statement(
      db,
      sql`UPDATE ${loaderRuns} AS r SET status = 'running', rows_loaded = 0, streams_failed = 0, error_message = '',
          streams = (SELECT json_group_array(json_object('name', s.value ->> 'name', 'sync_mode', s.value ->> 'sync_mode', 'status', 'running',
            'rows_loaded', 0, 'error_message', '')) FROM json_each(r.snapshot, '$.selected_streams') s),
          job_id = ${jobId}, usage = ${JSON.stringify(usage)}, estimated_cost_usd = ${estimatedCostUsd(usage)}
        WHERE ${startable}
        RETURNING json_extract(snapshot, '$.selected_streams') AS selected_streams`,
    ),
    d1Statement(db, sql`SELECT stream, state FROM ${streamStates} WHERE loader_id = ${ref.loaderId}`),
  ]);
  const row = before?.results[0] as { status: string; has_snapshot: number } | undefined;
  if (!row) throw notFound("run");
  if (row.status !== "pending" && row.status !== "running") throw new AppError("conflict", `the run was ${row.status} before it started`);
  if (!row.has_snapshot) return "legacy";
  const [started] = (updated?.results ?? []) as { selected_streams: string }[];
  if (!started) throw new AppError("conflict", "the run changed while it was starting");
  const stateByStream = new Map((states?.results as { stream: string; state: string }[]).map((s) => [s.stream, JSON.parse(s.state) as JsonObject]));
  const selected = JSON.parse(started.selected_streams) as { name: string; sync_mode: SyncMode }[];
  return { streams: selected.map((s) => ({ name: s.name, sync_mode: s.sync_mode, state: stateByStream.get(s.name) ?? null })) };
}
