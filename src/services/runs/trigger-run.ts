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
export async function createRun(ctx: ServiceContext, loader: LoaderRow, trigger: "manual" | "schedule", triggeredBy: string | null) {
  if (loader.status === "draft") throw new AppError("loader_not_ready", loader.statusError || "loader config is incomplete");
  const now = nowIso();
  const runId = newId();
  const insert = d1Statement(ctx.env.DB, sql`
    INSERT INTO ${loaderRuns} (id, loader_id, workspace_id, status, "trigger", started_at, rows_loaded, streams_total, streams_failed,
      error_message, triggered_by, streams, snapshot, created_at)
    SELECT ${runId}, l.id, l.workspace_id, 'pending', ${trigger}, ${now}, 0, json_array_length(l.selected_streams), 0,
      '', ${triggeredBy}, ${pendingStreamsSql}, ${snapshotSql}, ${now}
    FROM ${loaders} l JOIN ${sources} src ON src.id = l.source_id AND src.workspace_id = l.workspace_id
    WHERE l.id = ${loader.id} AND l.workspace_id = ${loader.workspaceId} AND l.status <> 'draft'`);
  const stamp = d1Statement(
    ctx.env.DB,
    sql`UPDATE ${loaders} SET last_run_at = ${now}, last_run_id = ${runId} WHERE id = ${loader.id} AND EXISTS (SELECT 1 FROM ${loaderRuns} WHERE id = ${runId})`,
  );
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
