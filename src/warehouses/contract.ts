/**
 * The warehouse adapter contract (DESIGN §4). The engine drives one stream of one run through it:
 * `prepareStream` once per stream, `writeBatch` per page (idempotent per batch id), then `finalizeStream`
 * (full_refresh swaps the staging table in) or `abortStream` (staging dropped, target untouched).
 */
import type { RecordSchema, SourceRecord, SyncMode } from "../../connectors/kit/contract";

export interface StreamTarget {
  /** The loader's target_schema as the user wrote it; adapters apply their own case rule. */
  schema: string;
  /** Stream name as the source spells it; adapters derive the table name (snake_case). */
  stream: string;
  sync_mode: SyncMode;
  primary_key: string[];
  cursor_field: string | null;
  json_schema?: RecordSchema;
  /** The run that writes; full_refresh staging tables are per run, so a retried run never sees another's rows. */
  run_id: string;
}

export interface WriteBatch {
  /** Deterministic for (run, stream, chunk, page): a redelivered batch rewrites the same rows, never adds. */
  batch_id: string;
  records: SourceRecord[];
  /** ISO timestamp stored in `_loader_synced_at`. */
  synced_at: string;
}

export interface ConnectionTestStep {
  step: "network" | "authentication" | "authorization" | "query";
  status: "success" | "failed" | "skipped";
  message: string;
}

export interface WarehouseAdapter {
  /** Runs network → authentication → authorization → `SELECT 1`, yielding each step as it completes. */
  testConnection(): AsyncIterable<ConnectionTestStep>;
  prepareStream(target: StreamTarget): Promise<void>;
  writeBatch(target: StreamTarget, batch: WriteBatch): Promise<{ rows_written: number }>;
  finalizeStream(target: StreamTarget): Promise<void>;
  abortStream(target: StreamTarget): Promise<void>;
  close(): Promise<void>;
}
