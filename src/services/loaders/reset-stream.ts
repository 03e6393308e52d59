/**
 * Resetting a stream clears its committed state (the incremental cursor), so the next run reads it in full and merges
 * by primary key; for a full_refresh stream, which keeps no state, nothing changes. Refused while a run is live:
 * that run would commit its cursor afterwards and undo the reset.
 */
import { and, eq, inArray, notExists } from "drizzle-orm";
import { loaderRuns, streamStates } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";
import { didYouMean } from "../../lib/close-matches";
import { requireRole, type ServiceContext } from "../context";
import { getLoaderRow, selectedStreamsOf } from "./loader-store";

export async function resetStream(ctx: ServiceContext, workspaceId: string, loaderId: string, streamName: string) {
  requireRole(ctx, "admin");
  const loader = await getLoaderRow(ctx, workspaceId, loaderId);
  const selected = selectedStreamsOf(loader);
  const stream = selected.find((s) => s.name === streamName);
  if (!stream) throw notFound(`stream "${streamName}" of this loader${didYouMean(streamName, selected.map((s) => s.name))}`);
  const live = and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["pending", "running"]));
  // The no-live-run condition is part of the DELETE: a run starting at the same moment cannot slip in between.
  const removed = await ctx.db
    .delete(streamStates)
    .where(and(eq(streamStates.loaderId, loaderId), eq(streamStates.stream, streamName), notExists(ctx.db.select({ id: loaderRuns.id }).from(loaderRuns).where(live))))
    .returning({ stream: streamStates.stream });
  const [running] = removed.length > 0 ? [] : await ctx.db.select({ id: loaderRuns.id }).from(loaderRuns).where(live).limit(1);
  if (running) throw new AppError("run_in_progress", `run ${running.id} is live; reset the stream after it ends (or cancel it)`);
  return { stream: streamName, sync_mode: stream.sync_mode, had_state: removed.length > 0 };
}
