import { z } from "zod";
import type { RunRow, RunStreamSummary } from "../../services/runs/run-store";
import { timestamp, uuid } from "../common";
import { examples } from "../examples";

const runStatus = z.enum(["pending", "running", "completed", "failed", "cancelled"]);

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
      error_message: z.string(),
      attempts: z.number().int().optional().describe("Deliveries of the stream's current chunk; above 1 while it is being retried"),
      last_error: z.string().optional().describe("The error the stream is being retried for, while a retry is scheduled"),
      retry_at: timestamp.nullable().optional().describe("When the scheduled retry is due"),
    }),
  ),
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
    created_at: row.createdAt,
  };
}
