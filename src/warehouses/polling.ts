/**
 * Asynchronous statements (DESIGN §5.2, §4.1): Snowflake answers 202 with a statement handle, BigQuery returns a
 * job that is RUNNING, Databricks a statement that is PENDING/RUNNING. The adapter submits once (under an id derived
 * from run, stream and chunk, so a re-submission finds the same work) and polls with a growing delay until the
 * statement is done, the wait bound is spent, or the chunk's signal aborts.
 * Both ends leave as a retryable WarehouseError: the chunk is redelivered, re-submits under the same id and keeps
 * waiting on the same statement instead of starting a second one.
 */
import { WarehouseError } from "./errors";

export interface PollOptions<S> {
  /** Submits the statement; resolves to its first status. */
  submit(): Promise<S>;
  /** Asks for the status again. */
  poll(last: S): Promise<S>;
  /** True when `status` is final (succeeded or failed: a failed status is for the caller to turn into an error). */
  done(status: S): boolean;
  /** What the warehouse calls the work, for messages ("Snowflake statement 01b2…"). */
  describe?(status: S): string;
  /** Called once when the wait is given up (abort or bound); best effort, its failure is ignored. */
  cancel?(last: S): Promise<void>;
  signal?: AbortSignal;
  /** The whole wait; past it the chunk is retried (default 5 minutes, inside a chunk's wall-clock budget). */
  maxWaitMs?: number;
  /** First delay between polls, doubled each time up to `maxDelayMs` (defaults 250 ms and 5 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_POLL_WAIT_MS = 5 * 60_000;

export async function pollUntilDone<S>(options: PollOptions<S>): Promise<S> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const maxWait = options.maxWaitMs ?? DEFAULT_POLL_WAIT_MS;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const started = now();
  throwIfAborted(options.signal, undefined);
  let status = await options.submit();
  let delay = options.initialDelayMs ?? 250;
  while (!options.done(status)) {
    const what = options.describe?.(status) ?? "statement";
    if (options.signal?.aborted) {
      await options.cancel?.(status).catch(() => undefined);
      throwIfAborted(options.signal, what);
    }
    const left = maxWait - (now() - started);
    if (left <= 0) {
      await options.cancel?.(status).catch(() => undefined);
      throw new WarehouseError("retryable", `The ${what} was still running after ${Math.round(maxWait / 1000)} s; the chunk will be retried`);
    }
    await sleep(Math.min(delay, left), options.signal).catch(() => undefined);
    if (options.signal?.aborted) continue;
    delay = Math.min(delay * 2, maxDelay);
    status = await options.poll(status);
  }
  return status;
}

function throwIfAborted(signal: AbortSignal | undefined, what: string | undefined): void {
  if (signal?.aborted) throw new WarehouseError("retryable", `Stopped waiting for the ${what ?? "statement"}: the chunk was aborted`);
}

/** setTimeout that an abort signal cuts short. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
