import { and, eq, inArray } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { requestCancel } from "../../engine/dispatch";
import type { ServiceContext } from "../context";
import { getRunRow } from "./run-store";

/** The RunTracker owns transitions, so cancel asks it; it answers with the run as it stands afterwards. */
export async function cancelRun(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string) {
  const run = await getRunRow(ctx, workspaceId, loaderId, runId);
  if (run.status !== "pending" && run.status !== "running") {
    throw new AppError("run_not_cancellable", `run is ${run.status}; only pending or running runs can be cancelled`);
  }
  await requestCancel(ctx.env, { runId, loaderId, workspaceId }, "cancelled by user");
  return getRunRow(ctx, workspaceId, loaderId, runId);
}

export async function cancelLiveRun(ctx: ServiceContext, workspaceId: string, loaderId: string, reason: string) {
  const live = await ctx.db
    .select({ id: loaderRuns.id })
    .from(loaderRuns)
    .where(and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["pending", "running"])));
  for (const run of live) await requestCancel(ctx.env, { runId: run.id, loaderId, workspaceId }, reason);
}
