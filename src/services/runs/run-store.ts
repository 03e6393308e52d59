import { and, eq } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import { notFound } from "../../lib/errors";
import type { SchemaChange } from "../../warehouses/schema-changes";
import type { ServiceContext } from "../context";

export type RunRow = typeof loaderRuns.$inferSelect;

export interface RunStreamSummary {
  name: string;
  sync_mode: "full_refresh" | "incremental";
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  rows_loaded: number;
  /** Source rows skipped by the loader's own rule (s3 `on_bad_row: "skip"`); absent when none. */
  rows_skipped?: number;
  error_message: string;
  /** Columns the run added to the stream's table and types it widened, as the policy ruled (schema-changes.ts). */
  schema_changes?: SchemaChange[];
  /** Deliveries of the stream's current chunk (1 on a first try); with `last_error`, the attempt that failed. */
  attempts?: number;
  /** The error the stream is being retried for, while it is; empty otherwise. */
  last_error?: string;
  /** When the retry is due (ISO), while one is scheduled. */
  retry_at?: string | null;
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
