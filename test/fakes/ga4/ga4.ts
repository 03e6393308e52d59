/**
 * A fake of the Google Analytics Data API v1beta (research/connectors-data.md §1;
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport):
 * - runReport: dateRanges (YYYY-MM-DD, `today`, `yesterday`, `NdaysAgo` in the property's time zone), at most 9
 *   dimensions and 10 metrics checked against the metadata list, orderBys, offset/limit (int64 as strings or numbers,
 *   limit at most 250,000), rowCount independent of paging, `rows` absent when there are none, every value a string,
 *   `date` as YYYYMMDD, metricHeaders with types, metadata {timeZone, currencyCode, dataLossFromOtherRow,
 *   subjectToThresholding, samplingMetadatas}, propertyQuota when returnPropertyQuota is set;
 * - the property's hourly and daily token buckets spent per request, RESOURCE_EXHAUSTED once one is empty;
 * - a cardinality cap that folds the rest of a day's rows into one "(other)" row, as GA4 does;
 * - restatement: recent days' figures change between runs (GA4 processes data for 24–48 h);
 * - metadata: GET /v1beta/properties/{id}/metadata with the dimensions and metrics it knows;
 * - 403 for a caller who is not a viewer of the property.
 * Figures are a pure function of (property, date, dimension values, metric, restatement), so tests compute sums.
 */
import type { Principal } from "../google-oauth/issuer";
import { ApiFailure } from "../google-sheets/sheets";

const DIMENSION_VALUES: Record<string, string[]> = {
  sessionSource: ["google", "(direct)", "newsletter"],
  sessionMedium: ["organic", "(none)", "email"],
  deviceCategory: ["desktop", "mobile", "tablet"],
  operatingSystem: ["Windows", "iOS", "Android"],
  browser: ["Chrome", "Safari"],
  country: ["United States", "Germany", "Japan"],
  region: ["California", "Bavaria"],
  city: ["San Jose", "Munich"],
  hostName: ["www.example.com"],
  pagePath: ["/", "/pricing", "/blog/launch", "/docs"],
  eventName: ["page_view", "session_start", "purchase"],
  landingPage: ["/", "/pricing"],
  "customEvent:plan": ["free", "pro"],
};

export const METRIC_TYPES: Record<string, string> = {
  totalUsers: "TYPE_INTEGER",
  newUsers: "TYPE_INTEGER",
  activeUsers: "TYPE_INTEGER",
  active1DayUsers: "TYPE_INTEGER",
  active7DayUsers: "TYPE_INTEGER",
  active28DayUsers: "TYPE_INTEGER",
  sessions: "TYPE_INTEGER",
  engagedSessions: "TYPE_INTEGER",
  screenPageViews: "TYPE_INTEGER",
  eventCount: "TYPE_INTEGER",
  keyEvents: "TYPE_INTEGER",
  averageSessionDuration: "TYPE_SECONDS",
  bounceRate: "TYPE_FLOAT",
  totalRevenue: "TYPE_CURRENCY",
};

const MAX_LIMIT = 250_000;

export interface PropertyInput {
  viewers: string[];
  time_zone?: string;
  currency?: string;
  tokens_per_hour?: number;
  tokens_per_day?: number;
  /** Tokens each runReport costs (GA4's cost grows with rows and complexity; a fixed cost keeps tests exact). */
  token_cost?: number;
  /** At most this many rows per day; the rest fold into one "(other)" row. */
  cardinality?: number;
  thresholded?: boolean;
  sampled?: { samplesReadCount: string; samplingSpaceSize: string };
}

interface Property {
  id: string;
  viewers: Set<string>;
  timeZone: string;
  currency: string;
  tokensPerHour: number;
  tokensPerDay: number;
  tokenCost: number;
  hourUsed: number;
  dayUsed: number;
  cardinality?: number;
  thresholded: boolean;
  sampled?: PropertyInput["sampled"];
  /** Days on and after `from` have figures multiplied by `factor` (the latest restatement wins). */
  restatements: Array<{ from: string; factor: number }>;
  log: LoggedGa4Request[];
}

export interface LoggedGa4Request {
  path: string;
  body: any;
  principal: string;
  status: number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The figure of one metric in one row, before restatement. */
export function baseFigure(property: string, date: string, dims: string[], metric: string): number {
  const h = hash(`${property}|${date}|${dims.join("|")}|${metric}`);
  const type = METRIC_TYPES[metric] ?? "TYPE_INTEGER";
  if (type === "TYPE_FLOAT") return (h % 1000) / 1000;
  if (type === "TYPE_SECONDS") return (h % 60000) / 100;
  if (type === "TYPE_CURRENCY") return (h % 100000) / 100;
  return 1 + (h % 500);
}

function todayIn(timeZone: string, nowMs: number): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(nowMs));
  return parts;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function resolveDate(value: unknown, today: string, field: string): string {
  const text = String(value ?? "");
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  if (text === "today") return today;
  if (text === "yesterday") return addDays(today, -1);
  const ago = /^(\d+)daysAgo$/.exec(text);
  if (ago) return addDays(today, -Number(ago[1]));
  throw new ApiFailure(400, "INVALID_ARGUMENT", `Invalid ${field}: ${text}. Date must be in the format YYYY-MM-DD, NdaysAgo, yesterday, or today.`);
}

function int64(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ApiFailure(400, "INVALID_ARGUMENT", `Invalid value at '${field}' (TYPE_INT64), "${String(value)}"`);
  return n;
}

export class Ga4Fake {
  private readonly properties = new Map<string, Property>();

  put(id: string, input: PropertyInput): void {
    const existing = this.properties.get(id);
    this.properties.set(id, {
      id,
      viewers: new Set(input.viewers),
      timeZone: input.time_zone ?? "America/Los_Angeles",
      currency: input.currency ?? "USD",
      tokensPerHour: input.tokens_per_hour ?? 40_000,
      tokensPerDay: input.tokens_per_day ?? 200_000,
      tokenCost: input.token_cost ?? 10,
      hourUsed: existing?.hourUsed ?? 0,
      dayUsed: existing?.dayUsed ?? 0,
      ...(input.cardinality !== undefined ? { cardinality: input.cardinality } : {}),
      thresholded: input.thresholded ?? false,
      ...(input.sampled ? { sampled: input.sampled } : {}),
      restatements: existing?.restatements ?? [],
      log: existing?.log ?? [],
    });
  }

  restate(id: string, from: string, factor: number): void {
    this.property(id).restatements.push({ from, factor });
  }

  /** A new hour: the hourly bucket is full again. */
  newHour(id: string): void {
    this.property(id).hourUsed = 0;
  }

  requests(id: string): LoggedGa4Request[] {
    return this.property(id).log;
  }

  private property(id: string): Property {
    const p = this.properties.get(id);
    if (!p) throw new Error(`no property ${id}`);
    return p;
  }

  figure(p: Property, date: string, dims: string[], metric: string): number {
    let value = baseFigure(p.id, date, dims, metric);
    const restated = p.restatements.filter((r) => date >= r.from).at(-1);
    if (restated) value = (METRIC_TYPES[metric] ?? "TYPE_INTEGER") === "TYPE_INTEGER" ? Math.round(value * restated.factor) : value * restated.factor;
    return value;
  }

  handle(method: string, path: string, body: any, principal: Principal, nowMs = Date.now()): unknown {
    const match = /^\/v1beta\/properties\/([^/:]+)(:runReport|\/metadata)$/.exec(path);
    if (!match) throw new ApiFailure(404, "NOT_FOUND", `Method not found: ${path}`);
    const p = this.properties.get(match[1]!);
    const entry: LoggedGa4Request = { path, body, principal: principal.id, status: 200 };
    p?.log.push(entry);
    try {
      if (!p || !p.viewers.has(principal.id)) {
        throw new ApiFailure(403, "PERMISSION_DENIED", `User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.`);
      }
      if (!principal.scopes.some((s) => /\/auth\/analytics(\.readonly)?$/.test(s))) {
        throw new ApiFailure(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" },
        ]);
      }
      if (match[2] === "/metadata") {
        if (method !== "GET") throw new ApiFailure(405, "INVALID_ARGUMENT", "metadata is read with GET");
        return this.metadata(p);
      }
      if (method !== "POST") throw new ApiFailure(405, "INVALID_ARGUMENT", "runReport is a POST");
      return this.runReport(p, body ?? {}, nowMs);
    } catch (error) {
      if (error instanceof ApiFailure) entry.status = error.status;
      throw error;
    }
  }

  private metadata(p: Property) {
    return {
      name: `properties/${p.id}/metadata`,
      dimensions: ["date", ...Object.keys(DIMENSION_VALUES)].map((apiName) => ({ apiName, uiName: apiName, description: `The ${apiName} dimension.`, category: "Fake", ...(apiName.includes(":") ? { customDefinition: true } : {}) })),
      metrics: Object.entries(METRIC_TYPES).map(([apiName, type]) => ({ apiName, uiName: apiName, description: `The ${apiName} metric.`, type, category: "Fake" })),
    };
  }

  private runReport(p: Property, body: any, nowMs: number) {
    const dimensions: string[] = (body.dimensions ?? []).map((d: any) => String(d?.name));
    const metrics: string[] = (body.metrics ?? []).map((m: any) => String(m?.name));
    if (dimensions.length > 9) throw new ApiFailure(400, "INVALID_ARGUMENT", "Requests are limited to 9 dimensions.");
    if (metrics.length === 0 || metrics.length > 10) throw new ApiFailure(400, "INVALID_ARGUMENT", "Requests must have between 1 and 10 metrics.");
    for (const d of dimensions) {
      if (d !== "date" && !DIMENSION_VALUES[d]) throw new ApiFailure(400, "INVALID_ARGUMENT", `Field ${d} is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema `);
    }
    for (const m of metrics) {
      if (!METRIC_TYPES[m]) throw new ApiFailure(400, "INVALID_ARGUMENT", `Field ${m} is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema `);
    }
    const ranges = body.dateRanges ?? [];
    if (!Array.isArray(ranges) || ranges.length === 0 || ranges.length > 4) throw new ApiFailure(400, "INVALID_ARGUMENT", "Requests must have between 1 and 4 dateRanges.");
    const limit = int64(body.limit, "limit", 10_000);
    const offset = int64(body.offset, "offset", 0);
    if (limit > MAX_LIMIT || limit === 0) throw new ApiFailure(400, "INVALID_ARGUMENT", `limit must be positive and at most ${MAX_LIMIT}, got ${limit}.`);

    // Quota first: an empty bucket refuses the request before any work (GA4: every request to the property fails).
    if (p.hourUsed >= p.tokensPerHour) throw new ApiFailure(429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour.");
    if (p.dayUsed >= p.tokensPerDay) throw new ApiFailure(429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per day.");
    p.hourUsed += p.tokenCost;
    p.dayUsed += p.tokenCost;

    const today = todayIn(p.timeZone, nowMs);
    const rows: Array<{ dims: string[]; values: number[] }> = [];
    let dataLoss = false;
    const others = dimensions.filter((d) => d !== "date");
    const combos = others.reduce<string[][]>((acc, d) => acc.flatMap((combo) => DIMENSION_VALUES[d]!.map((v) => [...combo, v])), [[]]);
    const days = new Set<string>();
    for (const range of ranges) {
      const from = resolveDate(range.startDate, today, "startDate");
      const to = resolveDate(range.endDate, today, "endDate");
      if (from > to) throw new ApiFailure(400, "INVALID_ARGUMENT", `Invalid date range: startDate ${from} is after endDate ${to}.`);
      for (let day = from; day <= to && day <= today; day = addDays(day, 1)) days.add(day);
    }
    for (const day of [...days].sort()) {
      const dayRows = combos.map((combo) => ({ combo, values: metrics.map((m) => this.figure(p, day, combo, m)) }));
      let kept = dayRows;
      if (p.cardinality !== undefined && dayRows.length > p.cardinality) {
        dataLoss = true;
        kept = dayRows.slice(0, p.cardinality - 1);
        const rest = dayRows.slice(p.cardinality - 1);
        kept.push({ combo: others.map(() => "(other)"), values: metrics.map((_, i) => rest.reduce((sum, r) => sum + r.values[i]!, 0)) });
      }
      for (const row of kept) {
        const dims = dimensions.map((d) => (d === "date" ? day.replaceAll("-", "") : row.combo[others.indexOf(d)]!));
        rows.push({ dims, values: row.values });
      }
    }
    if (!dimensions.includes("date") && rows.length) {
      // Without a date dimension, rows aggregate over the range.
      const merged = new Map<string, { dims: string[]; values: number[] }>();
      for (const row of rows) {
        const key = row.dims.join("\u0000");
        const had = merged.get(key);
        if (had) had.values = had.values.map((v, i) => v + row.values[i]!);
        else merged.set(key, { dims: row.dims, values: [...row.values] });
      }
      rows.splice(0, rows.length, ...merged.values());
    }
    for (const order of [...(body.orderBys ?? [])].reverse()) {
      const name = order?.dimension?.dimensionName;
      const at = dimensions.indexOf(name);
      if (at < 0) continue;
      rows.sort((a, b) => (a.dims[at]! < b.dims[at]! ? -1 : a.dims[at]! > b.dims[at]! ? 1 : 0) * (order.desc ? -1 : 1));
    }
    const page = rows.slice(offset, offset + limit);
    const answer: Record<string, unknown> = {
      dimensionHeaders: dimensions.map((name) => ({ name })),
      metricHeaders: metrics.map((name) => ({ name, type: METRIC_TYPES[name] })),
      ...(page.length
        ? {
            rows: page.map((r) => ({
              dimensionValues: r.dims.map((value) => ({ value })),
              metricValues: r.values.map((value) => ({ value: String(value) })),
            })),
          }
        : {}),
      ...(rows.length ? { rowCount: rows.length } : {}),
      metadata: {
        currencyCode: p.currency,
        timeZone: p.timeZone,
        ...(dataLoss ? { dataLossFromOtherRow: true } : {}),
        ...(p.thresholded ? { subjectToThresholding: true } : {}),
        ...(p.sampled ? { samplingMetadatas: [p.sampled] } : {}),
      },
      kind: "analyticsData#runReport",
    };
    if (body.returnPropertyQuota) {
      answer.propertyQuota = {
        tokensPerDay: { consumed: p.tokenCost, remaining: Math.max(0, p.tokensPerDay - p.dayUsed) },
        tokensPerHour: { consumed: p.tokenCost, remaining: Math.max(0, p.tokensPerHour - p.hourUsed) },
        concurrentRequests: { consumed: 0, remaining: 10 },
        serverErrorsPerProjectPerHour: { consumed: 0, remaining: 10 },
        potentiallyThresholdedRequestsPerHour: { consumed: 0, remaining: 120 },
        tokensPerProjectPerHour: { consumed: p.tokenCost, remaining: Math.max(0, Math.floor(p.tokensPerHour * 0.35) - p.hourUsed) },
      };
    }
    return answer;
  }
}
