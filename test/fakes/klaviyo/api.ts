/**
 * The GET endpoints of the fake, as the API reference for the pinned revisions describes them (the `klaviyo-api`
 * 23.0.0 client's generated docs: page sizes, filterable fields and operators, sorts, rate tiers, scopes): JSON:API
 * envelopes, `page[cursor]` links that carry every original parameter, sparse fieldsets, `include`, and
 * `additional-fields`.
 */
import { Account, iso, seconds, type Resource, type ResourceType } from "./data";
import { ApiError } from "./errors";
import { type Condition, FilterSyntaxError, type FilterValue, parseFilter } from "./filter";

export const API_HOST = "https://a.klaviyo.com";

export interface Tier {
  burst: number;
  steady: number;
}

export interface Endpoint {
  name: string;
  pattern: RegExp;
  type: ResourceType;
  scopes: string[];
  tier: Tier;
  /** null: the endpoint takes no page[size] (metrics: fixed pages of 200). */
  pageSize: { default: number; max: number } | { fixed: number };
  filters: Record<string, string[]>;
  sorts: string[];
  include: string[];
  additional?: string[];
  /** The collection behind the endpoint, for the account and the path's id. */
  source(account: Account, id: string | undefined): Resource[];
}

const DATE_OPS = ["greater-or-equal", "greater-than", "less-or-equal", "less-than"];
const L: Tier = { burst: 75, steady: 750 };

const members = (kind: "list" | "segment") => (account: Account, id: string | undefined) => {
  const group = id ? account.find(kind, id) : undefined;
  if (!group) throw ApiError.notFound(`A ${kind} with id ${id} does not exist.`);
  const joined = account.memberships.get(group.id) ?? new Map<string, number>();
  return account
    .list("profile")
    .filter((p) => joined.has(p.id))
    .map((p) => ({ ...p, attributes: { ...p.attributes, joined_group_at: iso(joined.get(p.id)!) } }));
};

export const ENDPOINTS: Endpoint[] = [
  {
    name: "profiles",
    pattern: /^\/api\/profiles\/?$/,
    type: "profile",
    scopes: ["profiles:read"],
    tier: L,
    pageSize: { default: 20, max: 100 },
    filters: { id: ["any", "equals"], email: ["any", "equals"], phone_number: ["any", "equals"], external_id: ["any", "equals"], created: ["greater-than", "less-than"], updated: ["greater-than", "less-than"] },
    sorts: ["id", "created", "updated", "email"],
    include: [],
    additional: ["subscriptions", "predictive_analytics"],
    source: (a) => a.list("profile"),
  },
  {
    name: "events",
    pattern: /^\/api\/events\/?$/,
    type: "event",
    scopes: ["events:read"],
    tier: { burst: 350, steady: 3500 },
    pageSize: { default: 200, max: 1000 },
    filters: { metric_id: ["equals"], profile_id: ["equals"], datetime: DATE_OPS, timestamp: DATE_OPS },
    sorts: ["datetime", "timestamp"],
    include: ["metric", "profile"],
    source: (a) => a.list("event"),
  },
  {
    name: "metrics",
    pattern: /^\/api\/metrics\/?$/,
    type: "metric",
    scopes: ["metrics:read"],
    tier: { burst: 10, steady: 150 },
    pageSize: { fixed: 200 },
    filters: { "integration.name": ["equals"], "integration.category": ["equals"] },
    sorts: [],
    include: ["flow-triggers"],
    source: (a) => a.list("metric"),
  },
  {
    name: "lists",
    pattern: /^\/api\/lists\/?$/,
    type: "list",
    scopes: ["lists:read"],
    tier: L,
    pageSize: { default: 10, max: 10 },
    filters: { name: ["any", "equals"], id: ["any", "equals"], created: ["greater-than"], updated: ["greater-than"] },
    sorts: ["created", "id", "name", "updated"],
    include: ["tags", "flow-triggers"],
    source: (a) => a.list("list"),
  },
  {
    name: "segments",
    pattern: /^\/api\/segments\/?$/,
    type: "segment",
    scopes: ["segments:read"],
    tier: L,
    pageSize: { default: 10, max: 10 },
    filters: { name: ["any", "equals"], id: ["any", "equals"], created: ["greater-than"], updated: ["greater-than"], is_active: ["any", "equals"], is_starred: ["equals"] },
    sorts: ["created", "id", "name", "updated"],
    include: ["tags", "flow-triggers"],
    source: (a) => a.list("segment"),
  },
  {
    name: "campaigns",
    pattern: /^\/api\/campaigns\/?$/,
    type: "campaign",
    scopes: ["campaigns:read"],
    tier: { burst: 10, steady: 150 },
    pageSize: { default: 100, max: 100 },
    filters: { id: ["any"], "messages.channel": ["equals"], name: ["contains"], status: ["any", "equals"], archived: ["equals"], created_at: DATE_OPS, scheduled_at: DATE_OPS, updated_at: DATE_OPS },
    sorts: ["created_at", "id", "name", "scheduled_at", "updated_at"],
    include: ["campaign-messages", "tags"],
    source: (a) => a.list("campaign"),
  },
  {
    name: "flows",
    pattern: /^\/api\/flows\/?$/,
    type: "flow",
    scopes: ["flows:read"],
    tier: { burst: 3, steady: 60 },
    pageSize: { default: 50, max: 50 },
    filters: { id: ["any"], name: ["contains", "ends-with", "equals", "starts-with"], status: ["equals"], archived: ["equals"], created: ["equals", ...DATE_OPS], updated: ["equals", ...DATE_OPS], trigger_type: ["equals"] },
    sorts: ["created", "id", "name", "status", "trigger_type", "updated"],
    include: ["flow-actions", "tags"],
    source: (a) => a.list("flow"),
  },
  {
    name: "templates",
    pattern: /^\/api\/templates\/?$/,
    type: "template",
    scopes: ["templates:read"],
    tier: L,
    pageSize: { default: 10, max: 10 },
    filters: { id: ["any", "equals"], name: ["any", "contains", "equals"], created: ["equals", ...DATE_OPS], updated: ["equals", ...DATE_OPS] },
    sorts: ["created", "id", "name", "updated"],
    include: [],
    source: (a) => a.list("template"),
  },
  {
    name: "list-profiles",
    pattern: /^\/api\/lists\/([^/]+)\/profiles\/?$/,
    type: "profile",
    scopes: ["lists:read", "profiles:read"],
    tier: L,
    pageSize: { default: 20, max: 100 },
    filters: { email: ["any", "equals"], phone_number: ["any", "equals"], joined_group_at: DATE_OPS },
    sorts: ["joined_group_at"],
    include: [],
    additional: ["subscriptions", "predictive_analytics"],
    source: members("list"),
  },
  {
    name: "segment-profiles",
    pattern: /^\/api\/segments\/([^/]+)\/profiles\/?$/,
    type: "profile",
    scopes: ["segments:read", "profiles:read"],
    tier: L,
    pageSize: { default: 20, max: 100 },
    filters: { profile_id: ["any", "equals"], email: ["any", "equals"], phone_number: ["any", "equals"], joined_group_at: DATE_OPS },
    sorts: ["joined_group_at"],
    include: [],
    additional: ["subscriptions", "predictive_analytics"],
    source: members("segment"),
  },
];

export function endpointFor(path: string): { endpoint: Endpoint; id: string | undefined } | undefined {
  for (const endpoint of ENDPOINTS) {
    const match = endpoint.pattern.exec(path);
    if (match) return { endpoint, id: match[1] };
  }
  return undefined;
}

/** The tier a request counts against: predictive analytics profiles have their own, lower one. */
export function tierOf(endpoint: Endpoint, params: URLSearchParams): { key: string; tier: Tier } {
  const extra = params.get(`additional-fields[${endpoint.type}]`) ?? "";
  if (extra.split(",").includes("predictive_analytics")) return { key: `${endpoint.name}+predictive`, tier: { burst: 10, steady: 150 } };
  return { key: endpoint.name, tier: endpoint.tier };
}

// ---------------------------------------------------------------------------------------------------------------

function fieldValue(resource: Resource, field: string): unknown {
  if (field === "messages.channel") return resource.channel;
  if (field === "metric_id") return resource.relationships.metric?.ids[0];
  if (field === "profile_id") return resource.type === "event" ? resource.relationships.profile?.ids[0] : resource.id;
  let value: unknown = resource.attributes;
  for (const part of field.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  return field === "id" ? resource.id : value;
}

const DATETIME_FIELDS = new Set(["created", "updated", "datetime", "created_at", "updated_at", "scheduled_at", "joined_group_at"]);

function comparable(field: string, value: unknown, filterValue: FilterValue): [number | string, number | string] {
  if (typeof filterValue === "object" && filterValue !== null && "datetime" in filterValue) {
    return [field === "timestamp" ? Number(value) : seconds(value), filterValue.datetime];
  }
  if (DATETIME_FIELDS.has(field)) {
    throw ApiError.invalidFilter(`Invalid date filter value for '${field}': datetimes are not quoted (e.g. ${field},2024-01-01T00:00:00Z).`);
  }
  return [value as number | string, filterValue as number | string];
}

function matches(resource: Resource, condition: Condition): boolean {
  const value = fieldValue(resource, condition.field);
  const { op, field } = condition;
  if (op === "equals") {
    if (typeof condition.value === "object" && condition.value !== null && "datetime" in condition.value) return seconds(value) === condition.value.datetime;
    return value === condition.value;
  }
  if (op === "any") return Array.isArray(condition.value) && condition.value.includes(value as FilterValue);
  if (op === "contains") return typeof value === "string" && value.includes(String(condition.value));
  if (op === "starts-with") return typeof value === "string" && value.startsWith(String(condition.value));
  if (op === "ends-with") return typeof value === "string" && value.endsWith(String(condition.value));
  if (value === null || value === undefined) return false;
  const [a, b] = comparable(field, value, condition.value);
  if (op === "greater-than") return a > b;
  if (op === "greater-or-equal") return a >= b;
  if (op === "less-than") return a < b;
  if (op === "less-or-equal") return a <= b;
  return false;
}

function sortKey(resource: Resource, field: string | undefined): number | string {
  if (!field) return resource.id;
  const value = fieldValue(resource, field);
  if (DATETIME_FIELDS.has(field)) return seconds(value);
  return typeof value === "number" ? value : String(value ?? "");
}

function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface CursorState {
  sort: string;
  after: [number | string, string];
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString("base64url");
}

function decodeCursor(text: string, sort: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as CursorState;
    if (state.sort === sort && Array.isArray(state.after) && state.after.length === 2) return state;
  } catch {
    // falls through to the error below
  }
  throw ApiError.invalid("Invalid page cursor.", "page[cursor]");
}

const KNOWN_PARAMS = /^(filter|sort|include|page\[cursor\]|page\[size\]|fields\[[\w-]+\]|additional-fields\[[\w-]+\])$/;

/** One GET of a collection endpoint: filter, sort, page, render. */
export function listCollection(account: Account, endpoint: Endpoint, id: string | undefined, url: URL): unknown {
  const params = url.searchParams;
  for (const key of params.keys()) if (!KNOWN_PARAMS.test(key)) throw ApiError.invalid(`'${key}' is not a valid query parameter.`, key);

  let conditions: Condition[] = [];
  const filter = params.get("filter");
  if (filter !== null) {
    try {
      conditions = parseFilter(filter);
    } catch (error) {
      if (error instanceof FilterSyntaxError) throw ApiError.invalidFilter(`Invalid filter provided: ${error.message}.`);
      throw error;
    }
    for (const condition of conditions) {
      const allowed = endpoint.filters[condition.field];
      if (!allowed) throw ApiError.invalidFilter(`'${condition.field}' is not a valid field for the resource '${endpoint.type}'.`);
      if (!allowed.includes(condition.op)) throw ApiError.invalidFilter(`'${condition.op}' is not a valid operator for '${condition.field}'. Allowed: ${allowed.join(", ")}.`);
    }
  }
  if (endpoint.name === "campaigns" && !conditions.some((c) => c.field === "messages.channel")) {
    throw ApiError.invalidFilter("A channel filter is required to list campaigns. Please try adding either: `?filter=equals(messages.channel,'email')` or `?filter=equals(messages.channel,'sms')`");
  }

  const sortParam = params.get("sort") ?? "";
  const descending = sortParam.startsWith("-");
  const sortField = sortParam.replace(/^-/, "") || undefined;
  if (sortField && !endpoint.sorts.includes(sortField)) throw ApiError.invalid(`'${sortField}' is not a valid sort field for '${endpoint.type}'.`, "sort");

  let size: number;
  const sizeParam = params.get("page[size]");
  if ("fixed" in endpoint.pageSize) {
    if (sizeParam !== null) throw ApiError.invalid("'page[size]' is not a valid query parameter.", "page[size]");
    size = endpoint.pageSize.fixed;
  } else {
    size = sizeParam === null ? endpoint.pageSize.default : Number(sizeParam);
    if (!Number.isInteger(size) || size < 1 || size > endpoint.pageSize.max) {
      throw ApiError.invalid(`Page size must be an integer between 1 and ${endpoint.pageSize.max}.`, "page[size]");
    }
  }

  const includes = (params.get("include") ?? "").split(",").filter(Boolean);
  for (const name of includes) if (!endpoint.include.includes(name)) throw ApiError.invalid(`'${name}' is not a valid relationship for '${endpoint.type}'.`, "include");
  const additional = (params.get(`additional-fields[${endpoint.type}]`) ?? "").split(",").filter(Boolean);
  for (const name of additional) if (!endpoint.additional?.includes(name)) throw ApiError.invalid(`'${name}' is not a valid additional field.`, `additional-fields[${endpoint.type}]`);
  const sparse = sparseFields(params);

  const direction = descending ? -1 : 1;
  const ordered = endpoint
    .source(account, id)
    .filter((r) => conditions.every((c) => matches(r, c)))
    .map((r) => ({ r, key: sortKey(r, sortField) }))
    .sort((x, y) => direction * (compare(x.key, y.key) || compare(x.r.id, y.r.id)));

  const cursorText = params.get("page[cursor]");
  const sortName = sortParam || "id";
  let start = 0;
  if (cursorText !== null) {
    const { after } = decodeCursor(cursorText, sortName);
    start = ordered.findIndex((x) => direction * (compare(x.key, after[0]) || compare(x.r.id, after[1])) > 0);
    if (start < 0) start = ordered.length;
  }
  const page = ordered.slice(start, start + size);
  const last = page[page.length - 1];
  const more = start + size < ordered.length && last !== undefined;

  const self = new URL(url.pathname + url.search, API_HOST);
  let next: string | null = null;
  if (more) {
    const following = new URL(self);
    following.searchParams.set("page[cursor]", encodeCursor({ sort: sortName, after: [last.key, last.r.id] }));
    next = following.toString();
  }
  const included = new Map<string, unknown>();
  const data = page.map(({ r }) => {
    for (const name of includes) {
      const rel = r.relationships[name];
      for (const relatedId of rel?.ids ?? []) {
        const related = account.find(rel!.type, relatedId);
        if (related) included.set(`${related.type}:${related.id}`, render(related, [], sparse, []));
      }
    }
    return render(r, includes, sparse, additional);
  });
  return {
    data,
    links: { self: self.toString(), next, prev: null },
    ...(includes.length > 0 ? { included: [...included.values()] } : {}),
  };
}

function sparseFields(params: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, value] of params) {
    const match = /^fields\[([\w-]+)\]$/.exec(key);
    if (match) out.set(match[1]!, value.split(",").filter(Boolean));
  }
  return out;
}

/** A resource as the API renders it; relationship linkage (`data`) is present only for included relationships. */
export function render(resource: Resource, includes: string[], sparse: Map<string, string[]>, additional: string[]): unknown {
  let attributes: Record<string, unknown> = { ...resource.attributes };
  if (resource.type === "profile") {
    if (additional.includes("subscriptions")) attributes.subscriptions = Account.subscriptions(resource);
    if (additional.includes("predictive_analytics")) attributes.predictive_analytics = { historic_number_of_orders: 0, predicted_clv: null };
  }
  const wanted = sparse.get(resource.type);
  if (wanted) {
    for (const field of wanted) {
      if (!(field.split(".")[0]! in attributes)) throw ApiError.invalid(`'${field}' is not a valid field for '${resource.type}'.`, `fields[${resource.type}]`);
    }
    attributes = Object.fromEntries(Object.entries(attributes).filter(([key]) => wanted.some((f) => f.split(".")[0] === key)));
  }
  const base = `${API_HOST}/api/${resource.type}s/${resource.id}`;
  const relationships: Record<string, unknown> = {};
  for (const [name, rel] of Object.entries(resource.relationships)) {
    const linkage = rel.ids.map((id) => ({ type: rel.type, id }));
    relationships[name] = {
      ...(includes.includes(name) ? { data: rel.toOne ? (linkage[0] ?? null) : linkage } : {}),
      links: { self: `${base}/relationships/${name}`, related: `${base}/${name}` },
    };
  }
  return {
    type: resource.type,
    id: resource.id,
    attributes,
    ...(Object.keys(relationships).length > 0 ? { relationships } : {}),
    links: { self: base },
  };
}
