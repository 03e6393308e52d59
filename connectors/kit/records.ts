/** Reading records out of API responses: dot paths, record arrays, cursor values and lookbacks. */
import type { JsonValue, SourceRecord } from "./contract";
import { ConnectorError } from "./errors";

/** `getPath(body, "data.items.0.id")`: object keys and array indexes separated by dots; "" or undefined is the value itself. */
export function getPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = Array.isArray(current) ? (/^\d+$/.test(part) ? current[Number(part)] : undefined) : (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * The records of one response. A missing or non-array path is a configuration error, because it almost always means
 * a wrong `records_path`, and silently reading zero records would look like success; `null` is an empty page.
 */
export function extractRecords(body: unknown, recordsPath: string | undefined): SourceRecord[] {
  const found = getPath(body, recordsPath);
  if (found === null) return [];
  if (!Array.isArray(found)) {
    const where = recordsPath ? `records_path "${recordsPath}"` : "the response body";
    const keys = body && typeof body === "object" && !Array.isArray(body) ? `; the body has keys: ${Object.keys(body).slice(0, 20).join(", ")}` : "";
    throw new ConnectorError("configuration", `${where} is not an array (found ${describe(found)})${keys}`);
  }
  for (const [index, record] of found.entries()) {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new ConnectorError("data", `record ${index} is ${describe(record)}, not an object`);
    }
  }
  return found as SourceRecord[];
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/**
 * The record field a reader sets on a deleted record (`StreamSpec.reports_deletes`), holding when it was deleted (ISO);
 * the warehouses write it to the metadata column of the same name (src/warehouses/naming.ts).
 */
export const DELETED_AT_FIELD = "_loader_deleted_at";

export type CursorValue = string | number;

/** A value usable as an incremental cursor, or undefined (missing field, null, or an object). */
export function cursorValue(record: SourceRecord, field: string): CursorValue | undefined {
  const value = getPath(record, field);
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) ? value : undefined;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Orders two cursor values: numbers (or numeric strings) numerically, ISO timestamps by instant — so "…:00Z",
 * "…:00.000Z" and "…+00:00" agree, which string comparison gets wrong — and anything else as strings.
 */
export function compareCursors(a: CursorValue, b: CursorValue): number {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (typeof a === "string" && typeof b === "string" && ISO_DATE.test(a) && ISO_DATE.test(b)) {
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  }
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function asNumber(value: CursorValue): number | undefined {
  if (typeof value === "number") return value;
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
}

export function maxCursor(a: CursorValue | null | undefined, b: CursorValue | null | undefined): CursorValue | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return compareCursors(b, a) > 0 ? b : a;
}

/** The greatest cursor among records (and `start`), ignoring records without one. */
export function maxCursorOf(records: SourceRecord[], field: string, start: CursorValue | null): CursorValue | null {
  let max = start;
  for (const record of records) max = maxCursor(max, cursorValue(record, field));
  return max;
}

export function isCursorValue(value: JsonValue | undefined): value is CursorValue {
  return typeof value === "string" || typeof value === "number";
}

/**
 * An ISO timestamp moved back by `seconds`, in UTC, keeping the input's precision (an API that takes
 * `2024-01-01T00:00:00Z` may reject `.000Z`). A date-only value stays date-only (rounded down to the day).
 */
export function subtractSeconds(iso: string, seconds: number): string {
  const at = Date.parse(iso);
  if (!ISO_DATE.test(iso) || Number.isNaN(at)) {
    throw new ConnectorError("data", `cursor value "${iso}" is not an ISO-8601 timestamp, so a lookback cannot be applied`);
  }
  const moved = new Date(at - seconds * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return moved.slice(0, 10);
  const fraction = /:\d{2}(\.\d+)/.exec(iso)?.[1];
  if (!fraction) return `${moved.slice(0, 19)}Z`;
  // Date keeps milliseconds only; longer fractions (microseconds) are padded back to the input's width.
  return `${moved.slice(0, 19)}${moved.slice(19, 23).padEnd(fraction.length, "0").slice(0, fraction.length)}Z`;
}

/**
 * The lower bound to send for an incremental read: the cursor moved back by the lookback. A lookback only means
 * something for an ISO timestamp or date, so any other cursor (a number, an opaque string) is refused with a
 * configuration error rather than sent unchanged, which would silently skip the late changes the lookback is for.
 * Without a lookback every cursor is sent as it is.
 */
export function applyLookback(cursor: CursorValue, lookbackSeconds: number): CursorValue {
  if (lookbackSeconds <= 0) return cursor;
  if (typeof cursor !== "string" || !ISO_DATE.test(cursor) || Number.isNaN(Date.parse(cursor))) {
    throw new ConnectorError(
      "configuration",
      `a lookback applies to ISO-8601 timestamps and dates, but the cursor value is ${JSON.stringify(cursor)}: set the lookback to 0 or choose a timestamp cursor field`,
    );
  }
  return subtractSeconds(cursor, lookbackSeconds);
}

/**
 * Lifts the keys of nested objects to the top level (HubSpot's `properties`), so they become columns rather than
 * one JSON column. A lifted key that collides with a top-level key is kept as `<field>_<key>`; nothing is lost.
 */
export function flattenRecord(record: SourceRecord, options: { unnest: string[] }): SourceRecord {
  const out: SourceRecord = { ...record };
  for (const field of options.unnest) {
    const nested = record[field];
    if (nested === null || typeof nested !== "object" || Array.isArray(nested)) continue;
    delete out[field];
    for (const [key, value] of Object.entries(nested)) {
      out[key in out || key in record ? `${field}_${key}` : key] = value;
    }
  }
  return out;
}
