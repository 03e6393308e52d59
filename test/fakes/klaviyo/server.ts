/**
 * A fake of Klaviyo's JSON:API (a.klaviyo.com) for offline tests, on node:http: private-key and OAuth auth, the
 * required `revision` header, cursor pages, filters, sparse fieldsets, includes, per-endpoint burst/steady rate
 * windows answering 429 with Retry-After, JSON:API error bodies, injectable faults, a request log and a control
 * API. README.md is its contract.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, queryObject, readBody, stop } from "../shared/http";
import { endpointFor, ENDPOINTS, listCollection, render, tierOf } from "./api";
import { COUNT_NAMES, type Counts, type ResourceType } from "./data";
import { ApiError, ControlError } from "./errors";
import { FAULT_KINDS, type FaultSettings, type LoggedRequest, type Tenant, TenantRegistry } from "./tenants";

/** Revisions this fake serves: quarterly, the newest 2026-10-15; older than two years are retired. */
export const NEWEST_REVISION = "2026-10-15";
const OLDEST_REVISION = "2024-10-15";
const REVISION = /^(\d{4})-(01|04|07|10)-15(\.pre)?$/;
const KEY = /^pk_([A-Za-z0-9]+)$/;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, type = "application/vnd.api+json") {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": type, "Content-Length": String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

interface Caller {
  tenant: Tenant;
  quota: string;
  /** An access token past its expiry: the request is logged for its tenant, then refused. */
  expired?: boolean;
}

function authenticate(registry: TenantRegistry, header: string | undefined, nowMs: number): Caller {
  if (!header) throw ApiError.notAuthenticated();
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme.toLowerCase() === "klaviyo-api-key") {
    const match = KEY.exec(value);
    if (!match) throw ApiError.authenticationFailed();
    return { tenant: registry.get(match[1]!), quota: "private" };
  }
  if (scheme.toLowerCase() === "bearer") {
    const found = registry.byToken(value);
    if (!found) throw ApiError.authenticationFailed();
    return { tenant: found.tenant, quota: found.clientId, expired: found.expiresAt <= nowMs };
  }
  throw ApiError.notAuthenticated();
}

function checkRevision(value: string | undefined) {
  if (value === undefined) throw ApiError.invalid("The 'revision' header is required (e.g. revision: 2026-10-15).", "revision");
  const match = REVISION.exec(value);
  const date = value.slice(0, 10);
  if (!match || date > NEWEST_REVISION) throw ApiError.invalid(`'${value}' is not a valid revision.`, "revision");
  if (date < OLDEST_REVISION) {
    throw new ApiError(410, "gone", "Revision retired.", `Revision ${value} has been retired; use ${NEWEST_REVISION}.`, { parameter: "revision" });
  }
}

const SINGLE = /^\/api\/(profiles|events|metrics|lists|segments|campaigns|flows|templates)\/([^/]+)\/?$/;

async function serveApi(registry: TenantRegistry, request: IncomingMessage, url: URL, response: ServerResponse) {
  const now = Date.now();
  let tenant: Tenant | undefined;
  let entry: LoggedRequest | undefined;
  let headers: Record<string, string> = {};
  try {
    const caller = authenticate(registry, request.headers.authorization, now);
    tenant = caller.tenant;
    entry = { at: now, method: request.method ?? "GET", path: url.pathname, query: queryObject(url.searchParams), headers: lowercaseHeaders(request), status: 0, quota: caller.quota };
    tenant.log.push(entry);
    if (tenant.faults.revoke || caller.expired) throw ApiError.authenticationFailed();
    checkRevision(typeof request.headers.revision === "string" ? request.headers.revision : undefined);
    if (request.method !== "GET") throw new ApiError(405, "method_not_allowed", "Method not allowed.", `Method "${request.method}" not allowed.`);
    const found = endpointFor(url.pathname);
    const single = found ? null : SINGLE.exec(url.pathname);
    if (!found && !single) throw ApiError.notFound(`No route for ${url.pathname}.`);
    const endpoint = found?.endpoint ?? ENDPOINTS.find((e) => e.name === single![1])!;
    const missing = tenant.scopes ? endpoint.scopes.filter((s) => !tenant!.scopes!.includes(s)) : [];
    if (missing.length > 0) throw ApiError.permissionDenied(missing);
    const { key, tier } = tierOf(endpoint, url.searchParams);
    headers = tenant.admit(caller.quota, key, tier, now);
    const fault = tenant.nextFault(url.pathname);
    if (fault === "throttled") throw ApiError.throttled(tenant.faults.retry_after ?? 1);
    if (fault) throw ApiError.server(Number(fault));
    let body: unknown;
    if (single) {
      const resource = tenant.account.find(endpoint.type as ResourceType, single[2]!);
      if (!resource) throw ApiError.notFound(`A ${endpoint.type} with id ${single[2]} does not exist.`);
      body = { data: render(resource, [], new Map(), []), links: { self: `https://a.klaviyo.com${url.pathname}` } };
    } else {
      body = listCollection(tenant.account, endpoint, found!.id, url);
    }
    if (tenant.faults.slow_ms) await new Promise((r) => setTimeout(r, tenant!.faults.slow_ms));
    entry.status = 200;
    send(response, 200, body, headers);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (entry) {
      entry.status = error.status;
      if (error.headers["Retry-After"]) entry.retry_after = Number(error.headers["Retry-After"]);
    }
    // 429s carry Retry-After instead of the RateLimit-* headers (research §5).
    send(response, error.status, error.body(), error.status === 429 ? error.headers : { ...headers, ...error.headers });
  }
}

/** POST /oauth/token, refresh_token grant, client credentials in HTTP Basic (https://developers.klaviyo.com/en/docs/set_up_oauth). */
async function serveToken(registry: TenantRegistry, request: IncomingMessage, body: string, response: ServerResponse) {
  const json = "application/json";
  const form = new URLSearchParams(body);
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "");
  const [clientId, clientSecret] = basic ? Buffer.from(basic[1]!, "base64").toString("utf8").split(":").map(decodeURIComponent) : [form.get("client_id"), form.get("client_secret")];
  const found = clientId ? registry.byClient(clientId) : undefined;
  const log = (status: number) =>
    found?.tenant.log.push({ at: Date.now(), method: "POST", path: "/oauth/token", query: {}, headers: lowercaseHeaders(request), status, quota: clientId ?? "" });
  if (!found || found.client.clientSecret !== clientSecret) {
    log(401);
    return send(response, 401, { error: "invalid_client", error_description: "Client authentication failed." }, {}, json);
  }
  if (form.get("grant_type") !== "refresh_token") {
    log(400);
    return send(response, 400, { error: "unsupported_grant_type" }, {}, json);
  }
  const refreshToken = form.get("refresh_token") ?? "";
  if (!found.client.refreshTokens.has(refreshToken)) {
    log(400);
    return send(response, 400, { error: "invalid_grant", error_description: "Refresh token is invalid or has been revoked." }, {}, json);
  }
  log(200);
  const accessToken = found.tenant.issueToken(found.client.clientId, Date.now(), found.client.expiresIn);
  send(response, 200, { access_token: accessToken, token_type: "Bearer", expires_in: found.client.expiresIn, refresh_token: refreshToken, scope: "profiles:read events:read" }, {}, json);
}

function parseCounts(value: unknown): Counts {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) throw new ControlError("counts must be an object");
  const out: Counts = {};
  for (const [name, n] of Object.entries(value)) {
    if (!(COUNT_NAMES as readonly string[]).includes(name)) throw new ControlError(`unknown count ${name}; known: ${COUNT_NAMES.join(", ")}`);
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 20_000) throw new ControlError(`counts.${name} must be an integer in 0..20000`);
    out[name as keyof Counts] = n;
  }
  return out;
}

function parseFaults(body: Record<string, unknown>): FaultSettings {
  const known = new Set(["sequence", "fail_first", "fail_with", "retry_after", "paths", "revoke", "slow_ms"]);
  for (const key of Object.keys(body)) if (!known.has(key)) throw new ControlError(`unknown fault setting ${key}`);
  const kinds = FAULT_KINDS as readonly string[];
  if (body.sequence !== undefined && !(Array.isArray(body.sequence) && body.sequence.every((s) => s === "ok" || kinds.includes(s)))) {
    throw new ControlError(`sequence lists ok or ${FAULT_KINDS.join(", ")}`);
  }
  if (body.fail_with !== undefined && !kinds.includes(String(body.fail_with))) throw new ControlError(`fail_with is one of ${FAULT_KINDS.join(", ")}`);
  return body as FaultSettings;
}

function control(registry: TenantRegistry, method: string, url: URL, body: Record<string, unknown>): unknown {
  const [tenantId, action = "", ...rest] = url.pathname.slice("/_fake/".length).split("/").filter(Boolean);
  if (!tenantId || !/^[A-Za-z0-9]+$/.test(tenantId)) throw new ControlError("the path must name a tenant: /_fake/{tenant}/…");
  const route = `${method} ${action}`;
  if (route === "POST seed") {
    const tenant = registry.seed(tenantId, parseCounts(body.counts), typeof body.now === "number" ? body.now : undefined);
    return { tenant: tenantId, now: tenant.account.now(), counts: Object.fromEntries([...tenant.account.resources].map(([type, list]) => [type, list.length])) };
  }
  if (route === "DELETE ") return { dropped: registry.drop(tenantId) };
  const tenant = registry.get(tenantId);
  switch (route) {
    case "GET account":
      return { tenant: tenantId, now: tenant.account.now() };
    case "POST clock":
      tenant.account.advance(Number(body.advance_seconds ?? 0));
      return { now: tenant.account.now() };
    case "POST mutate":
      try {
        return tenant.account.mutate(body);
      } catch (error) {
        throw new ControlError((error as Error).message);
      }
    case "POST faults":
      tenant.setFaults(parseFaults(body));
      return { faults: tenant.faults };
    case "GET faults":
      return { faults: tenant.faults, served: tenant.served };
    case "POST limits":
      for (const [name, tier] of Object.entries(body)) {
        if (!ENDPOINTS.some((e) => e.name === name)) throw new ControlError(`no endpoint ${name}`);
        tenant.limits.set(name, tier as { burst: number; steady: number });
      }
      return { limits: Object.fromEntries(tenant.limits) };
    case "POST scopes":
      tenant.scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : null;
      return { scopes: tenant.scopes };
    case "POST oauth":
      return tenant.registerOAuth(body);
    case "POST oauth-revoke":
      for (const client of tenant.oauth.values()) client.refreshTokens.delete(String(body.refresh_token));
      for (const [token, entry] of tenant.tokens) if (!body.client_id || entry.clientId === body.client_id) tenant.tokens.delete(token);
      return { revoked: true };
    case "POST expire-tokens":
      for (const entry of tenant.tokens.values()) entry.expiresAt = 0;
      return { expired: true };
    case "GET requests":
      return { data: tenant.log };
    case "DELETE requests":
      tenant.log = [];
      return { data: [] };
    case "GET objects": {
      const type = rest[0] as ResourceType | undefined;
      if (!type || !tenant.account.resources.has(type)) throw new ControlError(`GET objects/{type}: one of ${[...tenant.account.resources.keys()].join(", ")}`);
      const everything = new Map<string, string[]>();
      const includes = Object.keys(tenant.account.list(type)[0]?.relationships ?? {});
      return {
        data: tenant.account.list(type).map((r) => ({ ...(render(r, includes, everything, type === "profile" ? ["subscriptions"] : []) as object), ...(r.channel ? { channel: r.channel } : {}) })),
      };
    }
    case "GET memberships": {
      const members = tenant.account.memberships.get(rest[0] ?? "");
      if (!members) throw new ControlError("GET memberships/{list or segment id}");
      return { data: [...members].map(([profile_id, at]) => ({ profile_id, joined_group_at: at })) };
    }
    default:
      return undefined;
  }
}

export async function startKlaviyoFake(options: { port?: number } = {}): Promise<RunningFake> {
  const registry = new TenantRegistry();
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const body = await readBody(request);
        if (url.pathname.startsWith("/_fake/")) {
          try {
            const parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
            const result = control(registry, request.method ?? "GET", url, parsed);
            if (result === undefined) return send(response, 404, { error: `no control route ${request.method} ${url.pathname}` }, {}, "application/json");
            return send(response, 200, result, {}, "application/json");
          } catch (error) {
            if (error instanceof ControlError || error instanceof SyntaxError) return send(response, 400, { error: error.message }, {}, "application/json");
            throw error;
          }
        }
        if (url.pathname === "/oauth/token" && request.method === "POST") return await serveToken(registry, request, body, response);
        if (url.pathname.startsWith("/api/")) return await serveApi(registry, request, url, response);
        send(response, 404, ApiError.notFound().body());
      } catch (error) {
        console.error("klaviyo fake: unhandled error", error);
        if (!response.headersSent) send(response, 500, ApiError.server(500).body());
      }
    })();
  });
  return { name: "klaviyo", port: await listen(server, options.port), hosts: ["a.klaviyo.com"], close: () => stop(server) };
}
