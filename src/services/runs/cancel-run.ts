import { and, eq, inArray } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { requestCancel } from "../../engine/dispatch";
import type { ServiceContext } from "../context";
import { log } from "../../lib/log";
import { createWarehouse, warehouseDeps } from "../../warehouses";
import { getRunRow } from "./run-store";
import { loadRunConfigs } from "./run-snapshot";

/** The RunTracker owns transitions, so cancel asks it; it answers with the run as it stands afterwards. */
export async function cancelRun(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string) {
  const run = await getRunRow(ctx, workspaceId, loaderId, runId);
  if (run.status !== "pending" && run.status !== "running") {
    throw new AppError("run_not_cancellable", `run is ${run.status}; only pending or running runs can be cancelled`);
  }
  await requestCancel(ctx.env, { runId, loaderId, workspaceId }, "cancelled by user");
  return getRunRow(ctx, workspaceId, loaderId, runId);
}

/** Cancels the loader's live run, if any; answers the ids cancelled. */
export async function cancelLiveRun(ctx: ServiceContext, workspaceId: string, loaderId: string, reason: string): Promise<string[]> {
  const live = await ctx.db
    .select({ id: loaderRuns.id })
    .from(loaderRuns)
    .where(and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["pending", "running"])));
  for (const run of live) await requestCancel(ctx.env, { runId: run.id, loaderId, workspaceId }, reason);
  return live.map((run) => run.id);
}

/**
 * Drops the full_refresh staging tables of a cancelled run, from its snapshot (the target tables are never touched).
 * For a loader being deleted: the consumer that would otherwise find the run cancelled and drop them can no longer
 * read the run. Best effort: a warehouse that cannot be reached keeps a staging table, which is logged.
 */
export async function dropRunStaging(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string): Promise<void> {
  try {
    const plan = await loadRunConfigs(ctx, workspaceId, loaderId, runId);
    const warehouse = createWarehouse(plan.source, warehouseDeps({ warehouseDb: ctx.env.WAREHOUSE, development: ctx.settings.development, hostOverrides: ctx.settings.HOST_OVERRIDES }));
    try {
      for (const stream of plan.streams.filter((s) => s.sync_mode === "full_refresh")) {
        await warehouse.abortStream({ schema: plan.loader.targetSchema, stream: stream.name, sync_mode: "full_refresh", primary_key: [], cursor_field: null, run_id: runId });
      }
    } finally {
      await warehouse.close();
    }
  } catch (error) {
    log("warn", "staging of a cancelled run not dropped", { run_id: runId, error: error instanceof Error ? error.message : String(error) });
  }
}
