/**
 * Report streams (DESIGN §5.1): rows that are aggregates per day (GA4, Google Ads, Facebook and LinkedIn insights,
 * any per-day report). A row is keyed by its date and its dimension values (plus the account or property id); the
 * cursor is the date in the account's own time zone. These APIs restate recent days (attribution windows, data
 * processing), so an incremental run re-reads from (committed date − lookback_days) to today and the warehouse merges
 * the rows in place by key. The first run starts at start_date, by default two years back, never before the API's
 * retention limit.
 *
 * The range is walked in date slices (one day by default); a reader answers one page of a slice at a time and keeps
 * its own paging state inside the slice (an offset, a page token, an async job id).
 *
 * Checkpoint: `{from, to, slice, position, done}` — the run's range, fixed when the run starts so every chunk reads
 * the same days even if "today" moves on during the run; the slice being read and the reader's position inside it
 * (null: its first request); and whether the range is finished. State: `{cursor}`, the last date read in full.
 */
import { z } from "zod";
import { checkpointParser, isoDate, jsonValue } from "./checkpoint";
import type { ConnectorContext, JsonValue, Page, ReadRequest, SourceRecord, StreamSpec } from "./contract";
import { ConnectorError } from "./errors";
import { stateCursor } from "./declarative";
import { applyLookback, type CursorValue } from "./records";
import { type Fields, stream } from "./spec-helpers";

/** The cursor field of every report stream: the row's day, `YYYY-MM-DD`, in the account's time zone. */
export const REPORT_DATE_FIELD = "date";
/** DESIGN §5.1: without a start_date, the first run reads two years back. */
export const DEFAULT_HISTORY_DAYS = 730;

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

// ---------------------------------------------------------------------------------------------------------------
// Catalog

export interface ReportDefinition {
  name: string;
  /** The columns that, with the date, identify a row (campaign_id, country, device), in key order. */
  dimensions: Fields;
  /** The measured columns (clicks, cost_micros, sessions). */
  metrics: Fields;
  /** The account or property a row belongs to, keyed first, for readers that read several into one table. */
  account?: { field: string; type: "string" | "integer" };
  /** Other columns: the API's quality signals (sampling, "(other)" rows, thresholding) and labels. */
  attributes?: Fields;
}

/** A report's StreamSpec: primary key [account?, date, ...dimensions], cursor `date`, every column typed. */
export function reportStreamSpec(report: ReportDefinition): StreamSpec {
  const account = report.account ? { [report.account.field]: report.account.type } : {};
  const groups: Fields[] = [account, { [REPORT_DATE_FIELD]: "date" }, report.dimensions, report.metrics, report.attributes ?? {}];
  const seen = new Set<string>();
  for (const field of groups.flatMap((group) => Object.keys(group))) {
    // A spec bug, so it fails at import: one name in two roles would make the key or a metric ambiguous.
    if (seen.has(field)) throw new Error(`report ${report.name}: field "${field}" is defined twice (the date, account, dimensions, metrics and attributes must differ)`);
    seen.add(field);
  }
  return stream(report.name, {
    primaryKey: [...Object.keys(account), REPORT_DATE_FIELD, ...Object.keys(report.dimensions)],
    cursor: REPORT_DATE_FIELD,
    fields: Object.assign({}, ...groups) as Fields,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Dates

/** Today's date in an IANA time zone (the account's, as the API reports it), e.g. `America/Los_Angeles`. */
export function todayIn(timeZone: string, now: Date): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now);
  } catch {
    throw new ConnectorError("data", `the account's time zone "${timeZone}" is not an IANA time zone, so its "today" is unknown`);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** `date` moved by `days` (negative: back), as a date. */
export function addDays(date: string, days: number): string {
  return new Date(dateMs(date) + days * DAY_MS).toISOString().slice(0, 10);
}

function dateMs(date: string): number {
  const at = DATE_ONLY.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(at)) throw new ConnectorError("data", `"${date}" is not a date (YYYY-MM-DD)`);
  return at;
}

const later = (a: string, b: string) => (a > b ? a : b);
const earlier = (a: string, b: string) => (a < b ? a : b);

export interface DateRange {
  from: string;
  /** Inclusive. */
  to: string;
}

export interface ReportWindow {
  /** Today in the account's time zone (`todayIn`): the last day a run reads. */
  today: string;
  /** Days before the committed date that an incremental run reads again (per-type default, configurable). */
  lookbackDays: number;
  /** The config's start_date; null reads `historyDays` back. */
  startDate?: string | null;
  /** The config's end_date, for a closed period; null reads up to today. */
  endDate?: string | null;
  /** The oldest day the API still serves, as days before today (GA4 keeps 14 months for some data, Ads 37). */
  retentionDays?: number;
  historyDays?: number;
}

/**
 * The days a run reads: from (committed − lookback), or from start_date on a first run (default two years back),
 * never before start_date or the retention limit; to today or end_date. Null when that range is empty.
 */
export function reportRange(committed: CursorValue | null, window: ReportWindow): DateRange | null {
  const { today, lookbackDays } = window;
  dateMs(today);
  const startDate = window.startDate ?? null;
  const floor = window.retentionDays === undefined ? null : addDays(today, -window.retentionDays);
  let from: string;
  if (committed === null) {
    from = startDate ?? addDays(today, -(window.historyDays ?? DEFAULT_HISTORY_DAYS));
  } else {
    if (typeof committed !== "string" || !DATE_ONLY.test(committed)) {
      throw new ConnectorError(
        "configuration",
        `the committed cursor ${JSON.stringify(committed)} of this report stream is not a date (YYYY-MM-DD); reset the stream's state to read it again from start_date`,
      );
    }
    from = String(applyLookback(committed, lookbackDays * 86_400));
    if (startDate) from = later(from, startDate);
  }
  if (floor) from = later(from, floor);
  const to = window.endDate ? earlier(window.endDate, today) : today;
  return from <= to ? { from, to } : null;
}

/** The slice of at most `sliceDays` days that starts at `from`, cut at the range's end. */
export function sliceAt(from: string, range: DateRange, sliceDays: number): DateRange {
  return { from, to: earlier(addDays(from, sliceDays - 1), range.to) };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export interface ReportPage {
  /** Rows of this slice; each has `date` (filled in for one-day slices when the API leaves it out). */
  records: SourceRecord[];
  /** The reader's paging state for the slice's next request; null: the slice is finished. */
  next: JsonValue;
  /** An async job still running (DESIGN §5.2): the engine comes back after this long; `next` names the job. */
  resumeAfterSeconds?: number;
}

export interface ReportReader {
  /** One page of `slice` from `position` (null: the slice's first request). */
  page(slice: DateRange, position: JsonValue): Promise<ReportPage>;
}

export interface ReportRead extends ReportWindow {
  /** Days per slice (one request range); 1 by default. */
  sliceDays?: number;
  /** Columns set on every row: the account or property id. */
  fields?: Record<string, JsonValue>;
}

const reportCheckpoint = z.object({
  from: isoDate,
  to: isoDate,
  slice: z.object({ from: isoDate, to: isoDate }).nullable(),
  position: jsonValue,
  done: z.boolean(),
});
type ReportCheckpoint = z.output<typeof reportCheckpoint>;
const parseCheckpoint = checkpointParser("report", reportCheckpoint);

export async function* readReport(ctx: ConnectorContext, request: ReadRequest, read: ReportRead, reader: ReportReader): AsyncGenerator<Page> {
  const sliceDays = read.sliceDays ?? 1;
  if (!Number.isInteger(sliceDays) || sliceDays < 1) throw new Error(`sliceDays must be a positive whole number, not ${sliceDays}`);
  const committed = request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  let at: ReportCheckpoint;
  if (request.checkpoint) {
    at = parseCheckpoint(request.checkpoint);
  } else {
    const range = reportRange(committed, read);
    if (!range) return;
    at = { ...range, slice: sliceAt(range.from, range, sliceDays), position: null, done: false };
  }
  if (at.done || !at.slice) return;
  const range: DateRange = { from: at.from, to: at.to };
  let slice: DateRange = at.slice;
  let position = at.position;
  // The state only moves forward: a lookback re-reads days before the committed one without moving it back.
  let readThrough: string | null = typeof committed === "string" ? committed : null;
  if (slice.from > range.from) readThrough = maxDate(readThrough, addDays(slice.from, -1));

  for (;;) {
    if (ctx.signal.aborted) return;
    const page = await reader.page(slice, position);
    const records = page.records.map((record) => rowOf(record, slice, read.fields));
    let checkpoint: ReportCheckpoint;
    if (page.next !== null) {
      checkpoint = { ...range, slice, position: page.next, done: false };
    } else {
      readThrough = maxDate(readThrough, slice.to);
      const following = slice.to < range.to ? sliceAt(addDays(slice.to, 1), range, sliceDays) : null;
      checkpoint = following ? { ...range, slice: following, position: null, done: false } : { ...range, slice: null, position: null, done: true };
    }
    yield {
      records,
      checkpoint,
      ...(readThrough === null ? {} : { state: { cursor: readThrough } }),
      ...(page.resumeAfterSeconds === undefined ? {} : { resumeAfterSeconds: page.resumeAfterSeconds }),
    };
    if (checkpoint.done || page.resumeAfterSeconds !== undefined) return;
    slice = checkpoint.slice as DateRange;
    position = checkpoint.position;
  }
}

function maxDate(a: string | null, b: string): string {
  return a === null ? b : later(a, b);
}

/** A row with its date checked against the slice it was asked for, and the reader's fixed fields. */
function rowOf(record: SourceRecord, slice: DateRange, fields: Record<string, JsonValue> | undefined): SourceRecord {
  const given = record[REPORT_DATE_FIELD];
  let date: unknown = given;
  if (given === undefined || given === null) {
    // One-day slices: the day is known even when the API does not repeat it per row.
    if (slice.from !== slice.to) throw new ConnectorError("data", `a report row for ${slice.from}..${slice.to} has no ${REPORT_DATE_FIELD}`);
    date = slice.from;
  }
  if (typeof date !== "string" || !DATE_ONLY.test(date) || date < slice.from || date > slice.to) {
    // A row outside the asked range would be merged into a day this slice does not own.
    throw new ConnectorError("data", `a report row dated ${JSON.stringify(date)} came back for the range ${slice.from}..${slice.to}`);
  }
  return { ...record, ...fields, [REPORT_DATE_FIELD]: date };
}
