/**
 * Waits that an API names inside an error body rather than in Retry-After: Google's `google.rpc.RetryInfo`
 * (`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}` in `error.details`, AIP-193) and the
 * Google Ads `quotaErrorDetails.retryDelay` of a GoogleAdsFailure (research/connectors-data.md §3). Both are proto3
 * Durations in JSON: decimal seconds with an `s` suffix.
 */

const MAX_DEPTH = 8;

/** The longest `retryDelay` anywhere in a JSON body, in seconds; undefined when there is none. */
export function retryDelayInBody(body: string | unknown): number | undefined {
  let parsed: unknown = body;
  if (typeof body === "string") {
    if (!body.includes("retryDelay")) return undefined;
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  let longest: number | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key === "retryDelay") {
        const seconds = durationSeconds(item);
        if (seconds !== undefined && (longest === undefined || seconds > longest)) longest = seconds;
      } else {
        visit(item, depth + 1);
      }
    }
  };
  visit(parsed, 0);
  return longest;
}

/** A proto3 JSON Duration (`"1.5s"`), or the `{seconds, nanos}` object form some gateways emit. */
function durationSeconds(value: unknown): number | undefined {
  if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
    return match ? Number(match[1]) : undefined;
  }
  if (value && typeof value === "object") {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = Number(seconds ?? 0);
    const n = Number(nanos ?? 0);
    return Number.isFinite(s) && Number.isFinite(n) && (seconds !== undefined || nanos !== undefined) ? s + n / 1e9 : undefined;
  }
  return undefined;
}
