/**
 * What a run cost (issue 15 item 7): the counts every chunk gathers, summed into the run by its RunTracker, and their
 * price at Cloudflare's published rates. A chunk counts in memory and hands its counts to the tracker in the RPC
 * that ends it (endChunk, completeStream, failStream, noteRetry), so counting adds no round trip per page.
 */
import type { TransferUsage } from "../../connectors/kit/http";
import type { Env } from "../env";

export interface RunUsage {
  /** HTTP requests to the source API, every attempt and redirect hop, token requests included. */
  source_requests: number;
  /** Response bytes received from the source API (bodies as read; headers not counted). */
  source_bytes_received: number;
  /** Source pages read (empty pages of a polled job included). */
  pages: number;
  /** Records handed to the warehouse; a retried chunk writes its records again, and they are counted again. */
  rows_written: number;
  /** Statements (and load jobs) the warehouse adapter sent. */
  warehouse_statements: number;
  /** HTTP requests to REST warehouses (Snowflake, BigQuery, Databricks). */
  warehouse_requests: number;
  /** Rows the embedded D1 warehouse reported read and written (its batches' `meta`), which D1 bills. */
  d1_rows_read: number;
  d1_rows_written: number;
  /** Queue messages the run's tracker sent, and deliveries the consumers received (a retry is another delivery). */
  queue_messages_sent: number;
  queue_messages_received: number;
  /** Durable Object requests: the chunks' RPC calls to the run's tracker, the loader's budget and token keeper, plus the tracker's start and alarms. */
  durable_object_requests: number;
  /** Wall time of those RPC calls as the caller saw them: the basis of the Durable Object duration estimate. */
  durable_object_wall_ms: number;
  /** Consumer invocations that ran a chunk (the queue's batch size is 1, so one per delivery worked on). */
  worker_invocations: number;
  /** Wall time of the chunks, claim to hand-over. */
  chunk_wall_ms: number;
  /**
   * CPU time of the chunks, estimated: workerd gives a Worker no CPU clock (Date.now and performance.now advance only
   * at I/O, Cloudflare's Spectre mitigation), so this is the chunks' wall time, an upper bound of the CPU billed.
   */
  chunk_cpu_ms_estimated: number;
}

export const USAGE_FIELDS = [
  "source_requests",
  "source_bytes_received",
  "pages",
  "rows_written",
  "warehouse_statements",
  "warehouse_requests",
  "d1_rows_read",
  "d1_rows_written",
  "queue_messages_sent",
  "queue_messages_received",
  "durable_object_requests",
  "durable_object_wall_ms",
  "worker_invocations",
  "chunk_wall_ms",
  "chunk_cpu_ms_estimated",
] as const satisfies ReadonlyArray<keyof RunUsage>;

export function emptyUsage(): RunUsage {
  return Object.fromEntries(USAGE_FIELDS.map((field) => [field, 0])) as unknown as RunUsage;
}

/** Sums counts; a missing or non-numeric field counts as 0 (usage stored before a field existed). */
export function addUsage(into: RunUsage, more: Partial<RunUsage> | null | undefined): RunUsage {
  if (!more) return into;
  for (const field of USAGE_FIELDS) {
    const value = more[field];
    if (typeof value === "number" && Number.isFinite(value)) into[field] += Math.max(0, Math.round(value));
  }
  return into;
}

export function parseUsage(text: string | null | undefined): RunUsage {
  if (!text) return emptyUsage();
  try {
    return addUsage(emptyUsage(), JSON.parse(text) as Partial<RunUsage>);
  } catch {
    return emptyUsage();
  }
}

/**
 * Cloudflare's Workers Paid prices beyond the included monthly allowances, in USD, read 2026-12-02 from:
 * - Workers (requests, CPU): https://developers.cloudflare.com/workers/platform/pricing/ — $0.30 per million
 *   requests, $0.02 per million CPU milliseconds (Queue consumer invocations are billed as requests).
 * - Queues: https://developers.cloudflare.com/queues/platform/pricing/ — $0.40 per million operations; a message
 *   under 64 KB costs one write, one read per delivery and one delete.
 * - Durable Objects: https://developers.cloudflare.com/durable-objects/platform/pricing/ — $0.15 per million
 *   requests (every RPC call is one), $12.50 per million GB-s of duration at 128 MB per object.
 * - D1: https://developers.cloudflare.com/d1/platform/pricing/ — $0.001 per million rows read, $1.00 per million
 *   rows written.
 * The estimate is the marginal cost: it ignores the $5 monthly base and the allowances it includes, and source
 * and warehouse vendors' own bills.
 */
export const CLOUDFLARE_PRICES = {
  source: "https://developers.cloudflare.com/workers/platform/pricing/ (and the Queues, Durable Objects and D1 pricing pages)",
  read_on: "2026-12-02",
  workers_request_usd: 0.3 / 1e6,
  workers_cpu_ms_usd: 0.02 / 1e6,
  queue_operation_usd: 0.4 / 1e6,
  durable_object_request_usd: 0.15 / 1e6,
  durable_object_gb_second_usd: 12.5 / 1e6,
  durable_object_memory_gb: 0.128,
  d1_row_read_usd: 0.001 / 1e6,
  d1_row_written_usd: 1 / 1e6,
} as const;

/** Each part of the estimate, in USD, so the README and the dashboard can say where the money goes. */
export function costParts(usage: RunUsage, prices = CLOUDFLARE_PRICES) {
  // A message is written once, read once per delivery and deleted once (acked or dead-lettered).
  const queueOperations = usage.queue_messages_sent * 2 + usage.queue_messages_received;
  return {
    workers_requests: usage.worker_invocations * prices.workers_request_usd,
    workers_cpu: usage.chunk_cpu_ms_estimated * prices.workers_cpu_ms_usd,
    queue_operations: queueOperations * prices.queue_operation_usd,
    durable_object_requests: usage.durable_object_requests * prices.durable_object_request_usd,
    durable_object_duration: (usage.durable_object_wall_ms / 1000) * prices.durable_object_memory_gb * prices.durable_object_gb_second_usd,
    d1_rows: usage.d1_rows_read * prices.d1_row_read_usd + usage.d1_rows_written * prices.d1_row_written_usd,
  };
}

/** USD, rounded to a millionth of a cent (the smallest part, one D1 row read, is a billionth of a dollar). */
export function estimatedCostUsd(usage: RunUsage): number {
  const total = Object.values(costParts(usage)).reduce((sum, part) => sum + part, 0);
  return Math.round(total * 1e8) / 1e8;
}

/**
 * One chunk's counters. The engine gives the http clients `transfer` objects to count into, wraps the Durable Object
 * namespaces so every RPC call is counted and timed, and wraps the D1 warehouse's `batch` to read its row counts.
 */
export class ChunkMeter {
  readonly usage: RunUsage = emptyUsage();
  readonly source: TransferUsage = { requests: 0, bytesReceived: 0 };
  readonly warehouseHttp: TransferUsage = { requests: 0, bytesReceived: 0 };
  private readonly started: number;
  private handed: RunUsage = emptyUsage();

  constructor(private readonly now: () => number) {
    this.started = now();
  }

  statement = (): void => {
    this.usage.warehouse_statements += 1;
  };

  /**
   * The counts not yet handed to the tracker, for the RPC that ends the chunk; a second call (a hand-over the tracker
   * refused, then a retry note) hands only what came since, so nothing is counted twice. That RPC is counted already:
   * the wrapped stub counts a call when its method is looked up, before the arguments (this) are evaluated.
   */
  snapshot(): RunUsage {
    const wall = Math.max(0, this.now() - this.started);
    const total: RunUsage = {
      ...this.usage,
      source_requests: this.source.requests,
      source_bytes_received: this.source.bytesReceived,
      warehouse_requests: this.warehouseHttp.requests,
      chunk_wall_ms: wall,
      chunk_cpu_ms_estimated: wall,
    };
    const delta = emptyUsage();
    for (const field of USAGE_FIELDS) delta[field] = Math.max(0, total[field] - this.handed[field]);
    this.handed = total;
    return delta;
  }

  /** The same env with RUN_TRACKER, LOADER_BUDGET and TOKEN_KEEPER stubs that count and time every call. */
  env(env: Env): Env {
    return {
      ...env,
      RUN_TRACKER: this.namespace(env.RUN_TRACKER),
      LOADER_BUDGET: this.namespace(env.LOADER_BUDGET),
      TOKEN_KEEPER: this.namespace(env.TOKEN_KEEPER),
    };
  }

  /** The D1 warehouse binding, whose batches' `meta` row counts are added up (the D1 adapter sends only batches). */
  d1(db: D1Database): D1Database {
    const usage = this.usage;
    return new Proxy(db, {
      get(target, property) {
        if (property === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            const results = await target.batch(statements);
            for (const result of results) {
              usage.d1_rows_read += result.meta?.rows_read ?? 0;
              usage.d1_rows_written += result.meta?.rows_written ?? 0;
            }
            return results;
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private namespace<N extends object>(namespace: N): N {
    const meter = this;
    return new Proxy(namespace, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (typeof value !== "function") return value;
        if (property !== "get" && property !== "getByName") return (value as (...args: unknown[]) => unknown).bind(target);
        return (...args: unknown[]) => meter.stub(Reflect.apply(value as (...a: unknown[]) => object, target, args) as object);
      },
    }) as N;
  }

  private stub<S extends object>(stub: S): S {
    const meter = this;
    return new Proxy(stub, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        // `then` is looked up when a stub is awaited or returned from an async function; it is not a call.
        if (typeof value !== "function" || property === "then" || typeof property === "symbol") return value;
        meter.usage.durable_object_requests += 1;
        return async (...args: unknown[]) => {
          const started = meter.now();
          try {
            // Reflect.apply: an RPC method is itself a stub, on which `.apply` would be a remote call.
            return await (Reflect.apply(value as (...a: unknown[]) => Promise<unknown>, target, args) as Promise<unknown>);
          } finally {
            meter.usage.durable_object_wall_ms += Math.max(0, meter.now() - started);
          }
        };
      },
    });
  }
}
