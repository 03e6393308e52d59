import type { Dataset, SortKey } from "./dataset";
import { HttpError } from "./http";

export const DEFAULT_PAGE_SIZE = 100;
/** Larger requested sizes are capped rather than refused, as most real APIs do (GitHub, Stripe, Shopify). */
export const MAX_PAGE_SIZE = 1000;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function integerParam(query: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) throw new HttpError(400, `${name} must be an integer >= ${min}`);
  return value;
}

export function pageSizeParam(query: URLSearchParams, name: string): number {
  return Math.min(integerParam(query, name, DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/** Index of the first item the `updated_since` filter (inclusive) lets through; 0 without the filter. */
export function sinceIndex(dataset: Dataset, query: URLSearchParams): number {
  const raw = query.get("updated_since");
  if (raw === null || raw === "") return 0;
  const ms = ISO_DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw new HttpError(400, "updated_since must be an ISO 8601 date-time with a time zone");
  return dataset.lowerBound(ms);
}

/**
 * Cursors are keyset positions (the last returned item's updated_at and id), so a walk never skips an item when
 * others change meanwhile; an item updated during the walk moves to the end and is met again there, as with real
 * keyset APIs. Standard base64, as many APIs send; the prefix bytes make every cursor start
 * with "+++/", so a client that puts it into a URL without encoding it (a "+" decodes as a space) gets a 400
 * instead of passing by luck.
 */
const CURSOR_PREFIX = Buffer.from([0xfb, 0xef, 0xbf]);

export function encodeCursor(key: SortKey): string {
  const payload = Buffer.from(JSON.stringify({ u: key.updatedMs, i: key.id }), "utf8");
  return Buffer.concat([CURSOR_PREFIX, payload]).toString("base64");
}

export function decodeCursor(raw: string, name: string): SortKey {
  const invalid = new HttpError(400, `invalid ${name}`);
  if (!BASE64.test(raw)) throw invalid;
  const bytes = Buffer.from(raw, "base64");
  if (!bytes.subarray(0, CURSOR_PREFIX.length).equals(CURSOR_PREFIX)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(bytes.subarray(CURSOR_PREFIX.length).toString("utf8"));
  } catch {
    throw invalid;
  }
  const { u, i } = (value ?? {}) as { u?: unknown; i?: unknown };
  if (typeof u !== "number" || typeof i !== "number") throw invalid;
  return { updatedMs: u, id: i };
}

/** Index of the first item of a cursor page: after the cursor and within the `updated_since` filter. */
export function cursorIndex(dataset: Dataset, query: URLSearchParams, name: string): number {
  const start = sinceIndex(dataset, query);
  const raw = query.get(name);
  if (raw === null || raw === "") return start;
  return Math.max(start, dataset.after(decodeCursor(raw, name)));
}

/** The request's own absolute URL with some parameters replaced; every other parameter is kept as sent. */
export function withParams(url: URL, params: Record<string, string>): string {
  const next = new URL(url);
  for (const [name, value] of Object.entries(params)) next.searchParams.set(name, value);
  return next.toString();
}
