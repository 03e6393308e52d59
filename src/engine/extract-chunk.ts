/**
 * One queue delivery = one chunk of one stream: claim it from the RunTracker, read pages from the connector
 * starting at the stream's checkpoint, write each to the warehouse, report each to the tracker, and stop at the
 * chunk budget (the tracker enqueues the next chunk) or at the end of the stream (finalize, then complete).
 * The next page is fetched while the current one is written: the page round trip dominates a sequential loop
 * (research/verified-here.md, throughput calibration).
 * It returns an outcome; only the queue loop decides ack or retry.
 */
import { catalogFor, connectorFor } from "../../connectors/registry";
import type { ConnectorContext, JsonObject, Page, StreamSpec } from "../../connectors/kit/contract";
import { ConnectorError, isConnectorError } from "../../connectors/kit/errors";
import { createHttpClient } from "../../connectors/kit/http";
import type { Env } from "../env";
import { settings } from "../env";
import { log } from "../lib/log";
import { serviceContext } from "../services/context";
import { loadRunConfigs } from "../services/runs/run-lifecycle";
import { createWarehouse, isWarehouseError } from "../warehouses";
import { type StreamTarget, type WarehouseAdapter, batchIdFor, chunkIdFor } from "../warehouses/contract";
import { runTracker } from "./dispatch";
import type { ExtractMessage } from "./messages";
import { tokenStoreFor } from "./token-store";

export type ChunkOutcome = { action: "ack"; note: string } | { action: "retry"; delaySeconds: number; note: string };

/** Records per warehouse write: ten 100-record pages, which loads PostgreSQL ~1.5x faster than page-sized writes. */
export const WRITE_BATCH_ROWS = 1000;

export interface ChunkBudget {
  maxPages: number;
  maxMilliseconds: number;
}

export function retryDelaySeconds(attempts: number, hinted?: number): number {
  if (hinted && hinted > 0) return Math.min(Math.ceil(hinted), 3600);
  // Exponential with a cap: 2, 4, 8 … 300 s, so a flapping source is retried for about half an hour in all.
  return Math.min(2 ** Math.max(1, attempts), 300);
}

/**
 * The stream's spec: from the static or config-derived catalog, else from the source's live discovery (databases,
 * Salesforce custom objects). Discovery runs once per run; the tracker remembers the result for later chunks.
 */
async function resolveStream(connectorCtx: ConnectorContext, type: string, config: JsonObject, name: string): Promise<StreamSpec> {
  const connector = connectorFor(type)!;
  const listed = catalogFor(connector, config)?.find((s) => s.name === name);
  if (listed) return listed;
  const discovered = connector.discover ? (await connector.discover(connectorCtx, config)).find((s) => s.name === name) : undefined;
  if (!discovered) throw new ConnectorError("configuration", `stream "${name}" is not available from this ${type} source`);
  return discovered;
}

/**
 * A run cancelled between two chunks leaves its full_refresh staging table behind: the delivery that finds the
 * run cancelled removes it (the target table is never touched).
 */
async function dropStaging(env: Env, message: ExtractMessage): Promise<void> {
  const ctx = serviceContext(env, { kind: "system", reason: "engine" });
  const { loader, source } = await loadRunConfigs(ctx, message.workspaceId, message.loaderId, message.runId);
  const warehouse = createWarehouse(source, { warehouseDb: env.WAREHOUSE, development: settings(env).development });
  try {
    await warehouse.abortStream({
      schema: loader.targetSchema,
      stream: message.stream,
      sync_mode: "full_refresh",
      primary_key: [],
      cursor_field: null,
      run_id: message.runId,
    });
  } finally {
    await warehouse.close();
  }
}

export interface Delivery {
  id: string;
  attempts: number;
}

export async function extractChunk(env: Env, message: ExtractMessage, delivery: Delivery, budget: ChunkBudget): Promise<ChunkOutcome> {
  const tracker = runTracker(env, message.runId);
  const claim = await tracker.claim(message, delivery.id);
  if (!claim.ok) {
    if (claim.reason === "cancelled" && claim.syncMode === "full_refresh") await dropStaging(env, message);
    return { action: "ack", note: `dropped: ${claim.reason}` };
  }
  const { leaseToken } = claim;
  const ctx = serviceContext(env, { kind: "system", reason: "engine" });
  const { loader, loaderConfig, source } = await loadRunConfigs(ctx, message.workspaceId, message.loaderId, message.runId);
  const connector = connectorFor(loader.loaderType);
  if (!connector) {
    await tracker.failStream(message.stream, message.chunk, `the ${loader.loaderType} reader is not built yet in this version of Loaders`, "data");
    return { action: "ack", note: "no reader" };
  }

  const abort = new AbortController();
  const connectorCtx: ConnectorContext = {
    http: createHttpClient({ hostOverrides: settings(env).HOST_OVERRIDES, development: settings(env).development, signal: abort.signal }),
    signal: abort.signal,
    now: () => new Date(),
    development: settings(env).development,
    tokens: tokenStoreFor(env, { workspaceId: message.workspaceId, loaderId: message.loaderId }),
  };
  let warehouse: WarehouseAdapter | undefined;
  let target: StreamTarget | undefined;
  try {
    let stream: StreamSpec;
    if (claim.specJson) {
      stream = JSON.parse(claim.specJson) as StreamSpec;
    } else {
      stream = await resolveStream(connectorCtx, loader.loaderType, loaderConfig, message.stream);
      await tracker.rememberStreamSpec(message.stream, message.chunk, leaseToken, JSON.stringify(stream));
    }
    warehouse = createWarehouse(source, { warehouseDb: env.WAREHOUSE, development: settings(env).development });
    target = {
      schema: loader.targetSchema,
      stream: stream.name,
      sync_mode: claim.syncMode,
      primary_key: stream.primary_key,
      cursor_field: stream.cursor_field,
      json_schema: stream.json_schema,
      run_id: message.runId,
    };
    await warehouse.prepareStream(target);

    if (!claim.exhausted) {
      const pages = connector.read(connectorCtx, loaderConfig, {
        stream,
        sync_mode: claim.syncMode,
        state: claim.syncMode === "incremental" && claim.stateJson ? (JSON.parse(claim.stateJson) as JsonObject) : null,
        checkpoint: claim.checkpointJson ? (JSON.parse(claim.checkpointJson) as JsonObject) : null,
      })[Symbol.asyncIterator]();
      const started = Date.now();
      let pageSeq = claim.pages;
      let pagesThisChunk = 0;
      const batch: Page[] = [];
      let batchRows = 0;
      // Pages are written in groups of at least WRITE_BATCH_ROWS records: one warehouse round trip and one report
      // per group instead of per page. A group closes only on its row count or the stream's end, so re-reading from
      // a checkpoint regroups the same pages under the same batch id (the page sequence of its first page).
      // Each group is staged; a commit makes the staged groups the target's, and only then is the checkpoint reported
      // (warehouses/contract.ts): after every group where staging writes the target directly (commitScope "batch"),
      // once at the chunk's end where it does not ("chunk").
      const chunkId = chunkIdFor(message.runId, stream.name, message.chunk);
      const staged: string[] = [];
      let unreported: { rows: number; pages: number; checkpoint: JsonObject; state?: JsonObject } | null = null;
      const flush = async (closesChunk: boolean) => {
        const records = batch.flatMap((p) => p.records);
        if (records.length > 0) {
          const batchId = batchIdFor(message.runId, stream.name, pageSeq);
          await warehouse!.stage(target!, { batch_id: batchId, records, synced_at: new Date().toISOString() });
          staged.push(batchId);
        }
        const checkpoint = batch[batch.length - 1]?.checkpoint ?? unreported!.checkpoint;
        const state = [...batch].reverse().find((p) => p.state)?.state ?? unreported?.state;
        pageSeq += batch.length;
        unreported = {
          rows: (unreported?.rows ?? 0) + records.length,
          pages: (unreported?.pages ?? 0) + batch.length,
          checkpoint,
          ...(state ? { state } : {}),
        };
        batch.length = 0;
        batchRows = 0;
        if (warehouse!.commitScope === "chunk" && !closesChunk) return { continue: true } as const;
        if (staged.length > 0) await warehouse!.commit(target!, { chunk_id: chunkId, batch_ids: [...staged] });
        staged.length = 0;
        const report = unreported;
        unreported = null;
        return tracker.reportPage(message.stream, message.chunk, leaseToken, report);
      };
      let pending: Promise<IteratorResult<Page>> = pages.next();
      try {
        for (;;) {
          const result = await pending;
          if (result.done) break;
          batch.push(result.value);
          batchRows += result.value.records.length;
          pagesThisChunk += 1;
          const closesGroup = batchRows >= WRITE_BATCH_ROWS;
          const endsChunk = closesGroup && (pagesThisChunk >= budget.maxPages || Date.now() - started >= budget.maxMilliseconds);
          // Prefetch: the next request is in flight while this page is grouped, written and reported — unless the
          // chunk ends with this group, when the page would be thrown away and read again by the next chunk.
          if (!endsChunk) {
            pending = pages.next();
            pending.catch(() => undefined);
          }
          if (!closesGroup) continue;
          const reported = await flush(endsChunk);
          if (!reported.continue) {
            if (reported.reason === "cancelled") await warehouse.abortStream(target).catch(() => undefined);
            return { action: "ack", note: `stopped: ${reported.reason}` };
          }
          if (endsChunk) {
            await tracker.endChunk(message.stream, message.chunk, leaseToken);
            return { action: "ack", note: "chunk budget spent; next chunk enqueued" };
          }
        }
        if (batch.length > 0 || unreported) {
          const reported = await flush(true);
          if (!reported.continue) {
            if (reported.reason === "cancelled") await warehouse.abortStream(target).catch(() => undefined);
            return { action: "ack", note: `stopped: ${reported.reason}` };
          }
        }
      } finally {
        abort.abort();
        await pages.return?.().catch(() => undefined);
      }
      await tracker.markExhausted(message.stream, message.chunk, leaseToken);
    }

    await warehouse.finalizeStream(target);
    await tracker.completeStream(message.stream, message.chunk, leaseToken);
    return { action: "ack", note: "stream completed" };
  } catch (error) {
    // Source and warehouse failures are classified alike (kit/errors.ts, warehouses/errors.ts): configuration and
    // data fail the stream at once (configuration also puts the loader in `error`); retryable ones retry the chunk.
    if ((isConnectorError(error) || isWarehouseError(error)) && error.kind !== "retryable") {
      if (warehouse && target) await warehouse.abortStream(target).catch(() => undefined);
      await tracker.failStream(message.stream, message.chunk, error.message, error.kind);
      return { action: "ack", note: `stream failed (${error.kind})` };
    }
    const text = error instanceof Error ? error.message : String(error);
    const hinted = isConnectorError(error) || isWarehouseError(error) ? error.details.retryAfterSeconds : undefined;
    await tracker.noteRetry(message.stream, text);
    log("warn", "chunk will be retried", { run_id: message.runId, stream: message.stream, chunk: message.chunk, attempts: delivery.attempts, error: text });
    return { action: "retry", delaySeconds: retryDelaySeconds(delivery.attempts, hinted), note: text };
  } finally {
    abort.abort();
    await warehouse?.close().catch(() => undefined);
  }
}
