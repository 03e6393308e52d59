/**
 * How a GA4 report is read (research/connectors-data.md §1; DESIGN §5.1):
 * - Reports with `date` are the kit's report streams (kit/report.ts): the run's range from (committed date −
 *   lookback_window_days) to today, walked in slices of SLICE_DAYS days; inside a slice, each property in turn, paged
 *   by offset/limit against rowCount, with rows ordered by date and every dimension so offsets are stable between
 *   requests. The checkpoint's position is `{property, offset}`.
 * - "Today" is the property's own: the first chunk of a run asks each property for its time zone (a one-row report
 *   of today), and the run reads up to the latest of those days; each row's date is already in its property's zone.
 * - Reports without `date` are one aggregate over start_date..today, read in full each run.
 * - Every value arrives as a string: dimensions stay text (date becomes YYYY-MM-DD), metrics become numbers by
 *   their header's type (integers rounded: GA4 sometimes sends "12.0" for an integer metric).
 */
import type { ConnectorContext, JsonValue, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { addDays, DEFAULT_HISTORY_DAYS, type DateRange, readReport, todayIn } from "../kit/report";
import { PropertyTokens, type PropertyQuota } from "./client";
import { type Ga4Config, type Ga4ReportDefinition } from "./spec";

/** Days per runReport range: fewer requests than one a day, and a slice's rows stay well under a page. */
export const SLICE_DAYS = 30;

interface RunReportResponse {
  dimensionHeaders?: Array<{ name: string }>;
  metricHeaders?: Array<{ name: string; type?: string }>;
  rows?: Array<{ dimensionValues?: Array<{ value?: string }>; metricValues?: Array<{ value?: string }> }>;
  rowCount?: number;
  metadata?: {
    timeZone?: string;
    dataLossFromOtherRow?: boolean;
    subjectToThresholding?: boolean;
    samplingMetadatas?: Array<{ samplesReadCount?: string; samplingSpaceSize?: string }>;
  };
  propertyQuota?: PropertyQuota;
}

function runReport(http: HttpClient, tokens: PropertyTokens, property: string, body: Record<string, unknown>): Promise<RunReportResponse> {
  return tokens.spend(property, () => http.getJson<RunReportResponse>({ method: "POST", url: `/properties/${property}:runReport`, json: { ...body, returnPropertyQuota: true } }));
}

/** The latest "today" among the properties' time zones (one tiny report each, once per run). */
async function todayOfProperties(http: HttpClient, tokens: PropertyTokens, properties: string[], now: Date): Promise<string> {
  let latest: string | null = null;
  for (const property of properties) {
    const answer = await runReport(http, tokens, property, { dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessions" }], limit: "1" });
    const today = todayIn(answer.metadata?.timeZone ?? "UTC", now);
    if (latest === null || today > latest) latest = today;
  }
  return latest ?? todayIn("UTC", now);
}

function toNumber(value: string | undefined, type: string | undefined): number | null {
  if (value === undefined || value === "") return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  return type === "TYPE_INTEGER" ? Math.round(n) : n;
}

export function rowsOf(property: string, answer: RunReportResponse): SourceRecord[] {
  const dims = (answer.dimensionHeaders ?? []).map((h) => h.name);
  const metrics = answer.metricHeaders ?? [];
  const meta = answer.metadata ?? {};
  const sample = meta.samplingMetadatas?.[0];
  const ratio = sample && Number(sample.samplingSpaceSize) > 0 ? Number(sample.samplesReadCount) / Number(sample.samplingSpaceSize) : null;
  const quality = {
    data_loss_from_other_row: meta.dataLossFromOtherRow === true,
    subject_to_thresholding: meta.subjectToThresholding === true,
    sampled: Boolean(meta.samplingMetadatas?.length),
    sampling_ratio: ratio,
  };
  return (answer.rows ?? []).map((row) => {
    const record: SourceRecord = { property_id: property };
    const values = row.dimensionValues ?? [];
    dims.forEach((name, i) => {
      const value = values[i]?.value ?? null;
      record[name] = name === "date" && value && /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
    });
    const others = dims.filter((d) => d !== "date");
    metrics.forEach((header, i) => {
      record[header.name] = toNumber(row.metricValues?.[i]?.value, header.type);
    });
    return { ...record, is_other_row: others.length > 0 && others.every((d) => record[d] === "(other)"), ...quality };
  });
}

function requestBody(report: Ga4ReportDefinition, range: DateRange, offset: number, limit: number): Record<string, unknown> {
  const withDate = report.dimensions.includes("date");
  const dimensions = withDate ? ["date", ...report.dimensions.filter((d) => d !== "date")] : report.dimensions;
  return {
    dateRanges: [{ startDate: range.from, endDate: range.to }],
    dimensions: dimensions.map((name) => ({ name })),
    metrics: report.metrics.map((name) => ({ name })),
    ...(report.dimension_filter ? { dimensionFilter: report.dimension_filter } : {}),
    ...(report.metric_filter ? { metricFilter: report.metric_filter } : {}),
    // Offsets only page reliably over a total order.
    orderBys: dimensions.map((name) => ({ dimension: { dimensionName: name }, desc: false })),
    // int64 fields are strings in proto3 JSON.
    offset: String(offset),
    limit: String(limit),
  };
}

interface Position {
  property: number;
  offset: number;
}

function positionOf(value: JsonValue, properties: number): Position {
  if (value === null) return { property: 0, offset: 0 };
  const p = value as { property?: unknown; offset?: unknown };
  if (typeof p !== "object" || !Number.isInteger(p.property) || !Number.isInteger(p.offset) || (p.property as number) >= properties) {
    throw new ConnectorError("data", `ga4 checkpoint position is not one this reader wrote: ${JSON.stringify(value)}`);
  }
  return { property: p.property as number, offset: p.offset as number };
}

/** One page of a range: the property at `position`, from its offset; the next position, or null when all are read. */
async function pageOf(http: HttpClient, tokens: PropertyTokens, config: Ga4Config, report: Ga4ReportDefinition, range: DateRange, at: Position) {
  const property = config.property_ids[at.property]!;
  const answer = await runReport(http, tokens, property, requestBody(report, range, at.offset, config.page_size));
  const records = rowsOf(property, answer);
  const read = at.offset + records.length;
  const total = answer.rowCount ?? 0;
  const next: Position | null =
    records.length > 0 && read < total ? { property: at.property, offset: read } : at.property + 1 < config.property_ids.length ? { property: at.property + 1, offset: 0 } : null;
  return { records, next };
}

export async function* readGa4Report(ctx: ConnectorContext, http: HttpClient, config: Ga4Config, request: ReadRequest, report: Ga4ReportDefinition): AsyncGenerator<Page> {
  const tokens = new PropertyTokens(ctx.budget, () => ctx.now().getTime());
  const today = request.checkpoint ? todayIn("UTC", ctx.now()) : await todayOfProperties(http, tokens, config.property_ids, ctx.now());
  if (!report.dimensions.includes("date")) {
    yield* readAggregate(ctx, http, tokens, config, request, report, today);
    return;
  }
  yield* readReport(
    ctx,
    request,
    {
      today,
      lookbackDays: config.lookback_window_days,
      startDate: config.start_date ?? null,
      endDate: config.end_date ?? null,
      sliceDays: SLICE_DAYS,
    },
    {
      async page(slice, position) {
        const { records, next } = await pageOf(http, tokens, config, report, slice, positionOf(position, config.property_ids.length));
        return { records, next: next as JsonValue };
      },
    },
  );
}

/** A report without a date: start_date (or two years back) to today, every property, the range fixed in the checkpoint. */
async function* readAggregate(
  ctx: ConnectorContext,
  http: HttpClient,
  tokens: PropertyTokens,
  config: Ga4Config,
  request: ReadRequest,
  report: Ga4ReportDefinition,
  today: string,
): AsyncGenerator<Page> {
  const saved = request.checkpoint as { from?: string; to?: string; position?: JsonValue; done?: boolean } | null;
  if (saved?.done) return;
  const range: DateRange = saved?.from && saved.to ? { from: saved.from, to: saved.to } : { from: config.start_date ?? addDays(today, -DEFAULT_HISTORY_DAYS), to: config.end_date ?? today };
  let at = positionOf(saved?.position ?? null, config.property_ids.length);
  for (;;) {
    if (ctx.signal.aborted) return;
    const { records, next } = await pageOf(http, tokens, config, report, range, at);
    yield { records, checkpoint: { from: range.from, to: range.to, position: next as JsonValue, done: next === null } };
    if (!next) return;
    at = next;
  }
}
