import { eq, sql } from "drizzle-orm";
import { d1Statement } from "../../db/client";
import { loaderRuns, loaders, sources } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { dispatchRun } from "../../engine/dispatch";
import type { ServiceContext } from "../context";
import { getLoaderRow, type LoaderRow } from "../loaders/loader-store";
import { pendingStreamsSql, snapshotSql } from "./run-snapshot";

function isUniqueViolation(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  return /UNIQUE constraint failed/i.test(text);
}

/**
 * Creates the `pending` run with its snapshot of the loader and hands it to the engine. The run row is written by
 * one INSERT … SELECT from the loader and its source, so the snapshot is the loader exactly as it was when the run
 * was created, and a loader deleted (or turned draft) meanwhile gets no run. The partial unique index
 * `loader_runs_one_live` guarantees one live run per loader: two racing triggers (or a trigger racing the
 * scheduler) cannot both insert.
 */
/**
 * The two statements that create one run: the INSERT … SELECT of the run with its snapshot, and the loader's
 * last-run stamp (applied only if the insert wrote a row). `skipLive` turns a clash with the loader's live run
 * into no row (ON CONFLICT DO NOTHING) instead of an error, so many runs can be created in one D1 batch (one
 * transaction) without one loader's live run rolling back the others.
 */
function runStatements(ctx: ServiceContext, loader: Pick<LoaderRow, "id" | "workspaceId">, runId: string, trigger: "manual" | "schedule", triggeredBy: string | null, now: string, skipLive: boolean) {
  const onConflict = skipLive ? sql` ON CONFLICT DO NOTHING RETURNING id, loader_id` : sql``;
  const insert = d1Statement(ctx.env.DB, sql`
    INSERT INTO ${loaderRuns} (id, loader_id, workspace_id, status, "trigger", started_at, rows_loaded, streams_total, streams_failed,
      error_message, triggered_by, streams, snapshot, created_at)
    SELECT ${runId}, l.id, l.workspace_id, 'pending', ${trigger}, ${now}, 0, json_array_length(l.selected_streams), 0,
      '', ${triggeredBy}, ${pendingStreamsSql}, ${snapshotSql}, ${now}
    FROM ${loaders} l JOIN ${sources} src ON src.id = l.source_id AND src.workspace_id = l.workspace_id
    WHERE l.id = ${loader.id} AND l.workspace_id = ${loader.workspaceId} AND l.status <> 'draft'${onConflict}`);
  const stamp = d1Statement(
    ctx.env.DB,
    sql`UPDATE ${loaders} SET last_run_at = ${now}, last_run_id = ${runId} WHERE id = ${loader.id} AND EXISTS (SELECT 1 FROM ${loaderRuns} WHERE id = ${runId})`,
  );
  return [insert, stamp] as const;
}

export async function createRun(ctx: ServiceContext, loader: LoaderRow, trigger: "manual" | "schedule", triggeredBy: string | null) {
  if (loader.status === "draft") throw new AppError("loader_not_ready", loader.statusError || "loader config is incomplete");
  const now = nowIso();
  const runId = newId();
  const [insert, stamp] = runStatements(ctx, loader, runId, trigger, triggeredBy, now, false);
  try {
    await ctx.env.DB.batch([insert, stamp]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("run_in_progress", "a run of this loader is already pending or running");
    throw error;
  }
  const [run] = await ctx.db.select().from(loaderRuns).where(eq(loaderRuns.id, runId)).limit(1);
  if (!run) {
    // The loader changed between the caller's read and the insert: say why with its current row.
    const current = await getLoaderRow(ctx, loader.workspaceId, loader.id);
    if (current.status === "draft") throw new AppError("loader_not_ready", current.statusError || "loader config is incomplete");
    throw new AppError("conflict", "the loader changed while the run was being created; try again");
  }
  await dispatchRun(ctx.env, { runId, loaderId: loader.id, workspaceId: loader.workspaceId });
  return run;
}
export async function triggerRun(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  const loader = await getLoaderRow(ctx, workspaceId, loaderId);
  return createRun(ctx, loader, "manual", ctx.actor.kind === "api_key" ? ctx.actor.keyId : null);
}

// D1 caps a batch's statements (and a Worker invocation's queries); 2 statements a run, 100 runs a batch.
const SCHEDULED_RUNS_PER_BATCH = 100;

/**
 * Creates the scheduled runs of loaders the scheduler has claimed, in D1 batches of many runs each (one round
 * trip per batch instead of three queries per run). A loader with a live run gets no run (the partial unique
 * index, through ON CONFLICT DO NOTHING) and is returned in `skipped`; a loader deleted or turned draft since its
 * claim gets none either. The caller dispatches the created runs.
 */
export async function createScheduledRuns(ctx: ServiceContext, claimed: Pick<LoaderRow, "id" | "workspaceId">[]) {
  const created: { runId: string; loaderId: string; workspaceId: string }[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < claimed.length; i += SCHEDULED_RUNS_PER_BATCH) {
    const group = claimed.slice(i, i + SCHEDULED_RUNS_PER_BATCH);
    const now = nowIso();
    const runIds = group.map(() => newId());
    const statements = group.flatMap((loader, j) => runStatements(ctx, loader, runIds[j]!, "schedule", null, now, true));
    const results = await ctx.env.DB.batch(statements);
    group.forEach((loader, j) => {
      const inserted = (results[2 * j]?.results ?? []) as { id: string }[];
      if (inserted.length > 0) created.push({ runId: runIds[j]!, loaderId: loader.id, workspaceId: loader.workspaceId });
      else skipped.push(loader.id);
    });
  }
  return { created, skipped };
}

