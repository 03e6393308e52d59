import { eq } from "drizzle-orm";
import { loaderRuns, loaders } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { dispatchRun } from "../../engine/dispatch";
import type { ServiceContext } from "../context";
import { getLoaderRow, selectedStreamsOf, type LoaderRow } from "../loaders/loader-store";
import type { RunStreamSummary } from "./run-store";

function isUniqueViolation(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  return /UNIQUE constraint failed/i.test(text);
}

/**
 * Creates the `pending` run and hands it to the engine. The partial unique index `loader_runs_one_live` is what
 * guarantees one live run per loader: two racing triggers (or a trigger racing the scheduler) cannot both insert.
 */
export async function createRun(ctx: ServiceContext, loader: LoaderRow, trigger: "manual" | "schedule", triggeredBy: string | null) {
  if (loader.status === "draft") throw new AppError("loader_not_ready", loader.statusError || "loader config is incomplete");
  const now = nowIso();
  const streams: RunStreamSummary[] = selectedStreamsOf(loader).map((s) => ({
    name: s.name,
    sync_mode: s.sync_mode,
    status: "pending",
    rows_loaded: 0,
    error_message: "",
  }));
  const run = {
    id: newId(),
    loaderId: loader.id,
    workspaceId: loader.workspaceId,
    status: "pending" as const,
    trigger,
    startedAt: now,
    completedAt: null,
    rowsLoaded: 0,
    streamsTotal: streams.length,
    streamsFailed: 0,
    errorMessage: "",
    triggeredBy,
    jobId: null,
    streams: JSON.stringify(streams),
    createdAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(loaderRuns).values(run),
      ctx.db.update(loaders).set({ lastRunAt: now, lastRunId: run.id }).where(eq(loaders.id, loader.id)),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("run_in_progress", "a run of this loader is already pending or running");
    throw error;
  }
  await dispatchRun(ctx.env, { runId: run.id, loaderId: loader.id, workspaceId: loader.workspaceId });
  return run;
}

export async function triggerRun(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  const loader = await getLoaderRow(ctx, workspaceId, loaderId);
  return createRun(ctx, loader, "manual", ctx.actor.kind === "api_key" ? ctx.actor.keyId : null);
}
