/**
 * How facebook_ads streams are read (research/connectors-data.md §2; DESIGN §5.1, §5.2):
 * - Object streams: GET act_<id>/<edge> with explicit `fields`, `limit`, and `filtering` on `<entity>.updated_time`
 *   (incremental) and on `effective_status` (archived and deleted objects, when asked). Paged by
 *   `paging.cursors.after`; the `next` link is never kept, since it carries the access token.
 * - Insights: async report runs only. Each slice of `insights_days_per_job` days (kit/report.ts: lookback, state) is
 *   one POST act_<id>/insights per account → report_run_id, polled (a few times in the chunk, then by resuming the
 *   chunk later with the job id in the checkpoint, so no second job is submitted), then its results paged. A job
 *   Meta fails, or a submission refused as too much data, is re-submitted for half its range. So is a job polled for
 *   too long: JOB_MAX_SECONDS after its submission, or JOB_STALL_SECONDS without its percentage moving; a one-day job
 *   that does so fails the stream.
 */
import type { ConnectorContext, JsonObject, JsonValue, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { addDays, type DateRange, readReport, REPORT_DATE_FIELD, todayIn } from "../kit/report";
import { digits, facebookClient, REDUCE_DATA } from "./client";
import type { FacebookAdsConfig, InsightDefinition } from "./spec";

const OBJECT_PAGE_SIZE = 100;
const INSIGHTS_PAGE_SIZE = 500;
/** Meta keeps insights for 37 months (Airbyte uses 1,123 days). */
const RETENTION_DAYS = 1123;
/** Waits between polls inside one chunk (s); after them the chunk ends and the job is polled again later. */
const IN_CHUNK_POLLS = [0, 1, 2];
const RESUME_POLL_SECONDS = 30;
/** Failures of a one-day job before the read gives up on it (Meta's jobs fail transiently too). */
const MAX_DAY_FAILURES = 3;
/**
 * A report run is abandoned (and its range halved) once it has been polled this long since its submission: Meta's
 * insights best practices say an async job can take up to an hour, retries included (research/connectors-data.md §2;
 * Airbyte times jobs out at 60 minutes too).
 */
const JOB_MAX_SECONDS = 60 * 60;
/** …or once its async_percent_completion has not moved for this long (a run stuck at the same percentage). */
const JOB_STALL_SECONDS = 20 * 60;

/** Every effective_status Meta documents for campaigns, ad sets and ads; asked for when deleted objects are wanted. */
const ALL_STATUSES = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED", "PENDING_BILLING_INFO", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES"];

const OBJECT_EDGES: Record<string, { edge: string; entity: string | null }> = {
  campaigns: { edge: "campaigns", entity: "campaign" },
  adsets: { edge: "adsets", entity: "adset" },
  ads: { edge: "ads", entity: "ad" },
  adcreatives: { edge: "adcreatives", entity: null },
  customconversions: { edge: "customconversions", entity: null },
  adimages: { edge: "adimages", entity: null },
  advideos: { edge: "advideos", entity: null },
  activities: { edge: "activities", entity: null },
};

interface GraphPage {
  data?: Array<Record<string, unknown>>;
  paging?: { cursors?: { after?: string }; next?: string };
}

const clients = (ctx: ConnectorContext, config: FacebookAdsConfig) => {
  const made = new Map<string, HttpClient>();
  return (account: string) => made.get(account) ?? made.set(account, facebookClient(ctx, config, account)).get(account)!;
};

const fieldsOf = (request: ReadRequest) => Object.keys(request.stream.json_schema?.properties ?? {});

interface ObjectCheckpoint {
  account: number;
  after: string | null;
  /** The greatest updated_time read so far in this run. */
  seen: string | null;
  done: boolean;
}

export async function* readObjects(ctx: ConnectorContext, config: FacebookAdsConfig, request: ReadRequest): AsyncGenerator<Page> {
  const accounts = config.account_ids.map(digits);
  const client = clients(ctx, config);
  const fields = fieldsOf(request).join(",");
  if (request.stream.name === "ad_account") {
    const records: SourceRecord[] = [];
    for (const account of accounts) records.push(await client(account).getJson<SourceRecord>({ url: `/act_${account}`, query: { fields } }));
    yield { records, checkpoint: { done: true } };
    return;
  }
  const target = OBJECT_EDGES[request.stream.name];
  if (!target) throw new ConnectorError("configuration", `"${request.stream.name}" is not a facebook_ads object stream`);
  const committed = request.sync_mode === "incremental" && request.stream.cursor_field ? stateCursor(request.state) : null;
  let at = (request.checkpoint as unknown as ObjectCheckpoint | null) ?? { account: 0, after: null, seen: null, done: false };
  if (at.done) return;
  const filtering: Array<Record<string, JsonValue>> = [];
  if (target.entity && typeof committed === "string") {
    // GREATER_THAN one second before the committed time: objects changed in that same second are read again.
    filtering.push({ field: `${target.entity}.updated_time`, operator: "GREATER_THAN", value: Math.floor(Date.parse(committed) / 1000) - 1 });
  }
  if (target.entity && config.include_deleted) filtering.push({ field: `${target.entity}.effective_status`, operator: "IN", value: ALL_STATUSES });
  // Activities filter by time with `since` (unix s), not `filtering`; the committed second is read again.
  const since = request.stream.name === "activities" && typeof committed === "string" ? { since: Math.floor(Date.parse(committed) / 1000) - 1 } : {};
  for (;;) {
    if (ctx.signal.aborted) return;
    const account = accounts[at.account]!;
    const page = await client(account).getJson<GraphPage>({
      url: `/act_${account}/${target.edge}`,
      query: { fields, limit: OBJECT_PAGE_SIZE, ...since, ...(filtering.length ? { filtering: JSON.stringify(filtering) } : {}), ...(at.after ? { after: at.after } : {}) },
    });
    const records: SourceRecord[] = (page.data ?? []).map((row) => ({ account_id: account, ...row }));
    let seen = at.seen;
    const cursorField = request.stream.cursor_field;
    for (const r of records) {
      const value = cursorField ? r[cursorField] : undefined;
      if (typeof value === "string" && (seen === null || Date.parse(value) > Date.parse(seen))) seen = value;
    }
    const after = page.paging?.next ? (page.paging.cursors?.after ?? null) : null;
    at = after ? { ...at, after, seen } : at.account + 1 < accounts.length ? { account: at.account + 1, after: null, seen, done: false } : { ...at, after: null, seen, done: true };
    // State only when the stream is read through: Graph edges are not ordered by updated_time.
    const cursor = seen === null ? committed : committed !== null && Date.parse(String(committed)) > Date.parse(seen) ? committed : seen;
    yield { records, checkpoint: at as unknown as JsonObject, ...(at.done && cursor !== null ? { state: { cursor } } : {}) };
    if (at.done) return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Insights

interface InsightsPosition {
  account: number;
  /** The ranges of this slice still to read for this account, the one being read first (halved on failure). */
  ranges: DateRange[];
  job: string | null;
  after: string | null;
  failures: number;
  /** When `job` was submitted, and when its percentage (`percent`) last moved (ms since epoch, the context's clock). */
  submitted_at?: number;
  progress_at?: number;
  percent?: number;
}

const LEVEL_FIELDS: Record<InsightDefinition["level"], string[]> = {
  account: ["campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name"],
  campaign: ["adset_id", "adset_name", "ad_id", "ad_name"],
  adset: ["ad_id", "ad_name"],
  ad: [],
};

/** The fields a report asks Meta for: the stream's columns, without the breakdowns, the dates and other levels' ids. */
export function insightFields(request: ReadRequest, report: InsightDefinition): string[] {
  const excluded = new Set([...report.breakdowns, "date_start", "date_stop", REPORT_DATE_FIELD, ...LEVEL_FIELDS[report.level]]);
  const own = report.level === "account" ? [] : [`${report.level}_id`];
  return [...new Set(["account_id", ...own, ...(report.fields ?? fieldsOf(request))])].filter((f) => !excluded.has(f));
}

function halves(range: DateRange): DateRange[] {
  const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
  const firstTo = addDays(range.from, Math.ceil(days / 2) - 1);
  return [{ from: range.from, to: firstTo }, { from: addDays(firstTo, 1), to: range.to }];
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

export async function* readInsights(ctx: ConnectorContext, config: FacebookAdsConfig, request: ReadRequest, report: InsightDefinition): AsyncGenerator<Page> {
  const accounts = config.account_ids.map(digits);
  const client = clients(ctx, config);
  const fields = insightFields(request, report);
  const types = request.stream.json_schema?.properties ?? {};
  // The latest "today" of the accounts' time zones; a resumed run keeps the range its first chunk fixed.
  let today = todayIn("UTC", ctx.now());
  if (!request.checkpoint) {
    today = "0000-00-00";
    for (const account of accounts) {
      const { timezone_name: zone } = await client(account).getJson<{ timezone_name?: string }>({ url: `/act_${account}`, query: { fields: "timezone_name" } });
      const day = todayIn(zone ?? "UTC", ctx.now());
      if (day > today) today = day;
    }
  }

  const castRow = (row: Record<string, unknown>): SourceRecord => {
    const out: SourceRecord = {};
    for (const [name, value] of Object.entries(row)) {
      const type = types[name]?.type;
      const kinds = Array.isArray(type) ? type : [type];
      // Graph answers numbers as strings.
      out[name] = typeof value === "string" && value !== "" && (kinds.includes("integer") || kinds.includes("number")) ? Number(value) : value;
    }
    out[REPORT_DATE_FIELD] = row.date_start;
    return out;
  };

  const submit = async (account: string, range: DateRange): Promise<string | "reduce"> => {
    try {
      const { report_run_id: id } = await client(account).getJson<{ report_run_id?: string }>({
        method: "POST",
        url: `/act_${account}/insights`,
        form: {
          level: report.level,
          fields: fields.join(","),
          time_range: JSON.stringify({ since: range.from, until: range.to }),
          time_increment: 1,
          ...(report.breakdowns.length ? { breakdowns: JSON.stringify(report.breakdowns) } : {}),
          ...(report.action_breakdowns.length ? { action_breakdowns: JSON.stringify(report.action_breakdowns) } : {}),
          action_attribution_windows: JSON.stringify(config.action_attribution_windows),
        },
      });
      if (!id) throw new ConnectorError("data", `Meta answered an insights submission for act_${account} without a report_run_id`);
      return String(id);
    } catch (error) {
      if (error instanceof ConnectorError && error.message.startsWith(REDUCE_DATA)) return "reduce";
      throw error;
    }
  };

  /** The range failed (a failed job, too much data): its halves, or the same day again a bounded number of times. */
  const split = (pos: InsightsPosition, why: string): InsightsPosition => {
    const [range, ...rest] = pos.ranges as [DateRange, ...DateRange[]];
    if (range.from !== range.to) return { ...pos, ranges: [...halves(range), ...rest], job: null, after: null, failures: 0 };
    if (pos.failures + 1 >= MAX_DAY_FAILURES) {
      throw new ConnectorError("retryable", `Meta's insights job for act_${accounts[pos.account]} on ${range.from} failed ${MAX_DAY_FAILURES} times (${why})`);
    }
    return { ...pos, job: null, after: null, failures: pos.failures + 1 };
  };

  /** The range is read: the next range, the next account, or the end of the slice. */
  const advance = (pos: InsightsPosition, slice: DateRange): InsightsPosition | null => {
    if (pos.ranges.length > 1) return { ...pos, ranges: pos.ranges.slice(1), job: null, after: null, failures: 0 };
    if (pos.account + 1 < accounts.length) return { account: pos.account + 1, ranges: [slice], job: null, after: null, failures: 0 };
    return null;
  };

  /** The position after a poll that answered `percent`: a higher percentage is progress. */
  const progressed = (pos: InsightsPosition, percent: number | undefined): InsightsPosition => {
    // A checkpoint written before these fields existed starts its clocks at this poll.
    const now = ctx.now().getTime();
    const at = { ...pos, submitted_at: pos.submitted_at ?? now, progress_at: pos.progress_at ?? now, percent: pos.percent ?? 0 };
    return typeof percent === "number" && percent > at.percent ? { ...at, percent, progress_at: now } : at;
  };

  /** Why the job has been polled for too long, or null while it may still run. */
  const overdueFor = (pos: InsightsPosition): string | null => {
    const now = ctx.now().getTime();
    if (now - pos.submitted_at! >= JOB_MAX_SECONDS * 1000) return `not completed ${JOB_MAX_SECONDS / 60} minutes after its submission (at ${pos.percent} %)`;
    if (now - pos.progress_at! >= JOB_STALL_SECONDS * 1000) return `no progress for ${JOB_STALL_SECONDS / 60} minutes (stuck at ${pos.percent} %)`;
    return null;
  };

  const reader = {
    async page(slice: DateRange, position: JsonValue) {
      let pos = (position as unknown as InsightsPosition | null) ?? { account: 0, ranges: [slice], job: null, after: null, failures: 0 };
      const account = () => accounts[pos.account]!;
      for (;;) {
        if (pos.job === null) {
          const job = await submit(account(), pos.ranges[0]!);
          if (job === "reduce") {
            pos = split(pos, "too much data");
            continue;
          }
          const now = ctx.now().getTime();
          pos = { ...pos, job, after: null, submitted_at: now, progress_at: now, percent: 0 };
        }
        if (pos.after === null) {
          let status = "";
          let overdue: string | null = null;
          for (const wait of IN_CHUNK_POLLS) {
            if (wait) {
              await sleep(wait);
              await ctx.heartbeat?.();
            }
            const run = await client(account()).getJson<{ async_status?: string; async_percent_completion?: number }>({ url: `/${pos.job}`, query: { fields: "id,async_status,async_percent_completion" } });
            status = run.async_status ?? "";
            if (status === "Job Completed" || status === "Job Failed" || status === "Job Skipped") break;
            pos = progressed(pos, run.async_percent_completion);
            overdue = overdueFor(pos);
            if (overdue || ctx.signal.aborted) break;
          }
          if (overdue) {
            const range = pos.ranges[0]!;
            if (range.from === range.to) {
              // Not retried like a failed job: the same day would be polled as long again, and nothing says it would end.
              throw new ConnectorError("data", `Meta's insights job ${pos.job} for act_${account()} on ${range.from} was abandoned: ${overdue}; the next run asks for this day again`);
            }
            pos = split(pos, overdue);
            return { records: [], next: pos as unknown as JsonValue };
          }
          if (status === "Job Failed" || status === "Job Skipped") {
            pos = split(pos, status);
            // Kept so the halves are submitted by whichever chunk comes next, never the failed range again.
            return { records: [], next: pos as unknown as JsonValue };
          }
          if (status !== "Job Completed") return { records: [], next: pos as unknown as JsonValue, resumeAfterSeconds: RESUME_POLL_SECONDS };
        }
        const results = await client(account()).getJson<GraphPage>({ url: `/${pos.job}/insights`, query: { limit: INSIGHTS_PAGE_SIZE, ...(pos.after ? { after: pos.after } : {}) } });
        const records = (results.data ?? []).map(castRow);
        const after = results.paging?.next ? (results.paging.cursors?.after ?? null) : null;
        const next = after ? { ...pos, after } : advance(pos, slice);
        return { records, next: next as unknown as JsonValue };
      }
    },
  };

  const pages = readReport(
    ctx,
    request,
    {
      today,
      lookbackDays: config.insights_lookback_window_days,
      startDate: config.start_date ?? null,
      endDate: config.end_date ?? null,
      retentionDays: RETENTION_DAYS,
      sliceDays: config.insights_days_per_job ?? 7,
    },
    reader,
  );
  for await (const page of pages) {
    // The report kit's `date` is this stream's date_start (the catalog's cursor and key): not a column of its own.
    yield { ...page, records: page.records.map(({ [REPORT_DATE_FIELD]: _, ...row }) => row) };
  }
}
