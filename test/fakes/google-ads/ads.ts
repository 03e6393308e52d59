/**
 * A fake of the Google Ads API over REST (research/connectors-data.md §3), following Google's REST reference and its
 * examples (https://developers.google.com/google-ads/api/rest/reference/rest/v24/customers.googleAds/searchStream,
 * …/customers/listAccessibleCustomers, https://developers.google.com/google-ads/api/docs/rest/requests). Google's
 * Node client (`google-ads-api`) speaks gRPC only, so the REST wire is proven against these examples, not a client.
 * - searchStream answers one JSON array of batches `[{results, fieldMask, requestId}, …]`, written batch by batch (a
 *   fault can cut the body mid-array); search answers pages of 10,000 with nextPageToken;
 * - GAQL: SELECT fields FROM resource, WHERE with `segments.date BETWEEN 'a' AND 'b'` and `field = 'X'`, ORDER BY,
 *   LIMIT; unknown fields are UNRECOGNIZED_FIELD; segments.date needs a finite date range;
 * - rows are nested camelCase objects, int64 values strings, money in micros, enums as names, resourceName per
 *   resource; dates in the customer's time zone, none after its today;
 * - headers: developer-token (missing: DEVELOPER_TOKEN_PARAMETER_MISSING; a token approved for test accounts only:
 *   DEVELOPER_TOKEN_NOT_APPROVED), login-customer-id digits naming a manager of the customer; USER_PERMISSION_DENIED,
 *   CUSTOMER_NOT_ENABLED, and QuotaError RESOURCE_TEMPORARILY_EXHAUSTED with quotaErrorDetails.retryDelay, all in
 *   a GoogleAdsFailure.
 */
import type { Principal } from "../google-oauth/issuer";
import { ApiFailure } from "../google-sheets/sheets";

export const ADS_VERSIONS = ["v22", "v23", "v24"];

export interface CustomerInput {
  name?: string;
  users: string[];
  time_zone?: string;
  currency?: string;
  manager?: boolean;
  /** The manager account this customer is a client of. */
  manager_id?: string;
  status?: "ENABLED" | "CANCELED" | "SUSPENDED";
  test_account?: boolean;
  campaigns?: number;
  batch_rows?: number;
}

interface Customer {
  id: string;
  name: string;
  users: Set<string>;
  timeZone: string;
  currency: string;
  manager: boolean;
  managerId?: string;
  status: string;
  testAccount: boolean;
  campaigns: number;
  batchRows: number;
  restatements: Array<{ from: string; factor: number }>;
  faults: { quota: number; cutAfterBatches: number | null };
  log: LoggedAdsRequest[];
}

export interface LoggedAdsRequest {
  method: string;
  path: string;
  query?: string;
  headers: Record<string, string>;
  status: number;
  /** Batches written before the body was cut (searchStream). */
  cut?: boolean;
}

const ENTITY_FIELDS: Record<string, string[]> = {
  customer: ["customer.id", "customer.descriptive_name", "customer.currency_code", "customer.time_zone", "customer.manager", "customer.test_account", "customer.status"],
  campaign: ["campaign.id", "campaign.name", "campaign.status", "campaign.advertising_channel_type", "campaign.bidding_strategy_type", "campaign_budget.amount_micros"],
  ad_group: ["ad_group.id", "ad_group.name", "ad_group.status", "ad_group.type"],
  ad_group_ad: ["ad_group_ad.ad.id", "ad_group_ad.ad.name", "ad_group_ad.ad.type", "ad_group_ad.ad.final_urls", "ad_group_ad.status"],
  keyword_view: ["ad_group_criterion.criterion_id", "ad_group_criterion.keyword.text", "ad_group_criterion.keyword.match_type"],
};
const METRIC_FIELDS = ["metrics.impressions", "metrics.clicks", "metrics.cost_micros", "metrics.conversions", "metrics.conversions_value", "metrics.all_conversions", "metrics.interactions"];
/** Which resources' fields a FROM resource may select (its own and the ones it is attributed to). */
const SELECTABLE: Record<string, string[]> = {
  customer: ["customer"],
  campaign: ["customer", "campaign"],
  ad_group: ["customer", "campaign", "ad_group"],
  ad_group_ad: ["customer", "campaign", "ad_group", "ad_group_ad"],
  keyword_view: ["customer", "campaign", "ad_group", "keyword_view"],
};

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const camel = (part: string) => part.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The figure a metric has for an entity on a day before restatement (pure: tests compute sums with it). */
export function adsMetric(entity: string, date: string, metric: string): number {
  const h = hash(`${entity}|${date}|${metric}`);
  switch (metric) {
    case "metrics.impressions":
      return 100 + (h % 5000);
    case "metrics.clicks":
      return h % 200;
    case "metrics.cost_micros":
      return (h % 50_000) * 10_000;
    case "metrics.interactions":
      return h % 250;
    default:
      return (h % 1000) / 100;
  }
}

interface Entity {
  /** Identifies the entity for figures. */
  key: string;
  values: Record<string, unknown>;
  resourceNames: Record<string, string>;
}

function entities(c: Customer, resource: string): Entity[] {
  const base: Record<string, unknown> = {
    "customer.id": c.id,
    "customer.descriptive_name": c.name,
    "customer.currency_code": c.currency,
    "customer.time_zone": c.timeZone,
    "customer.manager": c.manager,
    "customer.test_account": c.testAccount,
    "customer.status": c.status,
  };
  const customerName = `customers/${c.id}`;
  if (resource === "customer") return [{ key: c.id, values: base, resourceNames: { customer: customerName } }];
  const out: Entity[] = [];
  for (let ci = 1; ci <= c.campaigns; ci++) {
    const campaignId = `${c.id.slice(0, 4)}${ci}0001`;
    const campaign = {
      ...base,
      "campaign.id": campaignId,
      "campaign.name": `Campaign ${ci}`,
      "campaign.status": ci === c.campaigns ? "PAUSED" : "ENABLED",
      "campaign.advertising_channel_type": "SEARCH",
      "campaign.bidding_strategy_type": "MANUAL_CPC",
      "campaign_budget.amount_micros": String(ci * 25_000_000),
    };
    const names = { customer: customerName, campaign: `${customerName}/campaigns/${campaignId}` };
    if (resource === "campaign") {
      out.push({ key: campaignId, values: campaign, resourceNames: names });
      continue;
    }
    for (let gi = 1; gi <= 2; gi++) {
      const groupId = `${campaignId}${gi}`;
      const group = { ...campaign, "ad_group.id": groupId, "ad_group.name": `Group ${ci}.${gi}`, "ad_group.status": "ENABLED", "ad_group.type": "SEARCH_STANDARD" };
      const groupNames = { ...names, adGroup: `${customerName}/adGroups/${groupId}` };
      if (resource === "ad_group") out.push({ key: groupId, values: group, resourceNames: groupNames });
      if (resource === "ad_group_ad") {
        const adId = `${groupId}7`;
        out.push({
          key: adId,
          values: { ...group, "ad_group_ad.ad.id": adId, "ad_group_ad.ad.name": `Ad ${ci}.${gi}`, "ad_group_ad.ad.type": "RESPONSIVE_SEARCH_AD", "ad_group_ad.ad.final_urls": [`https://example.com/${ci}/${gi}`], "ad_group_ad.status": "ENABLED" },
          resourceNames: { ...groupNames, adGroupAd: `${customerName}/adGroupAds/${groupId}~${adId}` },
        });
      }
      if (resource === "keyword_view") {
        for (let ki = 1; ki <= 2; ki++) {
          const criterionId = `${groupId}${ki}3`;
          out.push({
            key: criterionId,
            values: { ...group, "ad_group_criterion.criterion_id": criterionId, "ad_group_criterion.keyword.text": `keyword ${ci} ${gi} ${ki}`, "ad_group_criterion.keyword.match_type": ki === 1 ? "EXACT" : "BROAD" },
            resourceNames: { ...groupNames, keywordView: `${customerName}/keywordViews/${groupId}~${criterionId}`, adGroupCriterion: `${customerName}/adGroupCriteria/${groupId}~${criterionId}` },
          });
        }
      }
    }
  }
  return out;
}

interface Gaql {
  fields: string[];
  resource: string;
  from?: string;
  to?: string;
  equals: Array<{ field: string; value: string; negate: boolean }>;
  orderBy: Array<{ field: string; desc: boolean }>;
  limit?: number;
}

function queryError(code: string, message: string): ApiFailure {
  return adsFailure(400, "INVALID_ARGUMENT", { queryError: code }, message);
}

export function adsFailure(status: number, googleStatus: string, errorCode: Record<string, string>, message: string, details?: Record<string, unknown>): ApiFailure {
  return new ApiFailure(status, googleStatus, status === 429 ? "Resource has been exhausted (e.g. check quota)." : "Request contains an invalid argument.", [
    {
      "@type": "type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure",
      errors: [{ errorCode, message, ...(details ? { details } : {}) }],
      requestId: `req${hash(message + Date.now()).toString(36)}`,
    },
  ]);
}

export function parseGaqlQuery(text: string): Gaql {
  const match = /^\s*SELECT\s+(.+?)\s+FROM\s+([a-z_]+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(text);
  if (!match) throw queryError("UNEXPECTED_END_OF_QUERY", `Error in query: unexpected input ${text.slice(0, 40)}.`);
  const fields = match[1]!.split(",").map((f) => f.trim());
  const resource = match[2]!;
  if (!SELECTABLE[resource]) throw queryError("INVALID_RESOURCE_NAME", `Error in query: invalid resource name '${resource}'.`);
  const allowed = new Set([...SELECTABLE[resource]!.flatMap((r) => ENTITY_FIELDS[r] ?? []), ...(resource === "customer" ? [] : []), "segments.date", ...METRIC_FIELDS, ...(resource === "ad_group_ad" || resource === "keyword_view" ? ENTITY_FIELDS.ad_group! : [])]);
  for (const r of SELECTABLE[resource]!) for (const f of ENTITY_FIELDS[r] ?? []) allowed.add(f);
  if (resource === "keyword_view") for (const f of ENTITY_FIELDS.keyword_view!) allowed.add(f);
  for (const f of fields) if (!allowed.has(f)) throw queryError("UNRECOGNIZED_FIELD", `Error in SELECT clause: unrecognized field '${f}'.`);
  const out: Gaql = { fields, resource, equals: [], orderBy: [] };
  for (const condition of (match[3] ?? "").split(/\s+AND\s+(?=[a-z_.]+\s*(?:=|!=|BETWEEN))/i).filter(Boolean)) {
    const between = /^segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'$/i.exec(condition.trim());
    if (between) {
      out.from = between[1];
      out.to = between[2];
      continue;
    }
    const eq = /^([a-z_.]+)\s*(!?=)\s*'?([A-Za-z0-9_-]+)'?$/.exec(condition.trim());
    if (!eq) throw queryError("UNEXPECTED_INPUT", `Error in WHERE clause: unexpected input ${condition.trim()}.`);
    out.equals.push({ field: eq[1]!, value: eq[3]!, negate: eq[2] === "!=" });
  }
  for (const part of (match[4] ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [field, dir] = part.split(/\s+/);
    out.orderBy.push({ field: field!, desc: /^desc$/i.test(dir ?? "") });
  }
  if (match[5]) out.limit = Number(match[5]);
  const needsDate = fields.includes("segments.date") || fields.some((f) => f.startsWith("metrics."));
  if (fields.includes("segments.date") && !(out.from && out.to)) {
    throw queryError("DATE_RANGE_REQUIRED", "A finite date range must be specified with a filter on segments.date when segments.date is selected.");
  }
  if (needsDate && !fields.includes("segments.date") && out.from === undefined && fields.some((f) => f.startsWith("metrics."))) {
    // Metrics without segments.date aggregate over the account's lifetime: allowed, as Google does.
  }
  return out;
}

function nest(row: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".").map(camel);
  let at = row;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[parts.at(-1)!] = value;
}

function todayIn(timeZone: string, nowMs: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(nowMs));
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export class AdsFake {
  private readonly customers = new Map<string, Customer>();
  private readonly tokens = new Map<string, { approved: boolean }>();

  addDeveloperToken(token: string, approved: boolean): void {
    this.tokens.set(token, { approved });
  }

  put(id: string, input: CustomerInput): void {
    const existing = this.customers.get(id);
    this.customers.set(id, {
      id,
      name: input.name ?? `Account ${id}`,
      users: new Set(input.users),
      timeZone: input.time_zone ?? "America/New_York",
      currency: input.currency ?? "USD",
      manager: input.manager ?? false,
      ...(input.manager_id ? { managerId: input.manager_id } : {}),
      status: input.status ?? "ENABLED",
      testAccount: input.test_account ?? false,
      campaigns: input.campaigns ?? 2,
      batchRows: input.batch_rows ?? 10_000,
      restatements: existing?.restatements ?? [],
      faults: existing?.faults ?? { quota: 0, cutAfterBatches: null },
      log: existing?.log ?? [],
    });
  }

  restate(id: string, from: string, factor: number): void {
    this.customer(id).restatements.push({ from, factor });
  }

  faults(id: string, faults: { quota?: number; cut_after_batches?: number | null }): void {
    const c = this.customer(id);
    if (faults.quota !== undefined) c.faults.quota = faults.quota;
    if (faults.cut_after_batches !== undefined) c.faults.cutAfterBatches = faults.cut_after_batches;
  }

  requests(id: string): LoggedAdsRequest[] {
    return this.customer(id).log;
  }

  private customer(id: string): Customer {
    const c = this.customers.get(id);
    if (!c) throw new Error(`no customer ${id}`);
    return c;
  }

  /** The figure of a metric as served now (restatements change conversions, as attribution does). */
  figure(c: Customer, entity: string, date: string, metric: string): number {
    const value = adsMetric(entity, date, metric);
    const restated = c.restatements.filter((r) => date >= r.from).at(-1);
    if (!restated || !metric.includes("conversions")) return value;
    return Math.round(value * restated.factor * 100) / 100;
  }

  private checkHeaders(headers: Record<string, string>, version: string): { approved: boolean } {
    if (!ADS_VERSIONS.includes(version)) throw new ApiFailure(404, "NOT_FOUND", `Version ${version} is not supported; use one of ${ADS_VERSIONS.join(", ")}.`);
    const token = headers["developer-token"];
    if (!token) throw adsFailure(401, "UNAUTHENTICATED", { authenticationError: "DEVELOPER_TOKEN_PARAMETER_MISSING" }, "The developer token is not on the request.");
    const known = this.tokens.get(token);
    if (!known) throw adsFailure(401, "UNAUTHENTICATED", { authenticationError: "DEVELOPER_TOKEN_INVALID" }, "The developer token is not valid.");
    const login = headers["login-customer-id"];
    if (login !== undefined && !/^\d{10}$/.test(login)) throw adsFailure(400, "INVALID_ARGUMENT", { requestError: "INVALID_CUSTOMER_ID" }, `Invalid login-customer-id header '${login}': digits only, without dashes.`);
    return known;
  }

  listAccessible(version: string, headers: Record<string, string>, principal: Principal): unknown {
    this.checkHeaders(headers, version);
    return { resourceNames: [...this.customers.values()].filter((c) => c.users.has(principal.id)).map((c) => `customers/${c.id}`) };
  }

  /** Rows of a query for customer `id`, after every access check; throws the failure Google would answer. */
  query(version: string, id: string, query: string, headers: Record<string, string>, principal: Principal, nowMs = Date.now()): { rows: unknown[]; fieldMask: string; customer: Customer } {
    const c = this.customers.get(id);
    const entry: LoggedAdsRequest = { method: "POST", path: `/${version}/customers/${id}`, query, headers, status: 200 };
    c?.log.push(entry);
    try {
      const token = this.checkHeaders(headers, version);
      if (!principal.scopes.includes("https://www.googleapis.com/auth/adwords")) {
        throw adsFailure(403, "PERMISSION_DENIED", { authorizationError: "OAUTH_TOKEN_HAS_INSUFFICIENT_SCOPE" }, "The OAuth token does not have the adwords scope.");
      }
      if (!c) throw adsFailure(403, "PERMISSION_DENIED", { authorizationError: "USER_PERMISSION_DENIED" }, "User doesn't have permission to access customer.");
      const login = headers["login-customer-id"];
      const direct = c.users.has(principal.id) && (login === undefined || login === c.id);
      const viaManager = login !== undefined && c.managerId === login && this.customers.get(login)?.users.has(principal.id);
      if (!direct && !viaManager) {
        throw adsFailure(403, "PERMISSION_DENIED", { authorizationError: "USER_PERMISSION_DENIED" }, "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid");
      }
      if (!token.approved && !c.testAccount) {
        throw adsFailure(403, "PERMISSION_DENIED", { authorizationError: "DEVELOPER_TOKEN_NOT_APPROVED" }, "The developer token is only approved for use with test accounts. To access non-test accounts, apply for Basic or Standard access.");
      }
      if (c.status !== "ENABLED") throw adsFailure(403, "PERMISSION_DENIED", { authorizationError: "CUSTOMER_NOT_ENABLED" }, "The customer account can't be accessed because it is not yet enabled or has been deactivated.");
      if (c.faults.quota > 0) {
        c.faults.quota--;
        throw adsFailure(429, "RESOURCE_EXHAUSTED", { quotaError: "RESOURCE_TEMPORARILY_EXHAUSTED" }, "Too many requests. Retry in 3 seconds.", {
          quotaErrorDetails: { rateScope: "ACCOUNT", rateName: "Requests per service per method", retryDelay: "3s" },
        });
      }
      const gaql = parseGaqlQuery(query);
      const today = todayIn(c.timeZone, nowMs);
      const dates = gaql.from && gaql.to ? (() => {
        const out: string[] = [];
        for (let d = gaql.from!; d <= gaql.to! && d <= today; d = addDays(d, 1)) out.push(d);
        return out;
      })() : [null];
      const rows: Array<{ sort: Record<string, unknown>; row: Record<string, unknown> }> = [];
      for (const entity of entities(c, gaql.resource)) {
        if (gaql.equals.some((e) => (String(entity.values[e.field]) === e.value) === e.negate)) continue;
        for (const date of dates) {
          const row: Record<string, unknown> = {};
          const flat: Record<string, unknown> = { ...entity.values, ...(date ? { "segments.date": date } : {}) };
          for (const field of gaql.fields) {
            let value: unknown;
            if (field.startsWith("metrics.")) {
              const days = date ? [date] : [];
              const n = days.reduce((sum, d) => sum + this.figure(c, entity.key, d, field), 0);
              value = /impressions|clicks|cost_micros|interactions/.test(field) ? String(n) : n;
            } else value = flat[field];
            flat[field] = value;
            nest(row, field, value);
          }
          for (const [resource, name] of Object.entries(entity.resourceNames)) {
            const part = row[resource] as Record<string, unknown> | undefined;
            if (part) part.resourceName = name;
          }
          rows.push({ sort: flat, row });
        }
      }
      for (const order of [...gaql.orderBy].reverse()) {
        rows.sort((a, b) => {
          const x = String(a.sort[order.field] ?? "");
          const y = String(b.sort[order.field] ?? "");
          const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
          const cmp = numeric ? (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0) : x < y ? -1 : x > y ? 1 : 0;
          return order.desc ? -cmp : cmp;
        });
      }
      const limited = gaql.limit !== undefined ? rows.slice(0, gaql.limit) : rows;
      return { rows: limited.map((r) => r.row), fieldMask: gaql.fields.map((f) => f.split(".").map(camel).join(".")).join(","), customer: c };
    } catch (error) {
      if (error instanceof ApiFailure) entry.status = error.status;
      throw error;
    }
  }

  /** The searchStream body as its batches, and whether to cut it after some (consumed once). */
  stream(version: string, id: string, query: string, headers: Record<string, string>, principal: Principal): { batches: unknown[]; cutAfter: number | null; entry: LoggedAdsRequest } {
    const { rows, fieldMask, customer } = this.query(version, id, query, headers, principal);
    const batches: unknown[] = [];
    const requestId = `req${hash(query + Date.now()).toString(36)}`;
    for (let at = 0; at < rows.length; at += customer.batchRows) batches.push({ results: rows.slice(at, at + customer.batchRows), fieldMask, requestId });
    if (batches.length === 0) batches.push({ fieldMask, requestId });
    // The fault waits for a body long enough to be cut there.
    const armed = customer.faults.cutAfterBatches;
    const cutAfter = armed !== null && batches.length > armed ? armed : null;
    if (cutAfter !== null) customer.faults.cutAfterBatches = null;
    return { batches, cutAfter, entry: customer.log.at(-1)! };
  }

  search(version: string, id: string, query: string, headers: Record<string, string>, principal: Principal, pageToken: string | undefined, pageSize: unknown): unknown {
    if (pageSize !== undefined) throw adsFailure(400, "INVALID_ARGUMENT", { requestError: "PAGE_SIZE_NOT_SUPPORTED" }, "Setting the page size is not supported.");
    const { rows, fieldMask } = this.query(version, id, query, headers, principal);
    const start = pageToken ? Number(Buffer.from(pageToken, "base64url").toString()) : 0;
    const page = rows.slice(start, start + 10_000);
    const next = start + 10_000 < rows.length ? Buffer.from(String(start + 10_000)).toString("base64url") : undefined;
    return { results: page, fieldMask, ...(next ? { nextPageToken: next } : {}) };
  }
}
