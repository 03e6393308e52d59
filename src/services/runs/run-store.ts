import { and, eq } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import { notFound } from "../../lib/errors";
import type { ServiceContext } from "../context";

export type RunRow = typeof loaderRuns.$inferSelect;

export interface RunStreamSummary {
  name: string;
  sync_mode: "full_refresh" | "incremental";
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  rows_loaded: number;
  error_message: string;
}

export async function getRunRow(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string): Promise<RunRow> {
  const [row] = await ctx.db
    .select()
    .from(loaderRuns)
    .where(and(eq(loaderRuns.id, runId), eq(loaderRuns.loaderId, loaderId), eq(loaderRuns.workspaceId, workspaceId)))
    .limit(1);
  if (!row) throw notFound("run");
  return row;
}
