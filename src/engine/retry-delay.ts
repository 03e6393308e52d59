/**
 * The one rule for how long a chunk waits before the queue delivers it again, used by the chunk (a retryable source
 * or warehouse failure) and by the queue loop (a failure outside the chunk, such as its tracker unreachable).
 */
const MAX_HINT_SECONDS = 3600;
const MAX_BACKOFF_SECONDS = 300;

export function retryDelaySeconds(attempts: number, hinted?: number): number {
  if (hinted && hinted > 0) return Math.min(Math.ceil(hinted), MAX_HINT_SECONDS);
  // Exponential with a cap: 2, 4, 8 … 300 s, so a flapping source is retried for about half an hour in all.
  return Math.min(2 ** Math.max(1, attempts), MAX_BACKOFF_SECONDS);
}
