import { z } from "zod";
import { COLUMN_TYPES } from "../../warehouses/types";
import type { RunRow, RunStreamSummary } from "../../services/runs/run-store";
import { timestamp, uuid } from "../common";
import { examples } from "../examples";
import { parseUsage } from "../../engine/usage";

const count = (description: string) => z.number().int().nonnegative().describe(description);

/** What a run cost, counted by the engine (engine/usage.ts); the same shape sums runs in the usage report. */
export const usageCounts = z
  .object({
    source_requests: count("HTTP requests to the source API: every attempt and redirect hop, token requests included"),
    source_bytes_received: count("Response body bytes received from the source API"),
    pages: count("Source pages read"),
    rows_written: count("Records written to the warehouse (a retried chunk's records count again)"),
    warehouse_statements: count("Statements and load jobs sent to the warehouse"),
    warehouse_requests: count("HTTP requests to a REST warehouse (Snowflake, BigQuery, Databricks)"),
    d1_rows_read: count("Rows the embedded D1 warehouse reported read"),
    d1_rows_written: count("Rows the embedded D1 warehouse reported written"),
    queue_messages_sent: count("Chunk messages sent to the queue"),
    queue_messages_received: count("Chunk deliveries received by consumers, retries and dead letters included"),
    durable_object_requests: count("Durable Object requests: RPC calls to the run's tracker, the loader's budget and token keeper, and alarms"),
    durable_object_wall_ms: count("Wall time of those calls as the caller saw them (the duration estimate's basis)"),
    worker_invocations: count("Queue consumer invocations"),
    chunk_wall_ms: count("Wall time of the run's chunks"),
    chunk_cpu_ms_estimated: count("CPU time, estimated as the chunks' wall time (workerd exposes no CPU clock): an upper bound"),
  })
  .describe("Usage counts");

const runStatus = z.enum(["pending", "running", "completed", "failed", "cancelled"]);

const columnType = z.enum(COLUMN_TYPES);

export const runBody = z.object({
  id: uuid,
  loader_id: uuid,
  workspace_id: uuid,
  status: runStatus,
  trigger: z.enum(["manual", "schedule"]),
  started_at: timestamp.describe("When the run was started (triggered)"),
  completed_at: timestamp.nullable(),
  rows_loaded: z.number().int(),
  streams_total: z.number().int(),
  streams_failed: z.number().int(),
  error_message: z.string(),
  triggered_by: uuid.nullable().describe("The API key that triggered it; null for scheduled runs"),
  job_id: z.string().nullable().describe("The RunTracker Durable Object that executes the run"),
  streams: z.array(
    z.object({
      name: z.string(),
      sync_mode: z.enum(["full_refresh", "incremental"]),
      status: runStatus,
      rows_loaded: z.number().int(),
      rows_skipped: z.number().int().optional().describe("Source rows skipped by the loader's rule (s3 on_bad_row: skip: malformed rows); absent when none"),
      error_message: z.string(),
      schema_changes: z
        .array(
          z.object({
            column: z.string().describe("The column as the warehouse names it (normalized)"),
            change: z.enum(["column_added", "type_changed"]),
            type: columnType.describe("The column's type after the change"),
            from: columnType.optional().describe("Its type before (type_changed)"),
            decision: z.enum(["allowed", "blocked"]).describe("What the loader's schema_change_policy decided; a blocked change failed the stream and left the table as it was"),
          }),
        )
        .optional()
        .describe("Columns this run added to the stream's table and types it widened; absent when none"),
      attempts: z.number().int().optional().describe("Deliveries of the stream's current chunk; above 1 while it is being retried"),
      last_error: z.string().optional().describe("The error the stream is being retried for, while a retry is scheduled"),
      retry_at: timestamp.nullable().optional().describe("When the scheduled retry is due"),
    }),
  ),
  usage: usageCounts,
  estimated_cost_usd: z.number().nonnegative().describe("The usage at Cloudflare's published Workers Paid prices beyond the included allowances (README, Usage and cost)"),
  created_at: timestamp,
}).meta({ examples: [examples.run] });

export function runResponse(row: RunRow): z.infer<typeof runBody> {
  return {
    id: row.id,
    loader_id: row.loaderId,
    workspace_id: row.workspaceId,
    status: row.status,
    trigger: row.trigger,
    started_at: row.startedAt ?? row.createdAt,
    completed_at: row.completedAt,
    rows_loaded: row.rowsLoaded,
    streams_total: row.streamsTotal,
    streams_failed: row.streamsFailed,
    error_message: row.errorMessage,
    triggered_by: row.triggeredBy,
    job_id: row.jobId,
    streams: JSON.parse(row.streams) as RunStreamSummary[],
    usage: parseUsage(row.usage),
    estimated_cost_usd: row.estimatedCostUsd ?? 0,
    created_at: row.createdAt,
  };
}
