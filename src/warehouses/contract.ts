/**
 * The warehouse adapter contract (DESIGN §3, §4, §4.1). The engine drives one stream of one run through it:
 *
 *   prepareStream                      once per chunk attempt (creates the table, or the run's full_refresh table)
 *   stage(batch) … stage(batch)        each write group of the chunk, in order, under deterministic batch ids
 *   commit({ chunk_id, batch_ids })    the chunk's staged batches merged once; only then is the checkpoint reported
 *   finalizeStream | abortStream       at the stream's end (full_refresh swaps its table in) or on cancel/failure
 *   close
 *
 * Rules every adapter keeps, so that a queue that redelivers any chunk at any point never loses or doubles a row:
 * - `stage` is idempotent per `batch_id`: staging a batch id again REPLACES what was staged under it (never adds).
 *   A redelivered chunk restarts from the last reported checkpoint and so restages the same pages under the same
 *   ids (a group closes at a row count or where the chunk ends, and is named by its first page: a group cut at
 *   another page by a time budget still replaces the one staged under its id).
 * - `commit` merges exactly the batches it names — rows a killed attempt staged under other ids are never merged —
 *   and is idempotent: committing the same batches again leaves the target as one commit did. Keyed streams merge
 *   by primary key with one source row per key (the newest by cursor; on a tie the later batch, then the later
 *   record); keyless streams replace the target rows carrying any of the committed batch ids.
 * - Keyless streams and `replaces_from`: an earlier attempt of a chunk may have committed groups whose report was
 *   lost, cut at other pages (a time budget ends a chunk where it falls). The first write of an attempt (the first
 *   `stage` of a "batch" adapter, the `commit` of a "chunk" adapter) carries the page the attempt started from, and
 *   the adapter first removes every row this run wrote for the stream under a batch id of that page or later
 *   (`batchIdRange`). Keyed streams need nothing: the re-read rewrites the same keys.
 * - The engine reports a chunk's checkpoint (and state) only after `commit` resolved: the checkpoint describes
 *   committed data only. A consumer killed between stage and commit leaves staged rows that no report describes;
 *   the redelivery restages and commits them (no loss), under the same ids (no duplicate).
 * - `commitScope` says where the engine places commits. "batch": `stage` writes straight into the target and is
 *   durable and idempotent when it resolves (D1, PostgreSQL: one set-based upsert per group), `commit` only
 *   confirms, so the engine commits and reports after every group, as often as it reads. "chunk": staging is
 *   invisible until `commit` (Snowflake, BigQuery, Databricks: a per-run staging table or load jobs, then one
 *   MERGE), so the engine stages every group of the chunk and commits once, at the chunk's end, before reporting.
 * - `stageConcurrency` (1 where absent): how many `stage` calls of one keyed stream a "batch" adapter takes at once.
 *   Above 1 the engine stages a group while the one before it is still being written, and reports each group in
 *   order once its own stage resolved (PostgreSQL: two connections, about 1.6x the rows a server writes per second).
 * - Every failure leaves an adapter as a WarehouseError (errors.ts) classified configuration / retryable / data;
 *   the engine fails the stream at once on configuration and data, and retries the chunk on retryable.
 * - Statements or jobs sent to a remote warehouse carry ids derived from (run, stream, chunk, batch), so a
 *   re-submission after a lost answer is recognised by the warehouse (Snowflake `requestId` + `retry=true`,
 *   BigQuery `jobReference.jobId`, Databricks a deterministic staging name).
 */
import type { z } from "zod";
import type { CopyTextRows, RecordSchema, SourceRecord, SyncMode } from "../../connectors/kit/contract";
import type { HttpClient } from "../../connectors/kit/http";
import type { SchemaWatch } from "./schema-changes";
import type { StatementObserver } from "./sql";

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
  /**
   * The loader's schema_change_policy and where the changes are reported (schema-changes.ts). planLoad holds every
   * added column and changed type against it before the adapter sends DDL; absent (previews, cleanup), nothing is held.
   */
  schema_watch?: SchemaWatch;
}

export interface WriteBatch {
  /** Deterministic for (run, stream, first page of the group): a redelivered batch replaces, never adds. */
  batch_id: string;
  records: SourceRecord[];
  /**
   * The group's pages as COPY text, where every one of them came so (kit/contract.ts CopyTextRows): an adapter
   * may load these instead of `records`, which are then decoded only if it reads them.
   */
  copy_text?: CopyTextRows[];
  /** ISO timestamp stored in `_loader_synced_at`. */
  synced_at: string;
  /** Keyless streams: first remove this run's rows of the stream from batches of this page sequence on (see above). */
  replaces_from?: number;
}

export interface ChunkCommit {
  /** Deterministic for (run, stream, chunk sequence): remote adapters derive statement/job ids from it. */
  chunk_id: string;
  /** The batches this attempt staged, in staging order; the only ones the commit merges. */
  batch_ids: string[];
  /** Keyless streams: first remove this run's rows of the stream from batches of this page sequence on (see above). */
  replaces_from?: number;
}

export type CommitScope = "batch" | "chunk";

export interface ConnectionTestStep {
  step: "network" | "authentication" | "authorization" | "query";
  status: "success" | "failed" | "skipped";
  message: string;
}

export interface WarehouseAdapter {
  readonly commitScope: CommitScope;
  /** Stages of one keyed stream the adapter writes side by side (see above); 1 where absent. */
  readonly stageConcurrency?: number;
  /** Whether `stage` reads a batch's `copy_text`: pages make it only for an adapter that does. */
  readonly loadsCopyText?: boolean;
  /** Runs network → authentication → authorization → `SELECT 1`, yielding each step as it completes. */
  testConnection(): AsyncIterable<ConnectionTestStep>;
  prepareStream(target: StreamTarget): Promise<void>;
  /** Idempotent per batch id; `rows_staged` counts the rows written (a direct adapter: inserted or updated). */
  stage(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }>;
  /** Merges the named staged batches into the stream's write table; idempotent. */
  commit(target: StreamTarget, chunk: ChunkCommit): Promise<void>;
  finalizeStream(target: StreamTarget): Promise<void>;
  abortStream(target: StreamTarget): Promise<void>;
  close(): Promise<void>;
}

/** What createWarehouse gives an adapter besides its config. */
export interface WarehouseDeps {
  /** The Worker's own WAREHOUSE database (the `d1` type). */
  warehouseDb: D1Database;
  development: boolean;
  /**
   * The kit's http client (connectors/kit/http.ts createHttpClient, with HOST_OVERRIDES applied) for warehouses
   * reached over REST. Adapters derive their own with `extend({ baseUrl, auth, classifyError })`; the client's
   * ConnectorErrors become WarehouseErrors through `warehouseErrorFrom` (errors.ts).
   */
  http?: HttpClient;
  /** Aborted at the chunk budget or when the chunk ends; long statements are cancelled or left to finish remotely. */
  signal?: AbortSignal;
  /** Sees every statement with its bound values (tests, debugging). */
  onStatement?: StatementObserver;
  /** Injectable clock for polling (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A warehouse type's config, defined once in `src/warehouses/<type>/spec.ts`: the sources API validates a saved
 * config with it (400 with these paths) and createWarehouse parses the stored config with it again.
 */
// biome-ignore lint/suspicious/noExplicitAny: the table of every type's spec holds configs of different shapes.
export interface WarehouseSpec<C = any> {
  type: string;
  title: string;
  config: z.ZodType<C, unknown>;
  /** Config fields sealed at rest and never returned by the API. */
  secret_fields: readonly string[];
  /** Rules that depend on the deployment (development mode), not the config alone; paths are inside `config`. */
  check?: (config: C, context: { development: boolean }) => Array<{ path: string; message: string }>;
}

/** The batch id of a write group: the run, the stream and the page sequence of the group's first page. */
export function batchIdFor(runId: string, stream: string, firstPageSeq: number): string {
  return `${runId}:${stream}:${firstPageSeq}`;
}

/**
 * Every batch id of one run's stream lies in `[low, high)`: ids are `low` followed by the page sequence's digits,
 * and digits sort below "~", so a range on the indexed batch id column finds them; the sequence is what follows
 * `low` (in SQL: `substr(id, length(low) + 1)`, measured in the database's own characters).
 */
export function batchIdRange(runId: string, stream: string): { low: string; high: string } {
  const low = `${runId}:${stream}:`;
  return { low, high: `${low}~` };
}

/** The chunk id commits carry: the run, the stream and the chunk sequence the queue message names. */
export function chunkIdFor(runId: string, stream: string, chunk: number): string {
  return `${runId}:${stream}:c${chunk}`;
}
