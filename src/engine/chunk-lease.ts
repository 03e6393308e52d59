/**
 * A chunk's hold on its stream while it works: a heartbeat that keeps the RunTracker lease alive (every third of the
 * lease, so one late beat does not lose it), and the chunk's signal, aborted when the run is cancelled, when another
 * delivery took the stream over, or when the chunk overran its time budget by the grace. Only a living consumer
 * beats, so a lease that runs out means the consumer died; the tracker's watchdog then re-enqueues the stream.
 */
import type { ExtractMessage } from "./messages";
import type { LeaseAnswer, RunTracker } from "./run-tracker";

export type StopReason = "budget" | "cancelled" | "lease_lost";

export interface ChunkLease {
  signal: AbortSignal;
  /** Why the signal was aborted; null while the chunk may go on. */
  readonly stopped: StopReason | null;
  /** The read says it is working without a page (ConnectorContext.heartbeat): renews the lease and counts as progress. */
  progress(): Promise<void>;
  /** Stops beating and aborts the signal (the chunk is over). */
  release(): void;
}

/** Progress heartbeats closer together than this are coalesced into one tracker call. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * The signal is aborted at the chunk's budget plus a grace of a quarter of it (at most 30 s): a read that reaches a
 * page boundary in time ends the chunk there without losing the page in flight; one that does not (a long poll, a
 * stuck request) is told to stop.
 */
export function hardStopMs(budgetMs: number): number {
  return budgetMs + Math.min(budgetMs / 4, 30_000);
}

export function holdLease(
  tracker: DurableObjectStub<RunTracker>,
  message: ExtractMessage,
  leaseToken: string,
  options: { leaseMs: number; budgetMs: number },
): ChunkLease {
  const abort = new AbortController();
  let stopped: StopReason | null = null;
  const stop = (reason: StopReason) => {
    if (stopped) return;
    stopped = reason;
    abort.abort(reason);
  };
  const answer = (result: LeaseAnswer) => {
    if (!result.continue) stop(result.reason);
  };
  const beat = (progress: boolean) => tracker.heartbeat(message.stream, message.chunk, leaseToken, progress).then(answer);
  const interval = setInterval(() => void beat(false).catch(() => undefined), Math.max(200, options.leaseMs / 3));
  const deadline = setTimeout(() => stop("budget"), hardStopMs(options.budgetMs));
  let lastProgress = 0;
  return {
    signal: abort.signal,
    get stopped() {
      return stopped;
    },
    async progress() {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      await beat(true);
    },
    release() {
      clearInterval(interval);
      clearTimeout(deadline);
      abort.abort("released");
    },
  };
}
