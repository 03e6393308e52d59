import { type Column, getTableColumns, sql } from "drizzle-orm";
import { d1Statement } from "../../db/client";
import { loaderRuns, loaders, sources } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";
import { log } from "../../lib/log";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { dispatchRun } from "../../engine/dispatch";
import type { ServiceContext } from "../context";
import type { LoaderRow } from "../loaders/loader-store";
import { pendingStreamsSql, snapshotSql } from "./run-snapshot";

/**
 * The two statements that create one run: the INSERT … SELECT of the run with its snapshot from the loader and its
 * source (so the snapshot is the loader exactly as it was when the run was created, and a loader deleted or turned
 * draft meanwhile gets no run), and the loader's last-run stamp (applied only if the insert wrote a row). The partial
 * unique index `loader_runs_one_live` guarantees one live run per loader: of two racing triggers (or a trigger racing
 * the scheduler) one inserts, and ON CONFLICT DO NOTHING turns the other's clash into no row instead of an error, so
 * many runs can be created in one D1 batch (one transaction) without one loader's live run rolling back the others.
 */
function runStatements(loader: Pick<LoaderRow, "id" | "workspaceId">, runId: string, trigger: "manual" | "schedule", triggeredBy: string | null, now: string) {
  const insert = sql`
    INSERT INTO ${loaderRuns} (id, loader_id, workspace_id, status, "trigger", started_at, rows_loaded, streams_total, streams_failed,
      error_message, triggered_by, streams, snapshot, created_at)
    SELECT ${runId}, l.id, l.workspace_id, 'pending', ${trigger}, ${now}, 0, json_array_length(l.selected_streams), 0,
      '', ${triggeredBy}, ${pendingStreamsSql}, ${snapshotSql}, ${now}
    FROM ${loaders} l JOIN ${sources} src ON src.id = l.source_id AND src.workspace_id = l.workspace_id
    WHERE l.id = ${loader.id} AND l.workspace_id = ${loader.workspaceId} AND l.status <> 'draft'
    ON CONFLICT DO NOTHING RETURNING id, loader_id`;
  const stamp = sql`UPDATE ${loaders} SET last_run_at = ${now}, last_run_id = ${runId} WHERE id = ${loader.id} AND EXISTS (SELECT 1 FROM ${loaderRuns} WHERE id = ${runId})`;
  return [insert, stamp] as const;
}

/** A `loader_runs` row as D1 answers it (column names), in drizzle's shape, as a select of the table would map it. */
function runFromRow(raw: Record<string, unknown>): typeof loaderRuns.$inferSelect {
  const columns = getTableColumns(loaderRuns) as Record<string, Column>;
  return Object.fromEntries(
    Object.entries(columns).map(([key, column]) => {
      const value = raw[column.name];
      return [key, value === null || value === undefined ? null : column.mapFromDriverValue(value)];
    }),
  ) as typeof loaderRuns.$inferSelect;
}

/**
 * A manual run in one D1 batch (one transaction, one round trip): the loader read, the run inserted with ON CONFLICT
 * DO NOTHING (so a live run yields no row instead of rolling the batch back), the loader's stamp, the loader's live
 * run and the new run read back. The loader as read in the same transaction says why no run was made: 404 for a
 * loader that is not there, loader_not_ready for a draft, run_in_progress for a live run. The RunTracker's start is
 * handed to `defer` (the request's waitUntil): the answer is the run `pending` (DESIGN §2) and needs nothing the start
 * does. A start that fails leaves the run pending, and the scheduler's stuck-run pass starts it again.
 */
export async function triggerRun(ctx: ServiceContext, workspaceId: string, loaderId: string, defer: (work: Promise<unknown>) => void) {
  const now = nowIso();
  const runId = newId();
  const triggeredBy = ctx.actor.kind === "api_key" ? ctx.actor.keyId : null;
  const [insert, stamp] = runStatements({ id: loaderId, workspaceId }, runId, "manual", triggeredBy, now);
  const db = ctx.env.DB;
  const [loaderRead, , , liveRead, runRead] = await db.batch([
    d1Statement(db, sql`SELECT status, status_error FROM ${loaders} WHERE id = ${loaderId} AND workspace_id = ${workspaceId}`),
    d1Statement(db, insert),
    d1Statement(db, stamp),
    d1Statement(db, sql`SELECT id FROM ${loaderRuns} WHERE loader_id = ${loaderId} AND status IN ('pending', 'running') AND id <> ${runId} LIMIT 1`),
    d1Statement(db, sql`SELECT * FROM ${loaderRuns} WHERE id = ${runId}`),
  ]);
  const loader = loaderRead?.results[0] as { status: string; status_error: string } | undefined;
  const live = liveRead?.results[0];
  const raw = runRead?.results[0] as Record<string, unknown> | undefined;
  const run = raw ? runFromRow(raw) : undefined;
  if (!loader) throw notFound("loader");
  if (loader.status === "draft") throw new AppError("loader_not_ready", loader.status_error || "loader config is incomplete");
  if (!run) {
    if (live) throw new AppError("run_in_progress", "a run of this loader is already pending or running");
    throw new AppError("conflict", "the loader changed while the run was being created; try again");
  }
  defer(
    dispatchRun(ctx.env, { runId, loaderId, workspaceId }).catch((error) =>
      log("error", "run failed to start; the scheduler starts it again", { run_id: runId, loader_id: loaderId, error: String(error) }),
    ),
  );
  return run;
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
    const statements = group.flatMap((loader, j) => runStatements(loader, runIds[j]!, "schedule", null, now).map((q) => d1Statement(ctx.env.DB, q)));
    const results = await ctx.env.DB.batch(statements);
    group.forEach((loader, j) => {
      const inserted = (results[2 * j]?.results ?? []) as { id: string }[];
      if (inserted.length > 0) created.push({ runId: runIds[j]!, loaderId: loader.id, workspaceId: loader.workspaceId });
      else skipped.push(loader.id);
    });
  }
  return { created, skipped };
}

