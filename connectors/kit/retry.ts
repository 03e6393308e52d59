/** Wait times between attempts (DESIGN §3: honour Retry-After, else exponential backoff with jitter). */

/**
 * Seconds to wait according to a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Fractional seconds are not in the RFC but some APIs send them, so they are accepted. Undefined when absent
 * or unparseable; a date in the past means "now".
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - nowMs) / 1000);
}

export const BACKOFF_BASE_SECONDS = 1;
export const BACKOFF_CAP_SECONDS = 30;

/**
 * "Full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform wait in [0, min(cap, base·2^n)),
 * which spreads the retries of many chunks hitting the same API instead of synchronising them.
 */
export function backoffSeconds(attempt: number, random: () => number): number {
  return random() * Math.min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1));
}
