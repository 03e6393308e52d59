/**
 * One queue delivery = one chunk of one stream: claim it from the RunTracker, read pages from the connector
 * starting at the stream's checkpoint, write each to the warehouse, report each to the tracker, and stop at the
 * chunk budget (the tracker enqueues the next chunk), when the read asks to come back later (the next chunk is
 * enqueued with that delay: a job still running, a shared budget with no grant soon), or at the end of the stream
 * (finalize, then complete). While it works the chunk heartbeats its lease (chunk-lease.ts).
 * The next page is fetched while the current one is written: the page round trip dominates a sequential loop
 * (research/verified-here.md, throughput calibration).
 * It returns an outcome; only the queue loop decides ack or retry.
 */
import { catalogFor } from "../../connectors/registry";
import { type Connector, type ConnectorContext, type JsonObject, type Page, type SourceRecord, type StreamSpec, isResumeLater } from "../../connectors/kit/contract";
import { ConnectorError, isConnectorError } from "../../connectors/kit/errors";
import { createHttpClient } from "../../connectors/kit/http";
import type { Env } from "../env";
import { settings } from "../env";
import { log } from "../lib/log";
import { serviceContext } from "../services/context";
import { loadRunConfigs } from "../services/runs/run-lifecycle";
import { syncModeProblem } from "../services/loaders/validate-loader";
import { AppError } from "../lib/errors";
import { createWarehouse, isWarehouseError, warehouseDeps } from "../warehouses";
import { type StreamTarget, type WarehouseAdapter, type WriteBatch, batchIdFor, chunkIdFor } from "../warehouses/contract";
import type { SchemaChange } from "../warehouses/schema-changes";
import { chunkBudgetFor } from "./budget-client";
import { holdLease } from "./chunk-lease";
import { type EngineDeps, engineDeps } from "./deps";
import { runTracker } from "./dispatch";
import { MAX_RANGES } from "./run-tracker";
import type { ExtractMessage } from "./messages";
import { retryDelaySeconds } from "./retry-delay";
import { tokenStoreFor } from "./token-store";
import { ChunkMeter } from "./usage";

export type ChunkOutcome = { action: "ack"; note: string } | { action: "retry"; delaySeconds: number; note: string };

/** Records per warehouse write: ten 100-record pages, which loads PostgreSQL ~1.5x faster than page-sized writes. */
export const WRITE_BATCH_ROWS = 1000;

export interface ChunkBudget {
  maxPages: number;
  maxMilliseconds: number;
}

/**
 * The stream's spec: from the static or config-derived catalog, else from the source's live discovery (databases,
 * Salesforce custom objects). Discovery runs once per run; the tracker remembers the result for later chunks.
 */
async function resolveStream(connectorCtx: ConnectorContext, connector: Connector<JsonObject>, config: JsonObject, name: string): Promise<StreamSpec> {
  const type = connector.type;
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
  // The run is gone with its deleted loader, whose delete dropped the staging itself (services/loaders/crud.ts).
  const configs = await loadRunConfigs(ctx, message.workspaceId, message.loaderId, message.runId).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") return null;
    throw error;
  });
  if (!configs) return;
  const { loader, source } = configs;
  const warehouse = createWarehouse(source, warehouseDeps({ warehouseDb: env.WAREHOUSE, development: settings(env).development, hostOverrides: settings(env).HOST_OVERRIDES }));
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

export async function extractChunk(env: Env, message: ExtractMessage, delivery: Delivery, budget: ChunkBudget, deps: EngineDeps = engineDeps): Promise<ChunkOutcome> {
  const { clock } = deps;
  const tracker = runTracker(env, message.runId);
  const claim = await tracker.claim(message, delivery.id);
  if (!claim.ok) {
    if (claim.reason === "cancelled" && claim.syncMode === "full_refresh") await dropStaging(env, message);
    return { action: "ack", note: `dropped: ${claim.reason}` };
  }
  const { leaseToken } = claim;
  // The claim itself is counted by the tracker (a delivery, an invocation, a request); the rest of the chunk here.
  const meter = new ChunkMeter(clock.now);
  const counted = meter.env(env);
  const ctx = serviceContext(env, { kind: "system", reason: "engine" });
  const { loader, loaderConfig, source } = await loadRunConfigs(ctx, message.workspaceId, message.loaderId, message.runId);
  const connector = deps.connectorFor(loader.loaderType);
  const tracked = runTracker(counted, message.runId);
  if (!connector) {
    await tracked.failStream(message.stream, message.chunk, `the ${loader.loaderType} reader is not built yet in this version of Loaders`, "data", meter.snapshot(), undefined, message.lane);
    return { action: "ack", note: "no reader" };
  }

  const config = settings(env);
  const lease = holdLease(tracked, message, leaseToken, { leaseMs: config.LEASE_SECONDS * 1000, budgetMs: budget.maxMilliseconds });
  const signal = lease.signal;
  const shared = chunkBudgetFor(counted, message.loaderId, { clock, signal, maxWaitSeconds: config.BUDGET_MAX_WAIT_SECONDS });
  const connectorCtx: ConnectorContext = {
    http: createHttpClient({
      hostOverrides: config.HOST_OVERRIDES,
      development: config.development,
      signal,
      sleep: (ms) => clock.sleep(ms, signal),
      random: clock.random,
      now: clock.now,
      transfer: meter.source,
    }),
    signal,
    now: () => new Date(clock.now()),
    development: config.development,
    tokens: tokenStoreFor(counted, { workspaceId: message.workspaceId, loaderId: message.loaderId }),
    budget: shared.budget,
    heartbeat: () => lease.progress(),
    maxPageRows: config.MAX_PAGE_ROWS,
  };
  let warehouse: WarehouseAdapter | undefined;
  let target: StreamTarget | undefined;
  // What the policy ruled on since the last call to the tracker; every call that follows a write hands them over
  // (a retried chunk may not see an ALTER it already made again, so a retry hands them over too).
  const schemaChanges: SchemaChange[] = [];
  const takeSchemaChanges = () => schemaChanges.splice(0);
  const warehouseWork = new AbortController();
  try {
    let stream: StreamSpec;
    if (claim.specJson) {
      stream = JSON.parse(claim.specJson) as StreamSpec;
    } else {
      stream = await resolveStream(connectorCtx, connector, loaderConfig, message.stream);
      await tracked.rememberStreamSpec(message.stream, message.chunk, leaseToken, JSON.stringify(stream));
    }
    // A keyless stream without a cursor read incrementally would append the whole table on every run (issue 16).
    const modeProblem = syncModeProblem(stream, claim.syncMode);
    if (modeProblem) throw new ConnectorError("configuration", modeProblem);
    // The warehouse gets its own signal, not the read's: the read's stops at the budget, while the commit and the
    // finalize that follow must still run; this one only ends the warehouse's waits once the chunk is over.
    warehouse = createWarehouse(
      source,
      warehouseDeps({
        warehouseDb: meter.d1(env.WAREHOUSE),
        development: settings(env).development,
        hostOverrides: settings(env).HOST_OVERRIDES,
        signal: warehouseWork.signal,
        onStatement: meter.statement,
        transfer: meter.warehouseHttp,
      }),
    );
    target = {
      schema: loader.targetSchema,
      stream: stream.name,
      sync_mode: claim.syncMode,
      primary_key: stream.primary_key,
      cursor_field: stream.cursor_field,
      json_schema: stream.json_schema,
      run_id: message.runId,
      schema_watch: { policy: loader.schemaChangePolicy, observe: (changes) => schemaChanges.push(...changes) },
    };
    await warehouse.prepareStream(target);

    // A large keyed table is read as key ranges by parallel chunks (lanes), decided here on its first chunk, after
    // prepareStream made the run's tables, so the lanes that start together only find them. Only where staging
    // writes the target directly (commitScope "batch": concurrent upserts of disjoint keys); a "chunk" adapter's
    // commits are MERGEs of a per-run staging table, which lanes would run over each other's groups.
    if (claim.lane === null && connector.split && claim.pages === 0 && !claim.checkpointJson && !claim.exhausted && stream.primary_key.length > 0 && warehouse.commitScope === "batch") {
      const ranges = await connector.split(connectorCtx, loaderConfig, { stream, sync_mode: claim.syncMode, state: null, checkpoint: null }, { rowsPerRange: config.RANGE_ROWS, maxRanges: MAX_RANGES });
      if (ranges && ranges.length > 1) {
        const split = await tracked.splitStream(message.stream, message.chunk, leaseToken, ranges.map((range) => JSON.stringify(range)), meter.snapshot(), takeSchemaChanges());
        return { action: "ack", note: split ? `split into ${ranges.length} key ranges` : "dropped: lease lost before the split" };
      }
    }
    // Each lane's groups and commits carry ids of their own: every lane numbers its pages from 0.
    const idStream = claim.lane === null ? stream.name : `${stream.name}:r${claim.lane}`;

    if (!claim.exhausted) {
      const pages = connector.read(connectorCtx, loaderConfig, {
        stream,
        sync_mode: claim.syncMode,
        state: claim.syncMode === "incremental" && claim.stateJson ? (JSON.parse(claim.stateJson) as JsonObject) : null,
        checkpoint: claim.checkpointJson ? (JSON.parse(claim.checkpointJson) as JsonObject) : null,
      })[Symbol.asyncIterator]();
      const started = clock.now();
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
      const chunkId = chunkIdFor(message.runId, idStream, message.chunk);
      const staged: string[] = [];
      let unreported: { rows: number; pages: number; checkpoint: JsonObject; state?: JsonObject; skipped?: number } | null = null;
      // The attempt's first write also removes what an earlier attempt of this chunk may have written from its start
      // page on, under other groupings (keyless streams; contract.ts, replaces_from).
      let replacedEarlier = false;
      // Where the adapter writes a keyed stream's groups side by side (stageConcurrency), a group's stage starts while
      // the one before it is still being written, and each group is committed and reported in order once its own
      // stage resolved: the checkpoint still describes written data only. Keyless streams stay one at a time, since
      // an attempt's first write removes what the attempt's later groups would be writing (replaces_from).
      const stagesAhead = warehouse.commitScope === "batch" && target.primary_key.length > 0 && (warehouse.stageConcurrency ?? 1) > 1;
      let ahead: WrittenGroup | null = null;
      const reportGroup = async (group: WrittenGroup) => {
        await group.written;
        if (group.batchIds.length > 0) await warehouse!.commit(target!, { chunk_id: chunkId, batch_ids: group.batchIds, replaces_from: claim.pages });
        return tracked.reportPage(message.stream, message.chunk, leaseToken, { ...group.report, schema_changes: takeSchemaChanges() });
      };
      /** The group being written ahead, settled before the chunk ends so no write outlives it. */
      const settleAhead = async () => {
        const group = ahead;
        ahead = null;
        await group?.written.catch(() => undefined);
      };
      const flush = async (closesChunk: boolean) => {
        if (batch.length === 0 && !unreported) {
          const group = ahead;
          ahead = null;
          return group ? reportGroup(group) : ({ continue: true } as const);
        }
        const rows = batch.reduce((sum, p) => sum + recordCount(p), 0);
        let written: Promise<void> = Promise.resolve();
        if (rows > 0) {
          const batchId = batchIdFor(message.runId, idStream, pageSeq);
          const replaces = warehouse!.commitScope === "batch" && !replacedEarlier ? { replaces_from: claim.pages } : {};
          written = warehouse!.stage(target!, writeBatchOf([...batch], { batch_id: batchId, synced_at: new Date().toISOString(), ...replaces }, warehouse!.loadsCopyText === true)).then(() => {
            meter.usage.rows_written += rows;
          });
          if (replaces.replaces_from !== undefined) replacedEarlier = true;
          staged.push(batchId);
          if (stagesAhead) written.catch(() => undefined);
          else await written;
        }
        const checkpoint = batch[batch.length - 1]?.checkpoint ?? unreported!.checkpoint;
        const state = [...batch].reverse().find((p) => p.state)?.state ?? unreported?.state;
        pageSeq += batch.length;
        unreported = {
          rows: (unreported?.rows ?? 0) + rows,
          pages: (unreported?.pages ?? 0) + batch.length,
          skipped: (unreported?.skipped ?? 0) + batch.reduce((sum, p) => sum + (p.skippedRows ?? 0), 0),
          checkpoint,
          ...(state ? { state } : {}),
        };
        batch.length = 0;
        batchRows = 0;
        if (warehouse!.commitScope === "chunk" && !closesChunk) return { continue: true } as const;
        if (stagesAhead) {
          const group: WrittenGroup = { written, batchIds: staged.splice(0), report: unreported };
          unreported = null;
          const before = ahead;
          ahead = group;
          if (before) {
            const reported = await reportGroup(before);
            if (!reported.continue) return reported;
          }
          if (!closesChunk) return { continue: true } as const;
          ahead = null;
          return reportGroup(group);
        }
        if (staged.length > 0) await warehouse!.commit(target!, { chunk_id: chunkId, batch_ids: [...staged], replaces_from: claim.pages });
        staged.length = 0;
        const report = { ...unreported, schema_changes: takeSchemaChanges() };
        unreported = null;
        return tracked.reportPage(message.stream, message.chunk, leaseToken, report);
      };
      // The chunk ends at its page or time budget, at a page that asks to be resumed later, at a ResumeLater from the
      // read (a shared budget with no grant soon), or when its signal is aborted (overran the budget, cancelled,
      // superseded). It ends with whatever group it has open: the group's batch id is still its first page's, and a
      // redelivery restarts at the last reported checkpoint, so a group cut shorter on a retry replaces the same id.
      const stop = async (reported: { continue: false; reason: "cancelled" | "lease_lost" }): Promise<ChunkOutcome> => {
        await settleAhead();
        if (reported.reason === "cancelled") await warehouse!.abortStream(target!).catch(() => undefined);
        // No RPC ends a stopped chunk, so its counts go in one of their own (added to a run that has ended too).
        await tracked.recordUsage(meter.snapshot()).catch(() => undefined);
        return { action: "ack", note: `stopped: ${reported.reason}` };
      };
      const endChunk = async (delaySeconds: number, note: string): Promise<ChunkOutcome> => {
        // A cancelled or superseded chunk writes nothing more: the run's staging goes, or the new owner rewrites it.
        if (lease.stopped === "cancelled" || lease.stopped === "lease_lost") return stop({ continue: false, reason: lease.stopped });
        if (batch.length > 0 || unreported || ahead) {
          const reported = await flush(true);
          if (!reported.continue) return stop(reported);
        }
        await tracked.endChunk(message.stream, message.chunk, leaseToken, delaySeconds, meter.snapshot(), takeSchemaChanges());
        return { action: "ack", note };
      };
      let pending: Promise<IteratorResult<Page>> = pages.next();
      try {
        for (;;) {
          let result: IteratorResult<Page>;
          try {
            result = await pending;
          } catch (error) {
            if (isResumeLater(error)) return await endChunk(error.seconds, `resumes in ${error.seconds} s: ${error.message}`);
            // The request in flight when the signal fired fails as "cancelled"; the pages before it are complete.
            if (lease.stopped) return await endChunk(0, `chunk stopped (${lease.stopped})`);
            throw error;
          }
          // A read that saw its signal aborted returns early (kit readers stop at the next page boundary): that is the
          // chunk's end, not the stream's.
          if (result.done) {
            if (lease.stopped) return await endChunk(0, `chunk stopped (${lease.stopped})`);
            break;
          }
          const page = result.value;
          batch.push(page);
          batchRows += recordCount(page);
          pagesThisChunk += 1;
          meter.usage.pages += 1;
          const resumeAfter = page.resumeAfterSeconds;
          // Empty pages (a job being polled) count toward the budget like any other.
          const endsChunk = resumeAfter !== undefined || pagesThisChunk >= budget.maxPages || clock.now() - started >= budget.maxMilliseconds;
          const closesGroup = endsChunk || batchRows >= WRITE_BATCH_ROWS;
          // Prefetch: the next request is in flight while this page is grouped, written and reported — unless the
          // chunk ends with this page, when it would be thrown away and read again by the next chunk.
          if (!endsChunk) {
            pending = pages.next();
            pending.catch(() => undefined);
          }
          if (!closesGroup) continue;
          if (endsChunk) {
            return await endChunk(resumeAfter ?? 0, resumeAfter !== undefined ? `resumes in ${resumeAfter} s` : "chunk budget spent; next chunk enqueued");
          }
          const reported = await flush(false);
          if (!reported.continue) return await stop(reported);
        }
        if (batch.length > 0 || unreported || ahead) {
          const reported = await flush(true);
          if (!reported.continue) return await stop(reported);
        }
      } finally {
        await settleAhead();
        lease.release();
        await pages.return?.().catch(() => undefined);
      }
      await tracked.markExhausted(message.stream, message.chunk, leaseToken);
    }

    if (claim.lane !== null) {
      // A lane at its range's end: done unless it is the last one, which finalizes the stream for all of them.
      const turn = await tracked.finishLane(message.stream, message.chunk, leaseToken, meter.snapshot(), takeSchemaChanges());
      if (turn !== "finalize") return { action: "ack", note: turn === "completed" ? "key range completed" : "stopped: lease_lost" };
    }
    await warehouse.finalizeStream(target);
    await tracked.completeStream(message.stream, message.chunk, leaseToken, meter.snapshot(), takeSchemaChanges());
    return { action: "ack", note: "stream completed" };
  } catch (error) {
    // A ResumeLater before the first page (discovery waiting for a budget grant): nothing to commit, come back later.
    if (isResumeLater(error) && (await tracked.endChunk(message.stream, message.chunk, leaseToken, error.seconds, meter.snapshot(), takeSchemaChanges()))) {
      return { action: "ack", note: `resumes in ${error.seconds} s: ${error.message}` };
    }
    // Source and warehouse failures are classified alike (kit/errors.ts, warehouses/errors.ts): configuration and
    // data fail the stream at once (configuration also puts the loader in `error`); retryable ones retry the chunk.
    if ((isConnectorError(error) || isWarehouseError(error)) && error.kind !== "retryable") {
      if (warehouse && target) await warehouse.abortStream(target).catch(() => undefined);
      await tracked.failStream(message.stream, message.chunk, error.message, error.kind, meter.snapshot(), takeSchemaChanges(), claim.lane ?? undefined);
      return { action: "ack", note: `stream failed (${error.kind})` };
    }
    const text = error instanceof Error ? error.message : String(error);
    const hinted = isConnectorError(error) || isWarehouseError(error) ? error.details.retryAfterSeconds : undefined;
    const delaySeconds = retryDelaySeconds(delivery.attempts, hinted);
    await tracked.noteRetry(message.stream, text, connectorCtx.http.requestsSent, delaySeconds, meter.snapshot(), takeSchemaChanges(), claim.lane ?? undefined);
    log("warn", "chunk will be retried", { run_id: message.runId, stream: message.stream, chunk: message.chunk, attempts: delivery.attempts, error: text });
    return { action: "retry", delaySeconds, note: text };
  } finally {
    lease.release();
    await shared.close().catch(() => undefined);
    await warehouse?.close().catch(() => undefined);
    warehouseWork.abort();
  }
}

/** A group whose stage was started, with what its report will say once the stage resolved. */
interface WrittenGroup {
  written: Promise<void>;
  batchIds: string[];
  report: { rows: number; pages: number; checkpoint: JsonObject; state?: JsonObject; skipped?: number };
}

/** A page's records, counted without decoding them where the page can. */
function recordCount(page: Page): number {
  return page.rowCount ?? page.records.length;
}

/**
 * A group's write: its records built from its pages only if the warehouse reads them (a spread of the result would
 * read them), and the pages' COPY text where every page has it (warehouses/contract.ts WriteBatch).
 */
function writeBatchOf(pages: Page[], fields: Omit<WriteBatch, "records" | "copy_text">, withCopyText: boolean): WriteBatch {
  let records: SourceRecord[] | undefined;
  const write: WriteBatch = {
    ...fields,
    get records() {
      records ??= pages.flatMap((page) => page.records);
      return records;
    },
  };
  if (withCopyText && pages.every((page) => page.copyText)) write.copy_text = pages.map((page) => page.copyText!);
  return write;
}
