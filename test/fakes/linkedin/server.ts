/**
 * A fake of LinkedIn's Marketing API (api.linkedin.com/rest) and its OAuth token endpoint
 * (www.linkedin.com/oauth/v2/accessToken), after LinkedIn's documentation (research/connectors-data.md §4).
 * README.md is its contract: the version headers required, Rest.li 2.0 query values parsed from the raw query string
 * (a percent-encoded `List(` or a malformed tuple is a 400, as LinkedIn answers), the 20-field limit of adAnalytics
 * and its silent 15,000-row cap, pageToken and start/count finders, rotating refresh tokens and refused revoked ones,
 * 429s with LinkedIn's body, and a request log per member for assertions.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { readBody, serveFake } from "../shared/http";
import { type AccountShape, campaignGroupId, campaignUrn, creativeMetric, creativesOf, creativeUrn, DATE_RE, daysBetween, KNOWN_METRICS, MONEY_METRICS } from "./data";

/** Versions this fake serves (LinkedIn serves each monthly version about a year); others answer 426. */
const OLDEST_VERSION = 202601;
const NEWEST_VERSION = 202612;
const MAX_FIELDS = 20;
const ROW_CAP = 15_000;
const MAX_PAGE_SIZE = 1000;
/** LinkedIn's access tokens live 60 days; refresh tokens 365 days from the member's consent. */
const ACCESS_TTL_SECONDS = 5_184_000;
const REFRESH_TTL_SECONDS = 31_536_000;
const BASE_TIME = Date.parse("2026-01-05T10:00:00Z");

interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  /** The query exactly as sent (without the `?`), to assert raw Rest.li values. */
  rawQuery: string;
  headers: Record<string, string>;
  /** The token endpoint's form, without the client secret. */
  form?: Record<string, string>;
  status: number;
  code?: string;
  /** Refused because an earlier 429 is still in force. */
  blocked?: boolean;
}

interface Throttle {
  /** APPLICATION_DAY and MEMBER_DAY are the daily caps; BURST is LinkedIn's infrastructure-protection 429. */
  limit: "APPLICATION_DAY" | "MEMBER_DAY" | "BURST";
  seconds: number;
  /** Sent as Retry-After when given (LinkedIn documents none). */
  retry_after?: number;
}

interface Member {
  id: string;
  clientId: string;
  clientSecret: string;
  rotate: boolean;
  accessTtlSeconds: number;
  consentAt: number;
  refreshCount: number;
  faults: { throttle?: Throttle | null };
  blockedUntil: number;
  blockedBy: Throttle | null;
  log: LoggedRequest[];
}

interface Entity {
  [field: string]: unknown;
}

interface Account {
  shape: AccountShape;
  member: string;
  name: string;
  currency: string;
  restatements: Array<{ from: string; factor: number }>;
  groups: Entity[];
  campaigns: Entity[];
  creatives: Entity[];
  users: Entity[];
  conversions: Entity[];
  lastModified: number;
}

/** Plain fields, no parameter properties: Node may run this file with its types stripped. */
class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly serviceErrorCode: number | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, serviceErrorCode?: number, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.serviceErrorCode = serviceErrorCode;
    this.headers = headers;
  }
}

const invalidQuery = (why?: string) => new ApiError(400, "ILLEGAL_ARGUMENT", `Invalid query parameters passed to request${why ? `: ${why}` : ""}`);

// ---------------------------------------------------------------------------------------------------------------
// Rest.li 2.0 query values (LinkedIn "Protocol Version 2.0": List(...) and (key:value) are syntax; `( ) , :` inside a
// string are percent-encoded).

type RestliValue = string | RestliValue[] | { [key: string]: RestliValue };

export function parseRestli(raw: string): RestliValue {
  let at = 0;
  const fail = (why: string): never => {
    throw invalidQuery(`${why} at character ${at} of ${raw}`);
  };
  const leaf = (): string => {
    const start = at;
    while (at < raw.length && !"(),:".includes(raw[at]!)) at++;
    try {
      return decodeURIComponent(raw.slice(start, at));
    } catch {
      return fail("malformed percent-encoding");
    }
  };
  const value = (): RestliValue => {
    if (raw.startsWith("List(", at)) {
      at += 5;
      const items: RestliValue[] = [];
      if (raw[at] === ")") return at++, items;
      for (;;) {
        items.push(value());
        if (raw[at] === ",") at++;
        else if (raw[at] === ")") return at++, items;
        else return fail("a list item must be followed by , or )");
      }
    }
    if (raw[at] === "(") {
      at++;
      const out: Record<string, RestliValue> = {};
      if (raw[at] === ")") return at++, out;
      for (;;) {
        const key = leaf();
        if (!key) fail("a tuple key is missing");
        if (raw[at] !== ":") fail(`the key ${key} must be followed by :`);
        at++;
        out[key] = value();
        if (raw[at] === ",") at++;
        else if (raw[at] === ")") return at++, out;
        else return fail("a tuple entry must be followed by , or )");
      }
    }
    return leaf();
  };
  const parsed = value();
  if (at !== raw.length) fail("unexpected text after the value");
  return parsed;
}

/** A raw query string split into parameters without decoding (`+` and `%XX` kept for the Rest.li parser). */
function rawParams(search: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of search.replace(/^\?/, "").split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    out.set(key, eq < 0 ? "" : pair.slice(eq + 1));
  }
  return out;
}

const plain = (params: Map<string, string>, name: string): string | undefined => {
  const raw = params.get(name);
  return raw === undefined ? undefined : decodeURIComponent(raw.replace(/\+/g, " "));
};

function listOf(params: Map<string, string>, name: string): string[] | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const value = parseRestli(raw);
  // `List%28…%29` decodes to the string "List(…)": not a list, as LinkedIn's parser sees it too.
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw invalidQuery(`${name} must be a List(...)`);
  return value as string[];
}

function urnIds(values: string[], kind: string, name: string): string[] {
  return values.map((v) => {
    const match = new RegExp(`^urn:li:${kind}:(\\d+)$`).exec(v);
    if (!match) throw invalidQuery(`${name} holds ${JSON.stringify(v)}, not a urn:li:${kind}`);
    return match[1]!;
  });
}

function dateOf(value: RestliValue | undefined, name: string): string {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalidQuery(`${name} must be (year:…,month:…,day:…)`);
  const [y, m, d] = ["year", "month", "day"].map((k) => Number(value[k]));
  if (![y, m, d].every((n) => Number.isInteger(n))) throw invalidQuery(`${name} must have whole year, month and day`);
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** `search=(status:(values:List(A,B)),id:(values:List(1)))` → field → allowed values. */
function searchOf(params: Map<string, string>): Record<string, string[]> {
  const raw = params.get("search");
  if (raw === undefined) return {};
  const value = parseRestli(raw);
  if (typeof value !== "object" || Array.isArray(value)) throw invalidQuery("search must be a (field:(values:List(...))) tuple");
  const out: Record<string, string[]> = {};
  for (const [field, criterion] of Object.entries(value)) {
    const values = typeof criterion === "object" && !Array.isArray(criterion) ? criterion.values : undefined;
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string")) throw invalidQuery(`search.${field} must be (values:List(...))`);
    out[field] = values as string[];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// State

const stamps = (created: number, modified: number) => ({ created: { actor: "urn:li:person:fakeAdmin", time: created }, lastModified: { actor: "urn:li:person:fakeAdmin", time: modified } });
const encodeToken = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url");

class LinkedinFake {
  readonly members = new Map<string, Member>();
  readonly accounts = new Map<string, Account>();
  /** Live refresh tokens → member; a used (rotated) or revoked one is gone. */
  readonly refreshTokens = new Map<string, string>();
  readonly accessTokens = new Map<string, { member: string; expiresAt: number; revoked: boolean }>();

  putMember(id: string, input: Record<string, any>) {
    const member: Member = {
      id,
      clientId: String(input.client_id),
      clientSecret: String(input.client_secret),
      rotate: input.rotate ?? true,
      accessTtlSeconds: input.access_token_ttl_seconds ?? ACCESS_TTL_SECONDS,
      consentAt: Date.now(),
      refreshCount: 0,
      faults: {},
      blockedUntil: 0,
      blockedBy: null,
      log: [],
    };
    this.members.set(id, member);
    if (input.refresh_token) this.refreshTokens.set(String(input.refresh_token), id);
    if (input.access_token) this.accessTokens.set(String(input.access_token), { member: id, expiresAt: Date.now() + member.accessTtlSeconds * 1000, revoked: false });
  }

  putAccount(id: string, input: Record<string, any>) {
    const shape: AccountShape = { id, campaigns: input.campaigns ?? 2, creativesPerCampaign: input.creatives_per_campaign ?? 2 };
    const urn = `urn:li:sponsoredAccount:${id}`;
    const group = campaignGroupId(id);
    const creatives = creativesOf(shape);
    const campaigns = [...new Set(creatives.map((c) => c.campaign))];
    const users = input.users ?? 2;
    const conversions = input.conversions ?? 2;
    this.accounts.set(id, {
      shape,
      member: String(input.member),
      name: input.name ?? `Account ${id}`,
      currency: input.currency ?? "USD",
      restatements: [],
      lastModified: BASE_TIME,
      groups: [{ id: group, account: urn, name: "Group 1", status: "ACTIVE", runSchedule: { start: BASE_TIME }, totalBudget: { amount: "10000.00", currencyCode: "USD" }, changeAuditStamps: stamps(BASE_TIME, BASE_TIME) }],
      campaigns: campaigns.map((cid, i) => ({
        id: cid,
        account: urn,
        campaignGroup: `urn:li:sponsoredCampaignGroup:${group}`,
        name: `Campaign ${i + 1}`,
        status: "ACTIVE",
        type: "SPONSORED_UPDATES",
        costType: "CPM",
        objectiveType: "WEBSITE_VISIT",
        dailyBudget: { amount: "50.00", currencyCode: "USD" },
        unitCost: { amount: "8.00", currencyCode: "USD" },
        runSchedule: { start: BASE_TIME },
        changeAuditStamps: stamps(BASE_TIME, BASE_TIME + i * 60_000),
      })),
      creatives: creatives.map((c, i) => ({
        id: creativeUrn(c.creative),
        account: urn,
        campaign: campaignUrn(c.campaign),
        intendedStatus: "ACTIVE",
        isServing: true,
        content: { reference: `urn:li:share:${c.creative}9` },
        createdAt: BASE_TIME,
        lastModifiedAt: BASE_TIME + i * 60_000,
      })),
      users: Array.from({ length: users }, (_, i) => ({ account: urn, user: `urn:li:person:user${id.slice(-4)}${i + 1}`, role: i === 0 ? "ACCOUNT_MANAGER" : "VIEWER", changeAuditStamps: stamps(BASE_TIME, BASE_TIME) })),
      conversions: Array.from({ length: conversions }, (_, i) => ({
        id: Number(`${id.slice(-5)}3${String(i + 1).padStart(4, "0")}`),
        account: urn,
        name: `Conversion ${i + 1}`,
        type: "PURCHASE",
        attributionType: "LAST_TOUCH_BY_CAMPAIGN",
        postClickAttributionWindowSize: 30,
        viewThroughAttributionWindowSize: 7,
        enabled: true,
        created: BASE_TIME,
        lastModified: BASE_TIME + i * 1000,
      })),
    });
  }

  factor(account: Account, date: string): number {
    let factor = 1;
    for (const r of account.restatements) if (date >= r.from) factor *= r.factor;
    return factor;
  }

  /** Refuses the call while a 429 is in force (or a throttle fault fires now), with LinkedIn's body. */
  throttleCheck(member: Member, entry: LoggedRequest, now: number) {
    const fault = member.faults.throttle;
    if (fault) {
      member.faults.throttle = null;
      member.blockedUntil = now + fault.seconds * 1000;
      member.blockedBy = fault;
    } else if (member.blockedUntil > now) {
      entry.blocked = true;
    } else {
      return;
    }
    const by = member.blockedBy!;
    const message =
      by.limit === "BURST" ? "Too many requests"
      : `Resource level throttle ${by.limit === "APPLICATION_DAY" ? "APPLICATION" : "MEMBER"} DAY limit for calls to this resource is reached.`;
    throw new ApiError(429, "TOO_MANY_REQUESTS", message, 101, by.retry_after === undefined ? {} : { "retry-after": String(by.retry_after) });
  }
}

function pageByToken<T>(rows: T[], params: Map<string, string>) {
  const size = Math.min(Number(plain(params, "pageSize") ?? 100) || 100, MAX_PAGE_SIZE);
  const token = plain(params, "pageToken");
  let offset = 0;
  if (token) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!match) throw invalidQuery("pageToken is not a token this finder issued");
    offset = Number(match[1]);
  }
  const elements = rows.slice(offset, offset + size);
  const next = offset + elements.length < rows.length ? { nextPageToken: encodeToken(offset + elements.length) } : {};
  return { elements, metadata: next, paging: { start: offset, count: size, links: [] } };
}

function pageByOffset<T>(rows: T[], params: Map<string, string>) {
  const start = Number(plain(params, "start") ?? 0);
  const count = Math.min(Number(plain(params, "count") ?? 10) || 10, MAX_PAGE_SIZE);
  if (!Number.isInteger(start) || start < 0) throw invalidQuery("start must be a whole number");
  return { elements: rows.slice(start, start + count), paging: { start, count, links: [], total: rows.length } };
}

const withStatus = (rows: Entity[], search: Record<string, string[]>) => (search.status ? rows.filter((r) => search.status!.includes(String(r.status))) : rows);

/** adAnalytics `q=analytics`: one row per day and pivot value, only the fields asked for. */
function analytics(fake: LinkedinFake, member: Member, params: Map<string, string>) {
  const pivotRaw = params.get("pivot");
  const pivotValue = pivotRaw === undefined ? undefined : parseRestli(pivotRaw);
  // Both `pivot=CAMPAIGN` and the tuple form `pivot=(value:CAMPAIGN)` name the pivot.
  const pivot = typeof pivotValue === "string" ? pivotValue : pivotValue && !Array.isArray(pivotValue) ? pivotValue.value : undefined;
  if (pivot !== "CAMPAIGN" && pivot !== "CREATIVE" && pivot !== "ACCOUNT") throw invalidQuery("pivot must be one of ACCOUNT, CAMPAIGN, CREATIVE in this fake");
  const granularity = plain(params, "timeGranularity");
  if (granularity !== "DAILY" && granularity !== "ALL") throw invalidQuery("timeGranularity must be DAILY or ALL in this fake");
  const rangeRaw = params.get("dateRange");
  if (rangeRaw === undefined) throw invalidQuery("dateRange is required");
  const range = parseRestli(rangeRaw);
  if (typeof range !== "object" || Array.isArray(range)) throw invalidQuery("dateRange must be (start:(…),end:(…))");
  const since = dateOf(range.start, "dateRange.start");
  const until = range.end === undefined ? new Date().toISOString().slice(0, 10) : dateOf(range.end, "dateRange.end");
  if (!DATE_RE.test(since) || since > until) throw invalidQuery("dateRange.start must not be after dateRange.end");
  const fieldsRaw = plain(params, "fields");
  if (!fieldsRaw) throw invalidQuery("fields is required");
  const fields = fieldsRaw.split(",");
  if (fields.length > MAX_FIELDS) throw new ApiError(400, "ILLEGAL_ARGUMENT", `Requested fields exceed the maximum of ${MAX_FIELDS} (got ${fields.length}); split the metrics into several requests`);
  for (const f of fields) if (f !== "dateRange" && f !== "pivotValues" && !KNOWN_METRICS.has(f)) throw invalidQuery(`${JSON.stringify(f)} is not an adAnalytics field`);
  const accountIds = listOf(params, "accounts");
  if (!accountIds) throw invalidQuery("a facet (accounts, campaigns or creatives) is required; this fake takes accounts");
  const accounts = urnIds(accountIds, "sponsoredAccount", "accounts").map((id) => {
    const account = fake.accounts.get(id);
    if (!account || account.member !== member.id) throw new ApiError(403, "ACCESS_DENIED", `Not enough permissions to access: adAnalytics.FINDER-analytics for urn:li:sponsoredAccount:${id}`, 100);
    return account;
  });
  const days = granularity === "DAILY" ? daysBetween(since, until).map((d) => [d, d] as const) : [[since, until] as const];
  const elements: Array<Record<string, unknown>> = [];
  for (const account of accounts) {
    const creatives = creativesOf(account.shape);
    const groups = new Map<string, number[]>();
    for (const c of creatives) {
      const key = pivot === "CAMPAIGN" ? campaignUrn(c.campaign) : pivot === "CREATIVE" ? creativeUrn(c.creative) : `urn:li:sponsoredAccount:${account.shape.id}`;
      groups.set(key, [...(groups.get(key) ?? []), c.creative]);
    }
    for (const [from, to] of days) {
      for (const [value, ids] of groups) {
        const dates = daysBetween(from, to);
        const row: Record<string, unknown> = {};
        for (const f of fields) {
          if (f === "pivotValues") row.pivotValues = [value];
          else if (f === "dateRange") row.dateRange = { start: ymd(from), end: ymd(to) };
          else {
            const total = ids.reduce((sum, id) => sum + dates.reduce((s, d) => s + creativeMetric(id, d, f, fake.factor(account, d)), 0), 0);
            row[f] = MONEY_METRICS.has(f) ? (total / 100).toFixed(2) : total;
          }
        }
        elements.push(row);
      }
    }
  }
  // No paging, and rows past the cap are dropped without a word (research §4).
  return { paging: { start: 0, count: 10, links: [] }, elements: elements.slice(0, ROW_CAP) };
}

function ymd(date: string) {
  const [year, month, day] = date.split("-").map(Number);
  return { year, month, day };
}

function tokenEndpoint(fake: LinkedinFake, form: URLSearchParams, log: (member: Member, status: number, code?: string) => void) {
  const clientId = form.get("client_id") ?? "";
  const member = [...fake.members.values()].find((m) => m.clientId === clientId);
  const oauthError = (status: number, error: string, description: string) => {
    if (member) log(member, status, error);
    return { status, body: { error, error_description: description } };
  };
  if (form.get("grant_type") !== "refresh_token") return oauthError(400, "unsupported_grant_type", "This fake issues tokens for the refresh_token grant only");
  if (!member || form.get("client_secret") !== member.clientSecret) return oauthError(401, "invalid_client", "Client authentication failed");
  const presented = form.get("refresh_token") ?? "";
  if (!presented) return oauthError(400, "invalid_request", 'A required parameter "refresh_token" is missing');
  if (fake.refreshTokens.get(presented) !== member.id) return oauthError(400, "invalid_request", "The provided authorization grant or refresh token is invalid, expired or revoked");
  const access = `AQ${crypto.randomUUID().replaceAll("-", "")}`;
  fake.accessTokens.set(access, { member: member.id, expiresAt: Date.now() + member.accessTtlSeconds * 1000, revoked: false });
  let refresh = presented;
  if (member.rotate) {
    member.refreshCount++;
    refresh = `${presented.replace(/~\d+$/, "")}~${member.refreshCount}`;
    fake.refreshTokens.delete(presented);
    fake.refreshTokens.set(refresh, member.id);
  }
  log(member, 200);
  const left = Math.max(0, REFRESH_TTL_SECONDS - Math.floor((Date.now() - member.consentAt) / 1000));
  return { status: 200, body: { access_token: access, expires_in: member.accessTtlSeconds, refresh_token: refresh, refresh_token_expires_in: left, scope: "r_ads,r_ads_reporting" } };
}

async function serve(fake: LinkedinFake, request: IncomingMessage, url: URL, response: ServerResponse) {
  const now = Date.now();
  const method = request.method ?? "GET";
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(payload));
  };

  if (url.pathname === "/oauth/v2/accessToken") {
    if (method !== "POST") return reply(405, { error: "invalid_request", error_description: "POST only" });
    const form = new URLSearchParams(await readBody(request));
    const logged = Object.fromEntries([...form].filter(([k]) => k !== "client_secret"));
    const answer = tokenEndpoint(fake, form, (member, status, code) =>
      member.log.push({ at: now, method, path: url.pathname, rawQuery: "", headers: {}, form: logged, status, ...(code ? { code } : {}) }),
    );
    return reply(answer.status, answer.body);
  }

  let entry: LoggedRequest | undefined;
  try {
    if (!url.pathname.startsWith("/rest/")) throw new ApiError(404, "NOT_FOUND", `No virtual resource found for ${url.pathname}`);
    const auth = header("authorization") ?? "";
    const bearerToken = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!bearerToken) throw new ApiError(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2_access_token", 65604);
    const token = fake.accessTokens.get(bearerToken);
    if (!token) throw new ApiError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600);
    const member = fake.members.get(token.member)!;
    entry = {
      at: now,
      method,
      path: url.pathname,
      rawQuery: url.search.replace(/^\?/, ""),
      headers: Object.fromEntries(["linkedin-version", "x-restli-protocol-version", "x-restli-method"].flatMap((h) => (header(h) === undefined ? [] : [[h, header(h)!]]))),
      status: 0,
    };
    member.log.push(entry);
    if (token.revoked) throw new ApiError(401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user", 65601);
    if (token.expiresAt <= now) throw new ApiError(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601);
    const version = header("linkedin-version");
    if (!version) throw new ApiError(400, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.");
    const month = /^(\d{6})(\.\d{2})?$/.exec(version)?.[1];
    if (!month || Number(month) < OLDEST_VERSION || Number(month) > NEWEST_VERSION) throw new ApiError(426, "NONEXISTENT_VERSION", `Requested version ${version} is not active`);
    // Without 2.0.0 the gateway reads Rest.li 1.0 syntax, in which List(...) and tuples are not values.
    if (header("x-restli-protocol-version") !== "2.0.0") throw invalidQuery("X-Restli-Protocol-Version: 2.0.0 is required for Rest.li 2.0 query syntax");
    fake.throttleCheck(member, entry, now);
    if (method !== "GET") throw new ApiError(405, "METHOD_NOT_ALLOWED", `${method} is not served by this fake`);

    const params = rawParams(url.search);
    const q = plain(params, "q");
    const parts = url.pathname.slice("/rest/".length).split("/").filter(Boolean);
    const own = (id: string) => {
      const account = fake.accounts.get(id);
      if (!account || account.member !== member.id) throw new ApiError(403, "ACCESS_DENIED", `Not enough permissions to access: adAccounts.GET for urn:li:sponsoredAccount:${id}`, 100);
      return account;
    };
    const send = (payload: unknown) => {
      entry!.status = 200;
      reply(200, payload, { "x-restli-protocol-version": "2.0.0" });
    };

    if (parts[0] === "adAnalytics" && parts.length === 1) {
      if (q !== "analytics") throw invalidQuery("this fake serves the analytics finder (q=analytics)");
      return send(analytics(fake, member, params));
    }
    if (parts[0] === "adAccounts" && parts.length === 1) {
      if (q !== "search") throw invalidQuery("adAccounts takes q=search");
      const search = searchOf(params);
      const rows = [...fake.accounts.entries()]
        .filter(([id, a]) => a.member === member.id && (!search.id || search.id.includes(id)))
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([id, a]) => ({ id: Number(id), name: a.name, currency: a.currency, status: "ACTIVE", type: "BUSINESS", reference: "urn:li:organization:2414183", test: false, servingStatuses: ["RUNNABLE"], changeAuditStamps: stamps(BASE_TIME, a.lastModified) }));
      return send(pageByToken(rows, params));
    }
    if (parts[0] === "adAccounts" && parts.length === 3) {
      const account = own(parts[1]!);
      const edge = parts[2];
      if (edge === "adCampaignGroups" || edge === "adCampaigns") {
        if (q !== "search") throw invalidQuery(`${edge} takes q=search`);
        return send(pageByToken(withStatus(edge === "adCampaigns" ? account.campaigns : account.groups, searchOf(params)), params));
      }
      if (edge === "creatives") {
        if (q !== "criteria") throw invalidQuery("creatives takes q=criteria");
        if (header("x-restli-method")?.toUpperCase() !== "FINDER") throw new ApiError(400, "ILLEGAL_ARGUMENT", "The criteria finder needs the header X-RestLi-Method: FINDER");
        return send(pageByToken(account.creatives, params));
      }
    }
    if (parts[0] === "adAccountUsers" && parts.length === 1) {
      if (q !== "accounts") throw invalidQuery("adAccountUsers takes q=accounts");
      const raw = params.get("accounts");
      const value = raw === undefined ? undefined : parseRestli(raw);
      if (typeof value !== "string") throw invalidQuery("accounts must be one urn:li:sponsoredAccount");
      return send(pageByOffset(own(urnIds([value], "sponsoredAccount", "accounts")[0]!).users, params));
    }
    if (parts[0] === "conversions" && parts.length === 1) {
      if (q !== "account") throw invalidQuery("conversions takes q=account");
      const raw = params.get("account");
      const value = raw === undefined ? undefined : parseRestli(raw);
      if (typeof value !== "string") throw invalidQuery("account must be one urn:li:sponsoredAccount");
      return send(pageByOffset(own(urnIds([value], "sponsoredAccount", "account")[0]!).conversions, params));
    }
    throw new ApiError(404, "NOT_FOUND", `No virtual resource found for ${url.pathname}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (entry) {
      entry.status = error.status;
      entry.code = error.code;
    }
    return reply(error.status, { status: error.status, ...(error.serviceErrorCode === undefined ? {} : { serviceErrorCode: error.serviceErrorCode }), code: error.code, message: error.message }, error.headers);
  }
}

async function serveControl(fake: LinkedinFake, request: IncomingMessage, parts: string[], response: ServerResponse) {
  const method = request.method ?? "GET";
  const text = method === "GET" ? "" : await readBody(request);
  const body = (text ? JSON.parse(text) : {}) as Record<string, any>;
  const reply = (status: number, payload: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(payload));
  };
  const [area, id, action] = parts;
  if (area === "members" && id) {
    if (method === "PUT" && !action) return fake.putMember(id, body), reply(200, { ok: true });
    const member = fake.members.get(id);
    if (!member) return reply(404, { error: `no member ${id}` });
    if (method === "POST" && action === "faults") return Object.assign(member.faults, body), reply(200, { ok: true });
    if (method === "POST" && action === "revoke") {
      for (const [token, owner] of fake.refreshTokens) if (owner === id) fake.refreshTokens.delete(token);
      for (const token of fake.accessTokens.values()) if (token.member === id) token.revoked = true;
      return reply(200, { ok: true });
    }
    if (method === "POST" && action === "expire-access") {
      for (const token of fake.accessTokens.values()) if (token.member === id) token.expiresAt = 0;
      return reply(200, { ok: true });
    }
    if (method === "GET" && action === "requests") return reply(200, { data: member.log });
    if (method === "GET" && action === "refresh-tokens") return reply(200, { data: [...fake.refreshTokens].filter(([, owner]) => owner === id).map(([token]) => token) });
  }
  if (area === "accounts" && id) {
    if (method === "PUT" && !action) return fake.putAccount(id, body), reply(200, { ok: true });
    const account = fake.accounts.get(id);
    if (!account) return reply(404, { error: `no account ${id}` });
    if (method === "POST" && action === "restate") return account.restatements.push({ from: body.from, factor: body.factor }), reply(200, { ok: true });
    if (method === "POST" && action === "touch") {
      for (const campaign of account.campaigns) {
        if ((body.ids as number[]).includes(Number(campaign.id))) {
          const audit = campaign.changeAuditStamps as ReturnType<typeof stamps>;
          audit.lastModified.time = Date.now();
          if (body.status) campaign.status = body.status;
        }
      }
      return reply(200, { ok: true });
    }
  }
  return reply(404, { error: `no control route ${parts.join("/")}` });
}

export async function startLinkedinFake(port = 0): Promise<RunningFake> {
  const fake = new LinkedinFake();
  return serveFake({
    name: "linkedin",
    hosts: ["api.linkedin.com", "www.linkedin.com"],
    port,
    control: (request, parts, response) => serveControl(fake, request, parts, response),
    api: (request, url, response) => serve(fake, request, url, response),
  });
}
