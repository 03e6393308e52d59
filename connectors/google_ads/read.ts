/**
 * How a Google Ads stream is read (research/connectors-data.md §3; DESIGN §5.1):
 * - Each stream is one GAQL query, run per customer with googleAds:searchStream, whose body (one JSON array of
 *   batches of up to 10,000 rows) is read as a stream, a batch per page (kit/streams.ts jsonArrayItems).
 * - Queries are ordered by their key fields, so a read cut mid-body (a dropped connection, a chunk's end) resumes by
 *   running the query again and skipping the rows already yielded: the checkpoint holds the customer and that count.
 * - Report streams (with segments.date) walk the run's range — committed date less conversion_window_days (14) to
 *   the customers' today, each customer's today in its own time zone (customer.time_zone, asked once per run) — in
 *   slices of SLICE_DAYS days with `WHERE segments.date BETWEEN`. Other streams read every row each run.
 * - Rows are nested camelCase objects; each selected GAQL path becomes one column (`metrics.cost_micros` →
 *   metrics_cost_micros). int64 values arrive as strings: integer columns (micros, clicks) become exact integers
 *   (BigInt beyond 2^53), ids stay text; enums arrive as their names and stay so.
 */
import type { ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { addDays, type DateRange, reportRange, sliceAt, todayIn } from "../kit/report";
import type { FieldType } from "../kit/spec-helpers";
import { jsonArrayItems } from "../kit/streams";
import { digits } from "./client";
import { columnOf, type GoogleAdsConfig, type GoogleAdsQuery } from "./spec";

/** Days per searchStream range of a report. */
export const SLICE_DAYS = 14;
/** Google Ads keeps performance data for 37 months (~1,110 days, the floor Airbyte uses). */
const RETENTION_DAYS = 1110;

const camel = (part: string) => part.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function valueAt(row: unknown, path: string): unknown {
  let at: unknown = row;
  for (const part of path.split(".").map(camel)) {
    if (at === null || typeof at !== "object") return null;
    at = (at as Record<string, unknown>)[part];
  }
  return at === undefined ? null : at;
}

function exactInteger(value: unknown): unknown {
  if (typeof value !== "string" || !/^-?\d+$/.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
}

export function flatten(row: unknown, fields: Record<string, FieldType>): SourceRecord {
  const record: SourceRecord = {};
  for (const [path, type] of Object.entries(fields)) {
    const value = valueAt(row, path);
    const integer = type === "integer" || path.endsWith("_micros") || (path.startsWith("metrics.") && type === "string");
    record[columnOf(path)] = integer ? exactInteger(value) : value;
  }
  return record;
}

/** Key fields first (ids, then segments), for a total order over the rows of one query. */
export function keyPaths(fields: Record<string, FieldType>): string[] {
  return Object.keys(fields).filter((f) => f.startsWith("segments.") || f.endsWith(".id") || f.endsWith(".criterion_id"));
}

/** The GAQL text of a stream for one range (or none), with its order. */
export function gaqlFor(query: GoogleAdsQuery, text: string | undefined, range: DateRange | null): string {
  let gaql = text?.trim() ?? `SELECT ${Object.keys(query.fields).join(", ")} FROM ${query.resource}`;
  const orderAndLimit = /(\s+ORDER\s+BY\s+[\s\S]+?)?(\s+LIMIT\s+\d+)?\s*$/i;
  const match = orderAndLimit.exec(gaql);
  const order = match?.[1] ?? "";
  const limit = match?.[2] ?? "";
  gaql = gaql.slice(0, gaql.length - (match?.[0].length ?? 0));
  if (range) gaql += `${/\bWHERE\b/i.test(gaql) ? " AND" : " WHERE"} segments.date BETWEEN '${range.from}' AND '${range.to}'`;
  const keys = keyPaths(query.fields);
  const orderBy = order || (keys.length ? ` ORDER BY ${keys.join(", ")}` : "");
  return `${gaql}${orderBy}${limit}`;
}

interface AdsCheckpoint {
  from: string | null;
  to: string | null;
  slice: DateRange | null;
  customer: number;
  skip: number;
  done: boolean;
}

function checkpointOf(value: JsonObject): AdsCheckpoint {
  const c = value as unknown as AdsCheckpoint;
  if (typeof c.customer !== "number" || typeof c.skip !== "number" || typeof c.done !== "boolean") {
    throw new ConnectorError("data", `google_ads checkpoint is not one this reader wrote: ${JSON.stringify(value)}`);
  }
  return c;
}

/** One searchStream, a page per batch, the first `skip` rows left out; the count read so far with each page. */
async function* searchStream(http: HttpClient, customerId: string, gaql: string, fields: Record<string, FieldType>, skip: number): AsyncGenerator<{ records: SourceRecord[]; read: number }> {
  const result = await http.stream({ method: "POST", url: `/customers/${customerId}/googleAds:searchStream`, json: { query: gaql } });
  let read = 0;
  for await (const { value } of jsonArrayItems(result.body)) {
    const rows = ((value as { results?: unknown[] } | null)?.results ?? []) as unknown[];
    const records: SourceRecord[] = [];
    for (const row of rows) {
      read++;
      if (read > skip) records.push(flatten(row, fields));
    }
    if (records.length) yield { records, read };
  }
  yield { records: [], read };
}

/** The latest "today" among the customers' time zones. */
async function todayOfCustomers(http: HttpClient, customers: string[], now: Date): Promise<string> {
  let latest: string | null = null;
  for (const id of customers) {
    let zone = "UTC";
    for await (const page of searchStream(http, id, "SELECT customer.time_zone FROM customer", { "customer.time_zone": "string" }, 0)) {
      const found = page.records[0]?.customer_time_zone;
      if (typeof found === "string") zone = found;
    }
    const today = todayIn(zone, now);
    if (latest === null || today > latest) latest = today;
  }
  return latest ?? todayIn("UTC", now);
}

export async function* readAdsStream(
  ctx: ConnectorContext,
  http: HttpClient,
  config: GoogleAdsConfig,
  request: ReadRequest,
  query: GoogleAdsQuery,
  text: string | undefined,
): AsyncGenerator<Page> {
  const customers = config.customer_ids.map(digits);
  const isReport = "segments.date" in query.fields;
  let at: AdsCheckpoint;
  const committed = isReport && request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  if (request.checkpoint) {
    at = checkpointOf(request.checkpoint);
  } else if (isReport) {
    const today = await todayOfCustomers(http, customers, ctx.now());
    const range = reportRange(committed, {
      today,
      lookbackDays: config.conversion_window_days,
      startDate: config.start_date ?? null,
      endDate: config.end_date ?? null,
      retentionDays: RETENTION_DAYS,
    });
    if (!range) return;
    at = { ...range, slice: sliceAt(range.from, range, SLICE_DAYS), customer: 0, skip: 0, done: false };
  } else {
    at = { from: null, to: null, slice: null, customer: 0, skip: 0, done: false };
  }
  if (at.done) return;
  // The state only moves forward: what a lookback re-reads does not move it back.
  let readThrough = typeof committed === "string" ? committed : null;
  for (;;) {
    if (ctx.signal.aborted) return;
    const gaql = gaqlFor(query, text, at.slice);
    let finished = false;
    for await (const page of searchStream(http, customers[at.customer]!, gaql, query.fields, at.skip)) {
      const last = page.records.length === 0;
      if (last) {
        finished = true;
        break;
      }
      at = { ...at, skip: page.read };
      yield { records: page.records, checkpoint: { ...at } as unknown as JsonObject, ...(readThrough ? { state: { cursor: readThrough } } : {}) };
      if (ctx.signal.aborted) return;
    }
    if (!finished) return;
    // This customer's part of the slice is read: the next customer, or the next slice, or the end.
    if (at.customer + 1 < customers.length) {
      at = { ...at, customer: at.customer + 1, skip: 0 };
    } else if (at.slice && at.to && at.slice.to < at.to) {
      readThrough = readThrough && readThrough > at.slice.to ? readThrough : at.slice.to;
      at = { ...at, slice: sliceAt(addDays(at.slice.to, 1), { from: at.from!, to: at.to }, SLICE_DAYS), customer: 0, skip: 0 };
    } else {
      if (at.slice) readThrough = readThrough && readThrough > at.slice.to ? readThrough : at.slice.to;
      yield { records: [], checkpoint: { ...at, done: true } as unknown as JsonObject, ...(readThrough ? { state: { cursor: readThrough } } : {}) };
      return;
    }
    yield { records: [], checkpoint: { ...at } as unknown as JsonObject, ...(readThrough ? { state: { cursor: readThrough } } : {}) };
  }
}
