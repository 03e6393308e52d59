/**
 * How linkedin_ads streams are read (research/connectors-data.md §4; DESIGN §5.1):
 * - Entities: versioned finders paged by `pageToken` (adAccounts, adCampaignGroups, adCampaigns, creatives; the next
 *   token in `metadata.nextPageToken`) or by `start`/`count` (adAccountUsers, conversions), once per ad account
 *   (kit/fan-out.ts). No finder filters by modification time, so an incremental read lists everything and keeps the
 *   records changed at or after the committed cursor.
 * - Analytics: adAnalytics `q=analytics` with one pivot, DAILY, per ad account and date slice (kit/report.ts: the
 *   lookback re-reads the last days and the warehouse merges them by date and pivot URN). A request takes at most 20
 *   fields, so the metrics are asked for in groups, each with dateRange and pivotValues, and joined on both. The
 *   endpoint has no paging and drops rows past 15,000 without saying so: a range that reaches the cap is read again
 *   in halves.
 */
import type { ConnectorContext, JsonValue, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { readHttpStream, stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import { readFanOut } from "../kit/fan-out";
import type { HttpClient, HttpRequest } from "../kit/http";
import { createPaginator } from "../kit/paginators";
import { compareCursors, type CursorValue } from "../kit/records";
import { addDays, type DateRange, readReport, todayIn } from "../kit/report";
import { accountUrn, linkedinClient, restliList, restliString } from "./client";
import { ANALYTICS_METRICS, ANALYTICS_PIVOTS, type LinkedinAdsConfig } from "./spec";

const PAGE_SIZE = 100;
/** adAnalytics answers at most this many elements and silently drops the rest (research §4). */
export const ANALYTICS_ROW_CAP = 15_000;
/** Fields a single adAnalytics request may name (LinkedIn's 20-metric limit, counted over every field sent). */
export const MAX_FIELDS_PER_REQUEST = 20;
const JOIN_FIELDS = ["dateRange", "pivotValues"];

/** Every status LinkedIn documents, named in the search as Airbyte's manifest does (research §4), so none is left to a default. */
const CAMPAIGN_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "COMPLETED", "CANCELED", "DRAFT", "PENDING_DELETION", "REMOVED"];
const GROUP_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "CANCELED", "DRAFT", "PENDING_DELETION", "REMOVED"];
const statusSearch = (statuses: string[]) => `(status:(values:${restliList(statuses)}))`;

const tokenPaging = createPaginator({ type: "cursor", cursor_param: "pageToken", cursor_path: "metadata.nextPageToken", limit_param: "pageSize", limit: PAGE_SIZE });
const offsetPaging = createPaginator({ type: "offset", offset_param: "start", limit_param: "count", limit: PAGE_SIZE });

const isoOfMs = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? new Date(value).toISOString() : value);

/** Epoch-ms audit stamps as ISO columns: `changeAuditStamps.{created,lastModified}.time`, or creatives' own `*At`. */
function entityRow(record: SourceRecord): SourceRecord {
  const { changeAuditStamps, ...rest } = record as SourceRecord & { changeAuditStamps?: { created?: { time?: unknown }; lastModified?: { time?: unknown } } };
  const out: SourceRecord = { ...rest };
  if (changeAuditStamps) {
    out.created = isoOfMs(changeAuditStamps.created?.time) as JsonValue;
    out.lastModified = isoOfMs(changeAuditStamps.lastModified?.time) as JsonValue;
  }
  for (const field of ["created", "lastModified", "createdAt", "lastModifiedAt"]) if (field in out) out[field] = isoOfMs(out[field]) as JsonValue;
  return out;
}

interface EntityStream {
  /** The finder request for one account. */
  request(account: string): HttpRequest;
  paging: "token" | "offset";
}

const ENTITIES: Record<string, EntityStream> = {
  account_users: { paging: "offset", request: (a) => ({ url: "/adAccountUsers", query: { q: "accounts" }, rawQuery: { accounts: restliString(accountUrn(a)) } }) },
  campaign_groups: { paging: "token", request: (a) => ({ url: `/adAccounts/${a}/adCampaignGroups`, query: { q: "search" }, rawQuery: { search: statusSearch(GROUP_STATUSES) } }) },
  campaigns: { paging: "token", request: (a) => ({ url: `/adAccounts/${a}/adCampaigns`, query: { q: "search" }, rawQuery: { search: statusSearch(CAMPAIGN_STATUSES) } }) },
  // The creatives criteria finder is a FINDER that LinkedIn wants named in X-RestLi-Method.
  creatives: { paging: "token", request: (a) => ({ url: `/adAccounts/${a}/creatives`, query: { q: "criteria" }, headers: { "x-restli-method": "FINDER" } }) },
  conversions: { paging: "offset", request: (a) => ({ url: "/conversions", query: { q: "account" }, rawQuery: { account: restliString(accountUrn(a)) } }) },
};

const withClient = (ctx: ConnectorContext, http: HttpClient): ConnectorContext => ({ ...ctx, http });

/** adAccounts `q=search`, narrowed to the configured ids when there are any. */
export function accountSearch(config: LinkedinAdsConfig): HttpRequest {
  const ids = config.account_ids ?? [];
  return { url: "/adAccounts", query: { q: "search" }, ...(ids.length ? { rawQuery: { search: `(id:(values:List(${ids.join(",")})))` } } : {}) };
}

/** The configured account ids, or every account the token can read. */
async function accountIds(ctx: ConnectorContext, config: LinkedinAdsConfig): Promise<string[]> {
  if (config.account_ids?.length) return config.account_ids;
  const ids: string[] = [];
  for await (const page of readHttpStream(ctx, { request: accountSearch(config), paginator: tokenPaging, recordsPath: "elements" }, { state: null, checkpoint: null })) {
    ids.push(...page.records.map((r) => String(r.id)));
  }
  return ids;
}

/** Incremental entity reads keep what changed at or after the committed cursor (the same millisecond is read again). */
const changedSince = (field: string | null, committed: CursorValue | null) => (record: SourceRecord) => {
  if (!field || committed === null) return true;
  const value = record[field];
  return typeof value !== "string" || compareCursors(value, committed) >= 0;
};

export async function* readEntities(ctx: ConnectorContext, config: LinkedinAdsConfig, request: ReadRequest): AsyncGenerator<Page> {
  const http = linkedinClient(ctx, config);
  const api = withClient(ctx, http);
  const name = request.stream.name;
  const cursorField = request.stream.cursor_field;
  const committed = request.sync_mode === "incremental" && cursorField ? stateCursor(request.state) : null;
  const keep = changedSince(cursorField, committed);
  if (name === "ad_accounts") {
    const stream = { request: accountSearch(config), paginator: tokenPaging, recordsPath: "elements", mapRecord: entityRow, cursorField: cursorField ?? null };
    for await (const page of readHttpStream(api, stream, { state: request.state, checkpoint: request.checkpoint })) yield { ...page, records: page.records.filter(keep) };
    return;
  }
  const entity = ENTITIES[name];
  if (!entity) throw new ConnectorError("configuration", `"${name}" is not a linkedin_ads stream`);
  yield* readFanOut(
    api,
    {
      reader: "LinkedIn",
      parents: (c) => accountIds(c, config),
      child: (account) => ({ request: entity.request(account), paginator: entity.paging === "token" ? tokenPaging : offsetPaging, recordsPath: "elements", mapRecord: entityRow }),
      parentKey: "account_id",
      cursorField: cursorField ?? null,
      committed,
      upper: typeof request.checkpoint?.upper === "string" ? request.checkpoint.upper : ctx.now().toISOString(),
      keep,
    },
    request.checkpoint,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Analytics

interface AnalyticsPosition {
  /** The accounts of this slice still to read, the one being read first (fixed when the slice starts). */
  accounts: string[];
  /** The ranges of this slice still to read for that account, the one being read first (halved at the row cap). */
  ranges: DateRange[];
}

interface AnalyticsElement {
  pivotValues?: string[];
  dateRange?: { start?: { year: number; month: number; day: number } };
  [metric: string]: unknown;
}

/** Metric groups of at most 20 fields, dateRange and pivotValues in each. */
export function metricGroups(metrics: readonly string[]): string[][] {
  const size = MAX_FIELDS_PER_REQUEST - JOIN_FIELDS.length;
  const groups: string[][] = [];
  for (let i = 0; i < metrics.length; i += size) groups.push([...JOIN_FIELDS, ...metrics.slice(i, i + size)]);
  return groups;
}

/** Rest.li 2.0 date range, inclusive at both ends. */
function restliDateRange(range: DateRange): string {
  const part = (date: string) => {
    const [year, month, day] = date.split("-").map(Number);
    return `(year:${year},month:${month},day:${day})`;
  };
  return `(start:${part(range.from)},end:${part(range.to)})`;
}

const pad = (n: number) => String(n).padStart(2, "0");

function halves(range: DateRange): DateRange[] {
  const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
  const firstTo = addDays(range.from, Math.ceil(days / 2) - 1);
  return [{ from: range.from, to: firstTo }, { from: addDays(firstTo, 1), to: range.to }];
}

export async function* readAnalytics(ctx: ConnectorContext, config: LinkedinAdsConfig, request: ReadRequest): AsyncGenerator<Page> {
  const pivot = ANALYTICS_PIVOTS[request.stream.name];
  if (!pivot) throw new ConnectorError("configuration", `"${request.stream.name}" is not a linkedin_ads analytics stream`);
  const http = linkedinClient(ctx, config);
  const api = withClient(ctx, http);
  const types = ANALYTICS_METRICS;
  const groups = metricGroups(Object.keys(ANALYTICS_METRICS));
  // Listed when a slice starts (once per chunk at most) and carried in the position, so a resumed chunk reads the
  // same accounts as the one before it.
  let listed: string[] | undefined;
  const accounts = async () => (listed ??= await accountIds(api, config));

  const cast = (metric: string, value: unknown): JsonValue => {
    // Money comes as decimal strings ("12.34"); counts as numbers.
    if ((types[metric] === "number" || types[metric] === "integer") && typeof value === "string" && value.trim() !== "") return Number(value);
    return value as JsonValue;
  };

  const reader = {
    async page(slice: DateRange, position: JsonValue) {
      let pos = (position as unknown as AnalyticsPosition | null) ?? { accounts: await accounts(), ranges: [slice] };
      for (;;) {
        const account = pos.accounts[0];
        if (account === undefined) return { records: [], next: null };
        const range = pos.ranges[0]!;
        const rows = new Map<string, SourceRecord>();
        let capped = false;
        for (const fields of groups) {
          const answer = await http.getJson<{ elements?: AnalyticsElement[] }>({
            url: "/adAnalytics",
            query: { q: "analytics", pivot, timeGranularity: "DAILY" },
            rawQuery: { dateRange: restliDateRange(range), accounts: restliList([accountUrn(account)]), fields: fields.join(",") },
          });
          const elements = answer.elements ?? [];
          if (elements.length >= ANALYTICS_ROW_CAP) {
            capped = true;
            break;
          }
          for (const element of elements) {
            const start = element.dateRange?.start;
            const value = element.pivotValues?.[0];
            if (!start || typeof value !== "string") throw new ConnectorError("data", `an adAnalytics row for account ${account} has no dateRange or pivotValues`);
            const date = `${start.year}-${pad(start.month)}-${pad(start.day)}`;
            const key = `${date}|${value}`;
            const row = rows.get(key) ?? { date, pivot_value: value, account_id: account };
            for (const metric of fields) if (!JOIN_FIELDS.includes(metric) && metric in element) row[metric] = cast(metric, element[metric]);
            rows.set(key, row);
          }
        }
        if (capped) {
          if (range.from === range.to) {
            throw new ConnectorError("data", `adAnalytics answered ${ANALYTICS_ROW_CAP} rows (its cap) for account ${account} on ${range.from} alone; rows past the cap are dropped by LinkedIn`);
          }
          pos = { ...pos, ranges: [...halves(range), ...pos.ranges.slice(1)] };
          continue;
        }
        const next: AnalyticsPosition | null =
          pos.ranges.length > 1 ? { ...pos, ranges: pos.ranges.slice(1) } : pos.accounts.length > 1 ? { accounts: pos.accounts.slice(1), ranges: [slice] } : null;
        return { records: [...rows.values()], next: next as unknown as JsonValue };
      }
    },
  };

  yield* readReport(
    api,
    request,
    {
      // adAnalytics dates are UTC days.
      today: todayIn("UTC", ctx.now()),
      lookbackDays: config.lookback_window_days,
      startDate: config.start_date ?? null,
      sliceDays: config.analytics_days_per_request ?? 30,
    },
    reader,
  );
}
