import { and, eq, inArray } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import type { ServiceContext } from "../context";
import type { RunRow } from "./run-store";

/** The runs named by loaders' `last_run_id`, in one query (the dashboard's loader list shows each one's outcome). */
export async function runsById(ctx: ServiceContext, workspaceId: string, runIds: string[]): Promise<Map<string, RunRow>> {
  const found = new Map<string, RunRow>();
  // D1 binds at most 100 parameters per statement.
  for (let start = 0; start < runIds.length; start += 90) {
    const ids = runIds.slice(start, start + 90);
    const rows = await ctx.db
      .select()
      .from(loaderRuns)
      .where(and(eq(loaderRuns.workspaceId, workspaceId), inArray(loaderRuns.id, ids)));
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}
