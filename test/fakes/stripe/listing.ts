/**
 * List endpoints (https://docs.stripe.com/api/pagination): `limit` 1–100 (default 10), `starting_after` /
 * `ending_before` (mutually exclusive), newest first, envelope `{"object":"list","url","has_more","data"}`.
 * A cursor marks a position in the order, so it keeps working when its object was filtered out or deleted.
 */
import { invalidRequest } from "./errors";
import type { Json, JsonObject } from "./json";
import type { ParamObject, Range } from "./params";
import { readInteger, readString } from "./params";

export const PAGING_PARAMS = ["limit", "starting_after", "ending_before", "expand"] as const;

export interface Paging {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
}

export function readPaging(params: ParamObject): Paging {
  const limit = readInteger(params, "limit") ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest("Invalid limit: must be between 1 and 100", { param: "limit" });
  const startingAfter = readString(params, "starting_after");
  const endingBefore = readString(params, "ending_before");
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw invalidRequest("You may only specify one of these parameters: ending_before, starting_after.", {
      param: "ending_before",
    });
  }
  const paging: Paging = { limit };
  if (startingAfter !== undefined) paging.startingAfter = startingAfter;
  if (endingBefore !== undefined) paging.endingBefore = endingBefore;
  return paging;
}

/** First index whose value is at least `threshold`; `measure` rises along the list order, so bisect. */
function firstAtLeast<T>(items: readonly T[], measure: (item: T) => number, threshold: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (measure(items[middle] as T) >= threshold) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The slice of a newest-first list whose `created` lies in `range` (they are contiguous). */
export function createdWindow<T>(items: readonly T[], createdOf: (item: T) => number, range: Range | undefined) {
  const upper = Math.min(range?.lte ?? Infinity, range?.lt === undefined ? Infinity : range.lt - 1);
  const lower = Math.max(range?.gte ?? -Infinity, range?.gt === undefined ? -Infinity : range.gt + 1);
  return {
    start: firstAtLeast(items, (item) => -createdOf(item), -upper),
    end: firstAtLeast(items, (item) => -createdOf(item), -lower + 1),
  };
}

export interface PageQuery<T> {
  paging: Paging;
  /** Where an item sits relative to the cursor (negative before, zero at, positive after); rises along the list. */
  position: ((item: T) => number) | null;
  keep: (item: T) => boolean;
  window?: { start: number; end: number };
}

/**
 * One page of `items` (the full list in order, filtered on the fly): scans from the cursor for `limit + 1` kept
 * items, so a page costs its own size rather than the size of the list.
 */
export function pageOf<T>(items: readonly T[], query: PageQuery<T>): { data: T[]; hasMore: boolean } {
  const { paging, position, keep } = query;
  const low = query.window?.start ?? 0;
  const high = query.window?.end ?? items.length;
  const data: T[] = [];
  if (!position || paging.startingAfter !== undefined) {
    let i = position ? Math.max(low, firstAtLeast(items, (item) => (position(item) > 0 ? 1 : 0), 1)) : low;
    for (; i < high && data.length <= paging.limit; i++) if (keep(items[i] as T)) data.push(items[i] as T);
  } else {
    // ending_before: the `limit` kept items closest to the cursor on the newer side, returned newest first.
    let i = Math.min(high, firstAtLeast(items, position, 0)) - 1;
    for (; i >= low && data.length <= paging.limit; i--) if (keep(items[i] as T)) data.push(items[i] as T);
  }
  const hasMore = data.length > paging.limit;
  if (hasMore) data.pop();
  if (position && paging.startingAfter === undefined) data.reverse();
  return { data, hasMore };
}

export function listEnvelope(url: string, data: Json[], hasMore: boolean): JsonObject {
  return { object: "list", data, has_more: hasMore, url };
}
