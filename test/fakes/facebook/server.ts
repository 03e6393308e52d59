/**
 * A fake of Meta's Marketing API on graph.facebook.com (research/connectors-data.md §2), after Meta's Graph and
 * Marketing API documentation. README.md is its contract: versioned paths, access_token in the query or the form
 * body, edges with `fields`, `limit`, `filtering` and cursor paging (a `next` link that carries the token), async
 * insights report runs (POST act_<id>/insights → report_run_id, polled through its async_status, results paged),
 * the three usage headers on every answer, throttle codes with Meta's bodies, "Job Failed", the "reduce the amount
 * of data" error and code 190 for a token that expired.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { queryObject, readBody, serveFake } from "../shared/http";
import { type AccountShape, ACTION_BREAKDOWNS, adsOf, BREAKDOWN_VALUES, combinations, DATE_RE, daysBetween, insightMetric } from "./data";

const VERSION = /^\/(v(\d+)\.0)\/(.*)$/;
/** Versions this fake serves; older ones answer as Meta does for an expired version. */
const OLDEST_VERSION = 23;
const NEWEST_VERSION = 26;
const LEVELS = new Set(["account", "campaign", "adset", "ad"]);
const WINDOWS = new Set(["1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view"]);
const MAX_LIMIT = 5000;
/** Where a stuck report run stays (the `stuck_jobs_longer_than_days` fault). */
const STUCK_PERCENT = 42;
/** The usage window Meta scores calls over (300 s decay). */
const WINDOW_MS = 300_000;

interface Faults {
  /** The next request answers this throttle code and every request for `seconds` after it is refused the same way. */
  throttle?: { code: number; subcode?: number; seconds: number } | null;
  /** Report runs spanning more days than this end in "Job Failed". */
  fail_jobs_longer_than_days?: number | null;
  /** Submissions spanning more days than this answer code 1 "Please reduce the amount of data…". */
  reduce_data_longer_than_days?: number | null;
  /** Report runs spanning more days than this never finish: "Job Running" at the same percentage on every poll. */
  stuck_jobs_longer_than_days?: number | null;
  /** Polls a report run needs before "Job Completed" (1: the first poll answers it). */
  polls_to_complete?: number;
  /** Calls per 300 s that count as 100 % in the usage headers. */
  calls_per_window?: number;
}

interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  code?: number;
  /** Refused because the account was blocked by an earlier throttle answer. */
  blocked?: boolean;
}

interface Job {
  id: string;
  account: string;
  since: string;
  until: string;
  level: string;
  fields: string[];
  breakdowns: string[];
  action_breakdowns: string[];
  windows: string[];
  polls: number;
  status: string;
}

interface GraphObject {
  [field: string]: unknown;
  id: string;
  updated_time: string;
  effective_status: string;
}

interface Account extends AccountShape {
  token: string;
  name: string;
  currency: string;
  time_zone: string;
  business_id: string;
  faults: Faults;
  blockedUntil: number;
  blockCode: { code: number; subcode?: number } | null;
  log: LoggedRequest[];
  jobs: Job[];
  restatements: Array<{ from: string; factor: number }>;
  objects: Record<"campaigns" | "adsets" | "ads" | "adcreatives" | "customconversions" | "adimages" | "advideos" | "activities", GraphObject[]>;
}

/** Plain fields, no parameter properties: Node runs this file with its types stripped (cli.ts). */
class GraphError extends Error {
  readonly status: number;
  readonly code: number;
  readonly type: string;
  readonly subcode: number | undefined;
  constructor(status: number, code: number, message: string, type = "OAuthException", subcode?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.type = type;
    this.subcode = subcode;
  }
}

const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000");
const BASE_TIME = Date.parse("2026-01-05T10:00:00Z");
const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url");
const decodeCursor = (cursor: string) => {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^offset:(\d+)$/.exec(text);
  if (!match) throw new GraphError(400, 100, "Invalid parameter: after is not a valid cursor", "OAuthException");
  return Number(match[1]);
};

function buildObjects(shape: AccountShape): Account["objects"] {
  const ads = adsOf(shape);
  const campaigns = [...new Set(ads.map((a) => a.campaign_id))];
  const adsets = [...new Map(ads.map((a) => [a.adset_id, a])).values()];
  const base = (id: string, i: number, name: string) => ({
    id,
    account_id: shape.id,
    name,
    status: "ACTIVE",
    effective_status: "ACTIVE",
    created_time: graphTime(BASE_TIME - 86_400_000),
    updated_time: graphTime(BASE_TIME + i * 60_000),
  });
  return {
    campaigns: campaigns.map((id, i) => ({ ...base(id, i, `Campaign ${i + 1}`), objective: "OUTCOME_TRAFFIC", buying_type: "AUCTION", daily_budget: "5000" })),
    adsets: adsets.map((a, i) => ({ ...base(a.adset_id, i, `Ad set ${i + 1}`), campaign_id: a.campaign_id, optimization_goal: "LINK_CLICKS", billing_event: "IMPRESSIONS", targeting: { geo_locations: { countries: ["US"] } } })),
    ads: ads.map((a, i) => ({ ...base(a.ad_id, i, `Ad ${i + 1}`), campaign_id: a.campaign_id, adset_id: a.adset_id, creative: { id: `9${a.ad_id}` } })),
    customconversions: [1, 2].map((n) => ({ id: `55${shape.id.slice(-6)}${n}`, account_id: shape.id, name: `Purchase ${n}`, custom_event_type: "PURCHASE", rule: '{"url":{"i_contains":"thank-you"}}', creation_time: graphTime(BASE_TIME), last_fired_time: graphTime(BASE_TIME + n * 3_600_000), is_archived: false, effective_status: "ACTIVE", updated_time: graphTime(BASE_TIME) })),
    adimages: [1, 2, 3].map((n) => ({ id: `${shape.id}:${"abcdef0123456789".repeat(2).slice(n, n + 16)}`, account_id: shape.id, hash: "abcdef0123456789".repeat(2).slice(n, n + 16), name: `image-${n}.png`, url: `https://scontent.xx.fbcdn.net/${n}.png`, width: 1080, height: 1080, status: "ACTIVE", effective_status: "ACTIVE", created_time: graphTime(BASE_TIME), updated_time: graphTime(BASE_TIME) })),
    advideos: [1].map((n) => ({ id: `66${shape.id.slice(-6)}${n}`, account_id: shape.id, title: `Video ${n}`, description: "A video", length: 15.5, effective_status: "ACTIVE", created_time: graphTime(BASE_TIME), updated_time: graphTime(BASE_TIME) })),
    // Newest first, as Meta lists them.
    activities: ads.slice(0, 3).map((a, i) => ({ id: "", account_id: shape.id, actor_id: "100001", actor_name: "Ada Admin", event_time: graphTime(BASE_TIME + (3 - i) * 3_600_000), event_type: "update_ad_run_status", object_id: a.ad_id, object_name: `Ad ${i + 1}`, object_type: "AD", extra_data: '{"old_value":"PAUSED","new_value":"ACTIVE"}', effective_status: "ACTIVE", updated_time: graphTime(BASE_TIME) })),
    adcreatives: ads.map((a, i) => ({ id: `9${a.ad_id}`, account_id: shape.id, name: `Creative ${i + 1}`, status: "ACTIVE", effective_status: "ACTIVE", object_type: "SHARE", title: `Title ${i + 1}`, body: "Body", updated_time: graphTime(BASE_TIME) })),
  };
}

class FacebookFake {
  readonly accounts = new Map<string, Account>();
  readonly jobs = new Map<string, Job>();
  readonly expiredTokens = new Set<string>();
  private nextJob = 6_000_000_000_000;

  nextJobId(): number {
    return this.nextJob++;
  }

  put(id: string, input: Record<string, any>) {
    const shape: AccountShape = { id, campaigns: input.campaigns ?? 2, adsetsPerCampaign: input.adsets_per_campaign ?? 1, adsPerAdset: input.ads_per_adset ?? 2 };
    this.accounts.set(id, {
      ...shape,
      token: String(input.token),
      name: input.name ?? `Account ${id}`,
      currency: input.currency ?? "USD",
      time_zone: input.time_zone ?? "America/Los_Angeles",
      business_id: input.business_id ?? `77${id.slice(-6)}`,
      faults: { polls_to_complete: 1, calls_per_window: 100_000 },
      blockedUntil: 0,
      blockCode: null,
      log: [],
      jobs: [],
      restatements: [],
      objects: buildObjects(shape),
    });
  }

  account(id: string): Account {
    const found = this.accounts.get(id);
    if (!found) throw new Error(`no account ${id}`);
    return found;
  }

  factor(account: Account, date: string): number {
    let factor = 1;
    for (const r of account.restatements) if (date >= r.from) factor *= r.factor;
    return factor;
  }

  /** Calls in the usage window as a percentage of what the account may spend (Meta scores reads at 1 point). */
  usage(account: Account, now: number): number {
    const recent = account.log.filter((r) => r.at > now - WINDOW_MS).length;
    return Math.min(100, Math.round((recent / (account.faults.calls_per_window ?? 100_000)) * 100));
  }

  usageHeaders(account: Account, now: number): Record<string, string> {
    const blocked = account.blockedUntil > now;
    const pct = blocked ? 100 : this.usage(account, now);
    const regainSeconds = blocked ? Math.ceil((account.blockedUntil - now) / 1000) : 0;
    const buc = (type: string) => ({ type, call_count: pct, total_cputime: Math.floor(pct / 2), total_time: Math.floor(pct / 2), estimated_time_to_regain_access: Math.floor(regainSeconds / 60), ads_api_access_tier: "standard_access" });
    return {
      "x-business-use-case-usage": JSON.stringify({ [account.business_id]: [buc("ads_management"), buc("ads_insights")] }),
      "x-ad-account-usage": JSON.stringify({ acc_id_util_pct: pct, reset_time_duration: regainSeconds, ads_api_access_tier: "standard_access" }),
      "x-app-usage": JSON.stringify({ call_count: Math.floor(pct / 4), total_time: Math.floor(pct / 4), total_cputime: Math.floor(pct / 4) }),
    };
  }

  /** Refuses the call if the account is throttled (or a throttle fault fires now), as Meta does: HTTP 400, code in the body. */
  throttleCheck(account: Account, entry: LoggedRequest, now: number) {
    const fault = account.faults.throttle;
    if (fault) {
      account.faults.throttle = null;
      account.blockedUntil = now + fault.seconds * 1000;
      account.blockCode = { code: fault.code, ...(fault.subcode === undefined ? {} : { subcode: fault.subcode }) };
    } else if (account.blockedUntil > now) {
      entry.blocked = true;
    } else {
      return;
    }
    const { code, subcode } = account.blockCode!;
    const message =
      code === 613 ? "Calls to this api have exceeded the rate limit."
      : code === 4 ? "Application request limit reached"
      : code === 17 ? "User request limit reached"
      : "There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.";
    throw new GraphError(400, code, message, "OAuthException", subcode ?? (code === 17 ? 2446079 : code === 613 ? 1487742 : undefined));
  }
}

function params(url: URL, body: string, contentType: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  if (body && (contentType ?? "").includes("application/x-www-form-urlencoded")) for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  else if (body && (contentType ?? "").includes("json")) Object.assign(out, Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
  return out;
}

function jsonList(value: string | undefined, name: string): string[] {
  if (value === undefined || value === "") return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string")) return parsed;
  } catch {
    // Meta also takes a comma-separated list.
  }
  if (/^[a-z0-9_,]+$/.test(value)) return value.split(",");
  throw new GraphError(400, 100, `(#100) param ${name} must be an array.`);
}

function page<T>(rows: T[], p: Record<string, string>, url: URL, defaultLimit = 25) {
  const limit = Math.min(Number(p.limit ?? defaultLimit) || defaultLimit, MAX_LIMIT);
  const offset = p.after ? decodeCursor(p.after) : 0;
  const data = rows.slice(offset, offset + limit);
  const paging: Record<string, unknown> = {};
  if (rows.length) paging.cursors = { before: encodeCursor(offset), after: encodeCursor(offset + data.length) };
  if (offset + data.length < rows.length) {
    // Meta's next link repeats the request, access token included.
    // Meta's links name its production host whatever host the call came in on.
    const next = new URL(`${url.pathname}${url.search}`, "https://graph.facebook.com");
    next.searchParams.set("access_token", p.access_token ?? "");
    next.searchParams.set("after", encodeCursor(offset + data.length));
    next.searchParams.set("limit", String(limit));
    paging.next = next.toString();
  }
  return { data, paging };
}

function pick(object: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: object.id };
  for (const f of fields) if (f in object) out[f] = object[f];
  return out;
}

const ENTITY: Record<string, string> = { campaigns: "campaign", adsets: "adset", ads: "ad", adcreatives: "adcreative", customconversions: "customconversion", adimages: "adimage", advideos: "advideo", activities: "activity" };

function filterObjects(objects: GraphObject[], edge: string, filtering: string | undefined): GraphObject[] {
  let statuses: string[] | null = null;
  let after: number | null = null;
  if (filtering) {
    let rules: Array<{ field: string; operator: string; value: unknown }>;
    try {
      rules = JSON.parse(filtering);
    } catch {
      throw new GraphError(400, 100, "(#100) Filtering field must be a JSON array");
    }
    for (const rule of rules) {
      const [entity, field] = rule.field.split(".");
      if (entity !== ENTITY[edge] || !field) throw new GraphError(400, 100, `(#100) Filtering field ${rule.field} is invalid.`);
      if (field === "updated_time" && rule.operator === "GREATER_THAN") after = Number(rule.value);
      else if (field === "effective_status" && rule.operator === "IN" && Array.isArray(rule.value)) statuses = rule.value as string[];
      else throw new GraphError(400, 100, `(#100) Filtering operator ${rule.operator} is not supported for ${rule.field}.`);
    }
  }
  // Without an effective_status filter Meta leaves out archived and deleted objects.
  return objects.filter((o) => (statuses ? statuses.includes(o.effective_status) : !["ARCHIVED", "DELETED"].includes(o.effective_status)) && (after === null || Date.parse(o.updated_time.replace("+0000", "Z")) / 1000 > after));
}

const LEVEL_IDS: Record<string, string[]> = { account: [], campaign: ["campaign_id", "campaign_name"], adset: ["campaign_id", "campaign_name", "adset_id", "adset_name"], ad: ["campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name"] };

/** A job's rows: ad rows of each day and breakdown combination, summed to the job's level. */
function jobRows(fake: FacebookFake, job: Job): Array<Record<string, unknown>> {
  const account = fake.account(job.account);
  const ads = adsOf(account);
  const combos = combinations(job.breakdowns);
  const levelKey = job.level === "account" ? null : `${job.level}_id`;
  const out: Array<Record<string, unknown>> = [];
  for (const date of daysBetween(job.since, job.until)) {
    const factor = fake.factor(account, date);
    const groups = new Map<string, { ids: Record<string, string>; combo: Record<string, string>; m: Record<string, number> }>();
    for (const ad of ads) {
      const ids = levelKey === null ? {} : Object.fromEntries(LEVEL_IDS[job.level]!.filter((f) => f.endsWith("_id")).map((f) => [f, (ad as unknown as Record<string, string>)[f]!]));
      for (const combo of combos) {
        const key = `${levelKey ? ids[levelKey] : ""}|${JSON.stringify(combo)}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { ids, combo, m: { impressions: 0, clicks: 0, spend_cents: 0, reach: 0 } }));
        for (const metric of ["impressions", "clicks", "spend_cents", "reach"] as const) group.m[metric]! += insightMetric(ad.ad_id, date, combo, metric, factor);
      }
    }
    for (const { ids, combo, m } of groups.values()) {
      const full: Record<string, unknown> = {
        account_id: account.id,
        account_name: account.name,
        account_currency: account.currency,
        ...ids,
        ...Object.fromEntries(Object.entries(ids).map(([k, v]) => [k.replace("_id", "_name"), `${k.replace("_id", "")} ${v}`])),
        objective: "OUTCOME_TRAFFIC",
        impressions: String(m.impressions),
        reach: String(m.reach),
        frequency: (m.impressions! / Math.max(1, m.reach!)).toFixed(6),
        clicks: String(m.clicks),
        unique_clicks: String(m.clicks),
        inline_link_clicks: String(m.clicks),
        spend: (m.spend_cents! / 100).toFixed(2),
        cpc: (m.spend_cents! / 100 / Math.max(1, m.clicks!)).toFixed(6),
        cpm: ((m.spend_cents! / 100 / Math.max(1, m.impressions!)) * 1000).toFixed(6),
        ctr: ((m.clicks! / Math.max(1, m.impressions!)) * 100).toFixed(6),
        actions: [{ action_type: "link_click", value: String(m.clicks), ...Object.fromEntries(job.windows.map((w) => [w, String(m.clicks)])) }],
        action_values: [],
        cost_per_action_type: [{ action_type: "link_click", value: (m.spend_cents! / 100 / Math.max(1, m.clicks!)).toFixed(6) }],
      };
      const row: Record<string, unknown> = {};
      for (const f of job.fields) if (f in full) row[f] = full[f];
      out.push({ ...row, ...combo, date_start: date, date_stop: date });
    }
  }
  return out;
}

async function serveGraph(fake: FacebookFake, request: IncomingMessage, url: URL, response: ServerResponse) {
  const now = Date.now();
  const method = request.method ?? "GET";
  const body = method === "GET" ? "" : await readBody(request);
  const p = params(url, body, request.headers["content-type"]);
  let account: Account | undefined;
  let entry: LoggedRequest | undefined;
  const send = (status: number, payload: unknown) => {
    if (entry) entry.status = status;
    const text = JSON.stringify(payload);
    response.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...(account ? fake.usageHeaders(account, now) : {}) });
    response.end(text);
  };
  try {
    const match = VERSION.exec(url.pathname);
    if (!match) throw new GraphError(400, 2500, "Unknown path components: an API version (v26.0/...) is required");
    const version = Number(match[2]);
    if (version < OLDEST_VERSION || version > NEWEST_VERSION) throw new GraphError(400, 2635, `You are calling a deprecated version of the Ads API. Please update to the latest version: v${NEWEST_VERSION}.0.`);
    const parts = match[3]!.split("/").filter(Boolean);
    const token = p.access_token;
    if (!token) throw new GraphError(400, 104, "An access token is required to request this resource.");
    // The account the call is about: act_<id>/..., or a report run's own account.
    const job = /^\d+$/.test(parts[0] ?? "") ? fake.jobs.get(parts[0]!) : undefined;
    const accountId = parts[0]?.startsWith("act_") ? parts[0].slice(4) : job?.account;
    account = accountId ? fake.accounts.get(accountId) : undefined;
    if (!account) throw new GraphError(400, 100, `Unsupported get request. Object with ID '${parts[0]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, "GraphMethodException", 33);
    entry = { at: now, method, path: url.pathname, query: queryObject(new URLSearchParams(p)), status: 0 };
    delete entry.query.access_token;
    account.log.push(entry);
    if (fake.expiredTokens.has(token)) throw new GraphError(400, 190, "Error validating access token: Session has expired on Tuesday, 01-Dec-26 09:00:00 PST. The current time is Wednesday, 02-Dec-26 01:00:00 PST.", "OAuthException", 463);
    if (token !== account.token) throw new GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException");
    fake.throttleCheck(account, entry, now);
    const fields = p.fields ? p.fields.split(",") : [];

    if (job && parts.length === 1 && method === "GET") {
      job.polls++;
      const needed = account.faults.polls_to_complete ?? 1;
      const failAfter = account.faults.fail_jobs_longer_than_days;
      const days = daysBetween(job.since, job.until).length;
      const stuckAfter = account.faults.stuck_jobs_longer_than_days;
      if (stuckAfter != null && days > stuckAfter) {
        job.status = "Job Running";
        return send(200, { id: job.id, account_id: job.account, async_status: job.status, async_percent_completion: STUCK_PERCENT, date_start: job.since, date_stop: job.until, is_running: true });
      }
      if (job.polls >= needed) job.status = failAfter != null && days > failAfter ? "Job Failed" : "Job Completed";
      else job.status = job.polls === 1 ? "Job Started" : "Job Running";
      const pct = job.status === "Job Completed" ? 100 : job.status === "Job Failed" ? 0 : Math.floor((job.polls / needed) * 100);
      return send(200, { id: job.id, account_id: job.account, async_status: job.status, async_percent_completion: pct, date_start: job.since, date_stop: job.until, is_running: !job.status.startsWith("Job C") && job.status !== "Job Failed", ...(job.status === "Job Failed" ? { error_code: 2601 } : {}) });
    }
    if (job && parts[1] === "insights" && method === "GET") {
      if (job.status !== "Job Completed") throw new GraphError(400, 100, "(#100) The report run is not completed yet.");
      return send(200, page(jobRows(fake, job), p, url));
    }
    const edge = parts[1];
    if (parts.length === 1 && method === "GET") {
      const full = { id: `act_${account.id}`, account_id: account.id, name: account.name, currency: account.currency, timezone_name: account.time_zone, account_status: 1, amount_spent: "123456" };
      return send(200, fields.length ? { ...pick(full, fields), id: full.id } : { id: full.id });
    }
    if (edge === "insights" && method === "POST") {
      const level = p.level ?? "ad";
      if (!LEVELS.has(level)) throw new GraphError(400, 100, `(#100) level must be one of the following values: ad, adset, campaign, account`);
      if (p.time_increment !== "1") throw new GraphError(400, 100, "(#100) This fake answers daily reports only: time_increment must be 1");
      let range: { since?: string; until?: string };
      try {
        range = JSON.parse(p.time_range ?? "");
      } catch {
        throw new GraphError(400, 100, "(#100) time_range must be a JSON object {since, until}");
      }
      if (!DATE_RE.test(range.since ?? "") || !DATE_RE.test(range.until ?? "") || range.since! > range.until!) throw new GraphError(400, 100, "(#100) time_range must have since and until dates with since <= until");
      const breakdowns = jsonList(p.breakdowns, "breakdowns");
      for (const b of breakdowns) if (!(b in BREAKDOWN_VALUES)) throw new GraphError(400, 100, `(#100) ${b} is not a valid breakdown.`);
      const actionBreakdowns = jsonList(p.action_breakdowns, "action_breakdowns");
      for (const b of actionBreakdowns) if (!ACTION_BREAKDOWNS.includes(b)) throw new GraphError(400, 100, `(#100) ${b} is not a valid action breakdown.`);
      const windows = jsonList(p.action_attribution_windows, "action_attribution_windows");
      for (const w of windows) if (!WINDOWS.has(w)) throw new GraphError(400, 100, `(#100) action_attribution_windows[0] must be one of the following values: ${[...WINDOWS].join(", ")}`);
      const days = daysBetween(range.since!, range.until!).length;
      const reduce = account.faults.reduce_data_longer_than_days;
      if (reduce != null && days > reduce) throw new GraphError(500, 1, "Please reduce the amount of data you're asking for, then retry your request", "OAuthException");
      const id = String(fake.nextJobId());
      const created: Job = { id, account: account.id, since: range.since!, until: range.until!, level, fields, breakdowns, action_breakdowns: actionBreakdowns, windows, polls: 0, status: "Job Not Started" };
      fake.jobs.set(id, created);
      account.jobs.push(created);
      return send(200, { report_run_id: id });
    }
    if (edge && edge in ENTITY && parts.length === 2 && method === "GET") {
      let objects = filterObjects(account.objects[edge as keyof Account["objects"]], edge, p.filtering);
      // Activities take `since`/`until` (unix s) on event_time and have no id of their own.
      if (edge === "activities" && p.since) objects = objects.filter((o) => Date.parse(String(o.event_time).replace("+0000", "Z")) / 1000 >= Number(p.since));
      const rows = objects.map((o) => {
        const picked = fields.length ? pick(o, fields) : { id: o.id };
        if (edge === "activities") delete picked.id;
        return picked;
      });
      return send(200, page(rows, p, url));
    }
    throw new GraphError(400, 100, `Unsupported ${method.toLowerCase()} request.`, "GraphMethodException");
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    if (entry) entry.code = error.code;
    return send(error.status, {
      error: { message: error.message, type: error.type, code: error.code, ...(error.subcode === undefined ? {} : { error_subcode: error.subcode }), fbtrace_id: `A${Math.random().toString(36).slice(2, 12)}` },
    });
  }
}

async function serveControl(fake: FacebookFake, request: IncomingMessage, parts: string[], response: ServerResponse) {
  const method = request.method ?? "GET";
  const text = method === "GET" ? "" : await readBody(request);
  const body = (text ? JSON.parse(text) : {}) as Record<string, any>;
  const reply = (status: number, payload: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(payload));
  };
  const [area, id, action] = parts;
  if (area === "tokens" && action === "expire" && method === "POST") return fake.expiredTokens.add(id!), reply(200, { ok: true });
  if (area !== "accounts" || !id) return reply(404, { error: `no control route ${parts.join("/")}` });
  if (method === "PUT" && !action) return fake.put(id, body), reply(200, { ok: true });
  const account = fake.accounts.get(id);
  if (!account) return reply(404, { error: `no account ${id}` });
  if (method === "POST" && action === "faults") return Object.assign(account.faults, body), reply(200, { ok: true });
  if (method === "POST" && action === "restate") return account.restatements.push({ from: body.from, factor: body.factor }), reply(200, { ok: true });
  if (method === "POST" && action === "touch") {
    for (const list of Object.values(account.objects)) {
      for (const o of list) {
        if ((body.ids as string[]).includes(o.id)) {
          o.updated_time = graphTime(Date.now());
          if (body.effective_status) o.effective_status = body.effective_status;
        }
      }
    }
    return reply(200, { ok: true });
  }
  if (method === "POST" && action === "activity") {
    const ad = account.objects.ads[0]!;
    account.objects.activities.unshift({ id: "", account_id: account.id, actor_id: "100001", actor_name: "Ada Admin", event_time: graphTime(Date.now()), event_type: body.event_type ?? "update_ad_bid_amount", object_id: ad.id, object_name: String(ad.name), object_type: "AD", extra_data: "{}", effective_status: "ACTIVE", updated_time: graphTime(Date.now()) });
    return reply(200, { ok: true });
  }
  if (method === "GET" && action === "requests") return reply(200, { data: account.log });
  if (method === "GET" && action === "jobs") return reply(200, { data: account.jobs });
  return reply(404, { error: `no control route ${parts.join("/")}` });
}

export async function startFacebookFake(port = 0): Promise<RunningFake> {
  const fake = new FacebookFake();
  return serveFake({
    name: "facebook",
    hosts: ["graph.facebook.com"],
    port,
    control: (request, parts, response) => serveControl(fake, request, parts, response),
    api: (request, url, response) => serveGraph(fake, request, url, response),
  });
}
