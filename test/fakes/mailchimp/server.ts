/**
 * A fake of the Mailchimp Marketing API 3.0 (`<dc>.api.mailchimp.com/3.0`) and its OAuth metadata endpoint
 * (login.mailchimp.com/oauth2/metadata) for offline tests, on node:http. One server answers every datacenter: the
 * datacenter of a request is the host it was addressed to (the Host header, or X-Forwarded-Host when a development
 * override rewrote the URL to loopback). README.md is its contract.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { subdomainOf } from "../shared/forwarded-host";
import { listen, lowercaseHeaders, queryObject, readBody, stop } from "../shared/http";
import { Account, type Activity, type Counts, iso, type Json } from "./data";

const MAX_CONNECTIONS = 10;
const MAX_COUNT = 1000;
const ERROR_DOCS = "https://mailchimp.com/developer/marketing/docs/errors/";

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Json = {},
  ) {
    super(detail);
  }

  body() {
    return { type: ERROR_DOCS, title: this.title, status: this.status, detail: this.detail, instance: randomUUID(), ...this.extra };
  }

  static keyInvalid() {
    return new Problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
  }

  static notFound() {
    return new Problem(404, "Resource Not Found", "The requested resource could not be found.");
  }

  static invalid(field: string, message: string) {
    return new Problem(400, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array.", { errors: [{ field, message }] });
  }

  static tooManyRequests() {
    return new Problem(429, "Too Many Requests", `You have exceeded the limit of ${MAX_CONNECTIONS} simultaneous connections.`);
  }

  static server(status: number) {
    return new Problem(status, "Internal Server Error", "An unexpected internal error has occurred. Please contact Support for more information.");
  }
}

export interface LoggedRequest {
  at: number;
  method: string;
  /** The datacenter addressed, or null when the request came without a Mailchimp host. */
  dc: string | null;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  status: number;
  /** Requests of this key in flight when this one arrived (itself included). */
  in_flight: number;
}

const FAULT_KINDS = ["too_many_requests", "500", "502", "503"] as const;
type FaultKind = (typeof FAULT_KINDS)[number];

interface Faults {
  sequence?: (FaultKind | "ok")[];
  fail_first?: number;
  fail_with?: FaultKind;
  paths?: string[];
  revoke?: boolean;
  slow_ms?: number;
}

class Tenant {
  account: Account;
  dc: string;
  faults: Faults = {};
  private step = 0;
  private failed = 0;
  served: Partial<Record<FaultKind, number>> = {};
  log: LoggedRequest[] = [];
  inFlight = 0;
  tokens = new Set<string>();

  constructor(
    readonly id: string,
    options: { counts?: Counts; now?: number; dc?: string } = {},
  ) {
    this.account = new Account(id, options.counts, options.now);
    this.dc = options.dc ?? "us21";
  }

  nextFault(path: string): FaultKind | null {
    if (this.faults.paths && !this.faults.paths.some((p) => path.startsWith(p))) return null;
    const sequence = this.faults.sequence ?? [];
    let kind: FaultKind | null = null;
    if (this.step < sequence.length) {
      const s = sequence[this.step++]!;
      kind = s === "ok" ? null : s;
    } else if (this.failed < (this.faults.fail_first ?? 0)) {
      this.failed++;
      kind = this.faults.fail_with ?? "too_many_requests";
    }
    if (kind) this.served[kind] = (this.served[kind] ?? 0) + 1;
    return kind;
  }

  setFaults(faults: Faults) {
    this.faults = faults;
    this.step = 0;
    this.failed = 0;
    this.served = {};
  }
}

const KEY = /^([0-9a-f]+)-([a-z]+\d+)$/;

function send(response: ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8") {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": type, "Content-Length": String(Buffer.byteLength(text)) });
  response.end(text);
}

/** The datacenter a request was addressed to: `us21` of us21.api.mailchimp.com (X-Forwarded-Host behind an override). */
function datacenterOf(request: IncomingMessage): string | null {
  const dc = subdomainOf(request, "api.mailchimp.com");
  return dc !== undefined && /^[a-z]+\d+$/.test(dc) ? dc : null;
}

// -------------------------------------------------------------------------------------------------------------
// Query handling shared by every collection

function since(params: URLSearchParams, name: string): number | null {
  const value = params.get(name);
  if (value === null || value === "") return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw Problem.invalid(name, `${name} must be an ISO 8601 date (e.g. 2024-01-01T00:00:00+00:00)`);
  return at / 1000;
}

/** `since_x` keeps records with x strictly after it, `before_x` strictly before (the reference's wording). */
function timeWindow(records: Json[], params: URLSearchParams, field: string, param: string): Json[] {
  const after = since(params, `since_${param}`);
  const before = since(params, `before_${param}`);
  return records.filter((r) => {
    const value = typeof r[field] === "string" && r[field] !== "" ? Date.parse(String(r[field])) / 1000 : null;
    if (value === null) return after === null && before === null;
    return (after === null || value > after) && (before === null || value < before);
  });
}

function sorted(records: Json[], params: URLSearchParams, allowed: string[]): Json[] {
  const field = params.get("sort_field");
  if (field === null) return records;
  if (!allowed.includes(field)) throw Problem.invalid("sort_field", `sort_field must be one of ${allowed.join(", ")}`);
  const dir = (params.get("sort_dir") ?? "ASC").toUpperCase() === "DESC" ? -1 : 1;
  return [...records].sort((a, b) => dir * (Date.parse(String(a[field])) - Date.parse(String(b[field]))));
}

/** `fields` and `exclude_fields`: comma-separated dot paths into the response (`members.email_address`). */
function project(body: Json, params: URLSearchParams): Json {
  const include = params.get("fields")?.split(",").filter(Boolean);
  const exclude = params.get("exclude_fields")?.split(",").filter(Boolean) ?? [];
  const apply = (value: unknown, path: string[]): unknown => {
    if (Array.isArray(value)) return value.map((item) => apply(item, path));
    if (value === null || typeof value !== "object") return value;
    const out: Json = {};
    for (const [key, child] of Object.entries(value as Json)) {
      const here = [...path, key].join(".");
      if (exclude.includes(here)) continue;
      if (include && !include.some((f) => f === here || f.startsWith(`${here}.`) || here.startsWith(`${f}.`))) continue;
      out[key] = apply(child, [...path, key]);
    }
    return out;
  };
  return apply(body, []) as Json;
}

function page(key: string, records: Json[], params: URLSearchParams, extra: Json = {}): Json {
  const count = params.get("count") === null ? 10 : Number(params.get("count"));
  const offset = params.get("offset") === null ? 0 : Number(params.get("offset"));
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw Problem.invalid("count", `count must be an integer from 1 to ${MAX_COUNT}`);
  if (!Number.isInteger(offset) || offset < 0) throw Problem.invalid("offset", "offset must be a non-negative integer");
  return project({ [key]: records.slice(offset, offset + count), ...extra, total_items: records.length, _links: [{ rel: "self", href: "", method: "GET" }] }, params);
}

function links(record: Json, href: string): Json {
  return { ...record, _links: [{ rel: "self", href, method: "GET" }] };
}

function activityOf(campaignId: string, rows: Activity[], after: number | null): Json[] {
  const byEmail = new Map<string, Json>();
  for (const row of rows) {
    if (after !== null && row.timestamp <= after) continue;
    let email = byEmail.get(row.email_id);
    if (!email) {
      email = { campaign_id: campaignId, list_id: row.list_id, list_is_active: true, email_id: row.email_id, email_address: row.email_address, activity: [] };
      byEmail.set(row.email_id, email);
    }
    (email.activity as Json[]).push({ action: row.action, type: row.type, timestamp: iso(row.timestamp), url: row.url, ip: row.ip });
  }
  return [...byEmail.values()];
}

function route(account: Account, path: string, params: URLSearchParams): Json {
  const base = "https://usX.api.mailchimp.com/3.0";
  const parts = path.replace(/^\/3\.0\/?/, "").split("/").filter(Boolean);
  const [a, b, c, d] = parts;
  if (parts.length === 0) return { account_id: account.rng.chars(8), account_name: "Example Co", email: "owner@example.com", total_subscribers: 0 };
  if (a === "ping" && parts.length === 1) return { health_status: "Everything's Chimpy!" };
  if (a === "lists") {
    if (!b) {
      const lists = sorted(timeWindow(account.lists, params, "date_created", "date_created"), params, ["date_created"]);
      return page("lists", lists.map((l) => links(l, `${base}/lists/${l.id}`)), params, { constraints: { may_create: true, max_instances: 0 } });
    }
    const list = account.lists.find((l) => l.id === b);
    if (!list) throw Problem.notFound();
    if (!c) return project(links(list, `${base}/lists/${b}`), params);
    if (c === "members" && !d) {
      let members = timeWindow(account.members.get(b) ?? [], params, "last_changed", "last_changed");
      members = timeWindow(members, params, "timestamp_opt", "timestamp_opt");
      const status = params.get("status");
      if (status) members = members.filter((m) => m.status === status);
      members = sorted(members, params, ["timestamp_opt", "timestamp_signup", "last_changed"]);
      return page("members", members.map((m) => links(m, `${base}/lists/${b}/members/${m.id}`)), params, { list_id: b });
    }
    if (c === "members" && d) {
      const member = (account.members.get(b) ?? []).find((m) => m.id === d);
      if (!member) throw Problem.notFound();
      return project(links(member, `${base}/lists/${b}/members/${d}`), params);
    }
    if (c === "segments" && !d) {
      let segments = timeWindow(account.segments.get(b) ?? [], params, "created_at", "created_at");
      segments = timeWindow(segments, params, "updated_at", "updated_at");
      const type = params.get("type");
      if (type) segments = segments.filter((s) => s.type === type);
      return page("segments", segments.map((s) => links(s, `${base}/lists/${b}/segments/${s.id}`)), params, { list_id: b });
    }
    if (c === "interest-categories" && !d) {
      const categories = account.categories.get(b) ?? [];
      return page("categories", categories.map((x) => links(x, `${base}/lists/${b}/interest-categories/${x.id}`)), params, { list_id: b });
    }
    if (c === "tag-search" && !d) {
      const name = params.get("name");
      const tags = (account.segments.get(b) ?? []).filter((s) => s.type === "static" && (!name || String(s.name).startsWith(name))).map((s) => ({ id: s.id, name: s.name }));
      return project({ tags, total_items: tags.length }, params);
    }
    throw Problem.notFound();
  }
  if (a === "campaigns") {
    if (!b) {
      let campaigns = timeWindow(account.campaigns, params, "create_time", "create_time");
      campaigns = timeWindow(campaigns, params, "send_time", "send_time");
      const status = params.get("status");
      if (status) campaigns = campaigns.filter((x) => x.status === status);
      campaigns = sorted(campaigns, params, ["create_time", "send_time"]);
      return page("campaigns", campaigns.map((x) => links(x, `${base}/campaigns/${x.id}`)), params);
    }
    const campaign = account.campaigns.find((x) => x.id === b);
    if (!campaign || c) throw Problem.notFound();
    return project(links(campaign, `${base}/campaigns/${b}`), params);
  }
  if (a === "reports") {
    if (!b) {
      const reports = timeWindow([...account.reports.values()], params, "send_time", "send_time");
      return page("reports", reports.map((r) => links(r, `${base}/reports/${r.id}`)), params);
    }
    const report = account.reports.get(b);
    if (!report) throw Problem.notFound();
    if (!c) return project(links(report, `${base}/reports/${b}`), params);
    if (c === "email-activity" && !d) return page("emails", activityOf(b, account.activity.get(b) ?? [], since(params, "since")), params, { campaign_id: b });
    if (c === "unsubscribed" && !d) {
      const rows = (account.unsubscribes.get(b) ?? []).map((u) => ({ ...u, timestamp: iso(u.timestamp), merge_fields: {}, vip: false, list_is_active: true }));
      return page("unsubscribes", rows, params, { campaign_id: b });
    }
    throw Problem.notFound();
  }
  if (a === "automations" && !b) {
    let automations = timeWindow(account.automations, params, "create_time", "create_time");
    automations = timeWindow(automations, params, "start_time", "start_time");
    return page("automations", automations.map((x) => links(x, `${base}/automations/${x.id}`)), params);
  }
  throw Problem.notFound();
}

// -------------------------------------------------------------------------------------------------------------

interface Registry {
  tenants: Map<string, Tenant>;
  get(id: string): Tenant;
}

function credentials(registry: Registry, header: string | undefined): { tenant: Tenant; keyDc: string | null } {
  const [scheme = "", value = ""] = (header ?? "").split(/\s+/, 2);
  if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const key = decoded.slice(decoded.indexOf(":") + 1);
    const match = KEY.exec(key);
    const tenant = match ? registry.tenants.get(match[1]!) : undefined;
    // A key names its own datacenter; a suffix that is not the account's is not a key that exists.
    if (!match || !tenant || tenant.dc !== match[2]) throw Problem.keyInvalid();
    return { tenant, keyDc: match[2]! };
  }
  if (scheme.toLowerCase() === "bearer" || scheme.toLowerCase() === "oauth") {
    for (const tenant of registry.tenants.values()) if (tenant.tokens.has(value)) return { tenant, keyDc: null };
  }
  throw Problem.keyInvalid();
}

async function serveApi(registry: Registry, request: IncomingMessage, url: URL, response: ServerResponse) {
  let tenant: Tenant | undefined;
  let entry: LoggedRequest | undefined;
  try {
    const dc = datacenterOf(request);
    const found = credentials(registry, request.headers.authorization);
    tenant = found.tenant;
    tenant.inFlight++;
    entry = { at: Date.now(), method: request.method ?? "GET", dc, path: url.pathname, query: queryObject(url.searchParams), headers: lowercaseHeaders(request), status: 0, in_flight: tenant.inFlight };
    tenant.log.push(entry);
    if (tenant.faults.revoke) throw Problem.keyInvalid();
    // Requests that name no datacenter (a bare loopback address) are served as the account's own.
    if (dc !== null && dc !== tenant.dc) throw Problem.keyInvalid();
    if (tenant.inFlight > MAX_CONNECTIONS) throw Problem.tooManyRequests();
    const fault = tenant.nextFault(url.pathname);
    if (fault === "too_many_requests") throw Problem.tooManyRequests();
    if (fault) throw Problem.server(Number(fault));
    if (request.method !== "GET") throw new Problem(405, "Method Not Allowed", "The requested method and resource are not compatible. See the Allow header for this resource's available methods.");
    const body = route(tenant.account, url.pathname, url.searchParams);
    if (tenant.faults.slow_ms) await new Promise((r) => setTimeout(r, tenant!.faults.slow_ms));
    entry.status = 200;
    send(response, 200, body);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (entry) entry.status = error.status;
    send(response, error.status, error.body(), "application/problem+json; charset=utf-8");
  } finally {
    if (tenant && entry) tenant.inFlight--;
  }
}

function serveMetadata(registry: Registry, request: IncomingMessage, response: ServerResponse) {
  const match = /^OAuth\s+(.+)$/i.exec(request.headers.authorization ?? "");
  const tenant = match ? [...registry.tenants.values()].find((t) => t.tokens.has(match[1]!.trim())) : undefined;
  tenant?.log.push({ at: Date.now(), method: "GET", dc: null, path: "/oauth2/metadata", query: {}, headers: lowercaseHeaders(request), status: 200, in_flight: 0 });
  // An unknown token still answers 200, with the error in the body (research §6).
  if (!tenant) return send(response, 200, { error: "invalid_token" });
  send(response, 200, {
    dc: tenant.dc,
    role: "owner",
    accountname: "Example Co",
    user_id: 1234567,
    login: { email: "owner@example.com", avatar: null, login_id: 1234567, login_name: "owner", login_email: "owner@example.com" },
    login_url: "https://login.mailchimp.com",
    api_endpoint: `https://${tenant.dc}.api.mailchimp.com`,
  });
}

function control(registry: Registry, method: string, url: URL, body: Json): unknown {
  const [tenantId, action = ""] = url.pathname.slice("/_fake/".length).split("/").filter(Boolean);
  if (!tenantId || !/^[0-9a-f]+$/.test(tenantId)) throw new Error("the path must name a tenant of hex digits (the API key's first part): /_fake/{tenant}/…");
  const route = `${method} ${action}`;
  if (route === "POST seed") {
    const dc = typeof body.dc === "string" ? body.dc : undefined;
    if (dc !== undefined && !/^[a-z]+\d+$/.test(dc)) throw new Error("dc must look like us21");
    const tenant = new Tenant(tenantId, { ...(body.counts ? { counts: body.counts as Counts } : {}), ...(typeof body.now === "number" ? { now: body.now } : {}), ...(dc ? { dc } : {}) });
    registry.tenants.set(tenantId, tenant);
    return { tenant: tenantId, dc: tenant.dc, api_key: `${tenantId}-${tenant.dc}`, now: tenant.account.now(), lists: tenant.account.lists.map((l) => ({ id: l.id, members: tenant.account.members.get(String(l.id))!.length })) };
  }
  if (route === "DELETE ") return { dropped: registry.tenants.delete(tenantId) };
  const tenant = registry.get(tenantId);
  const account = tenant.account;
  switch (route) {
    case "GET account":
      return { tenant: tenantId, dc: tenant.dc, now: account.now() };
    case "POST clock":
      account.advance(Number(body.advance_seconds ?? 0));
      return { now: account.now() };
    case "POST mutate":
      return account.mutate(body);
    case "POST faults":
      tenant.setFaults(body as Faults);
      return { faults: tenant.faults };
    case "GET faults":
      return { faults: tenant.faults, served: tenant.served };
    case "POST oauth":
      tenant.tokens.add(String(body.access_token));
      return { access_token: body.access_token, dc: tenant.dc };
    case "GET requests":
      return { data: tenant.log };
    case "DELETE requests":
      tenant.log = [];
      return { data: [] };
    case "GET objects":
      // Ground truth, unpaged: every collection as the API would list it.
      return {
        lists: account.lists,
        members: Object.fromEntries(account.members),
        segments: Object.fromEntries(account.segments),
        campaigns: account.campaigns,
        reports: [...account.reports.values()],
        activity: Object.fromEntries([...account.activity].map(([id, rows]) => [id, rows.map((r) => ({ ...r, timestamp: iso(r.timestamp) }))])),
        unsubscribes: Object.fromEntries([...account.unsubscribes].map(([id, rows]) => [id, rows.map((r) => ({ ...r, timestamp: iso(r.timestamp) }))])),
        automations: account.automations,
      };
    default:
      return undefined;
  }
}

export async function startMailchimpFake(options: { port?: number } = {}): Promise<RunningFake> {
  const tenants = new Map<string, Tenant>();
  const registry: Registry = {
    tenants,
    get(id) {
      let tenant = tenants.get(id);
      if (!tenant) {
        tenant = new Tenant(id);
        tenants.set(id, tenant);
      }
      return tenant;
    },
  };
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const body = await readBody(request);
        if (url.pathname.startsWith("/_fake/")) {
          try {
            const result = control(registry, request.method ?? "GET", url, body.trim() ? (JSON.parse(body) as Json) : {});
            return result === undefined ? send(response, 404, { error: `no control route ${url.pathname}` }) : send(response, 200, result);
          } catch (error) {
            return send(response, 400, { error: (error as Error).message });
          }
        }
        if (url.pathname === "/oauth2/metadata") return serveMetadata(registry, request, response);
        if (url.pathname === "/3.0" || url.pathname.startsWith("/3.0/")) return await serveApi(registry, request, url, response);
        send(response, 404, Problem.notFound().body(), "application/problem+json; charset=utf-8");
      } catch (error) {
        console.error("mailchimp fake: unhandled error", error);
        if (!response.headersSent) send(response, 500, Problem.server(500).body(), "application/problem+json; charset=utf-8");
      }
    })();
  });
  return {
    name: "mailchimp",
    port: await listen(server, options.port),
    // One fake for every datacenter: the kit's wildcard override, with the addressed host in X-Forwarded-Host.
    hosts: ["login.mailchimp.com", "*.api.mailchimp.com"],
    close: () => stop(server),
  };
}
