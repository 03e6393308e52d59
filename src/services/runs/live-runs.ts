import { eq } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import type { ServiceContext } from "../context";

/** Runs in `running`, oldest first, at most `limit` (the engine's minute-by-minute check of their watchdogs). */
export async function liveRuns(ctx: ServiceContext, limit = 500): Promise<Array<{ runId: string; loaderId: string; workspaceId: string }>> {
  const rows = await ctx.db
    .select({ runId: loaderRuns.id, loaderId: loaderRuns.loaderId, workspaceId: loaderRuns.workspaceId })
    .from(loaderRuns)
    .where(eq(loaderRuns.status, "running"))
    .orderBy(loaderRuns.createdAt)
    .limit(limit);
  return rows;
}
