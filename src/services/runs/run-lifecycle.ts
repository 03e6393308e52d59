/**
 * The D1 writes of a run's life, called by the RunTracker (which owns the transitions). Each is conditional on
 * the run still being live, so a late or repeated write can never resurrect a finished run.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { JsonObject } from "../../../connectors/kit/contract";
import { loaderRuns, loaders, streamStates } from "../../db/schema";
import { nowIso } from "../../lib/time";
import type { ServiceContext } from "../context";
import { getLoaderRow, openLoaderConfig, selectedStreamsOf } from "../loaders/loader-store";
import { openSourceConfig, requireSource } from "../sources/source-store";
import type { RunStreamSummary } from "./run-store";

const live = inArray(loaderRuns.status, ["pending", "running"]);

export interface RunProgress {
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  rowsLoaded: number;
  streamsFailed: number;
  errorMessage: string;
  streams: RunStreamSummary[];
  jobId?: string;
  completedAt?: string | null;
}

export async function writeRunProgress(ctx: ServiceContext, runId: string, progress: RunProgress): Promise<boolean> {
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
    })
    .where(and(eq(loaderRuns.id, runId), live))
    .returning({ id: loaderRuns.id });
  return rows.length > 0;
}

/** A configuration failure (credentials rejected, object missing) parks the loader in `error` until a PUT fixes it. */
export async function markLoaderError(ctx: ServiceContext, loaderId: string, message: string) {
  await ctx.db
    .update(loaders)
    .set({ status: "error", statusError: message, nextRunAt: null, updatedAt: nowIso() })
    .where(and(eq(loaders.id, loaderId), inArray(loaders.status, ["active", "paused"])));
}

/** What a run needs to start: the loader's streams and each stream's committed state. */
export async function loadRunPlan(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  const loader = await getLoaderRow(ctx, workspaceId, loaderId);
  const states = await ctx.db.select().from(streamStates).where(eq(streamStates.loaderId, loaderId));
  const stateByStream = new Map(states.map((s) => [s.stream, JSON.parse(s.state) as JsonObject]));
  return {
    loader,
    streams: selectedStreamsOf(loader).map((s) => ({ ...s, state: stateByStream.get(s.name) ?? null })),
  };
}

/** Loader + source with secrets opened: for the consumer, just before it talks to the source and the warehouse. */
export async function loadRunConfigs(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  const loader = await getLoaderRow(ctx, workspaceId, loaderId);
  const source = await requireSource(ctx, workspaceId, loader.sourceId);
  return {
    loader,
    loaderConfig: await openLoaderConfig(ctx, loader),
    source: { source_type: source.sourceType, config: await openSourceConfig(ctx, source) },
  };
}

/** Stream state moves only here, after the data it describes is committed in the warehouse. */
export async function commitStreamState(ctx: ServiceContext, loaderId: string, stream: string, state: JsonObject, runId: string) {
  const now = nowIso();
  await ctx.db
    .insert(streamStates)
    .values({ loaderId, stream, state: JSON.stringify(state), runId, updatedAt: now })
    .onConflictDoUpdate({ target: [streamStates.loaderId, streamStates.stream], set: { state: JSON.stringify(state), runId, updatedAt: now } });
}
