/**
 * A fake of HubSpot's CRM API (api.hubapi.com) for offline tests: tenancy by bearer token, seeded data,
 * injectable faults, and a request log per tenant. The contract is in README.md next to this file.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, queryObject, readBody, stop } from "../shared/http";
import { associationsApi } from "./associations-api";
import { authenticate, tokenRequest, type TokenStore } from "./auth";
import type { RouteContext } from "./context";
import { control } from "./control";
import { notFound } from "./errors";
import { injectedFault, rateLimitHeaders, recordRequest } from "./faults";
import { parseBody, send, type Reply } from "./http-util";
import { objectsApi } from "./objects-api";
import { ownersApi } from "./owners-api";
import { parseApiPath, type ApiName } from "./paths";
import { pipelinesApi, propertiesApi } from "./schema-api";
import { ANONYMOUS_TENANT, createTenantRegistry, type LoggedRequest, type Tenant, type TenantRegistry } from "./tenants";

export { FAKE_CLIENT_ID, FAKE_CLIENT_SECRET } from "./auth";
export { DEFAULT_COUNTS } from "./dataset";

const APIS: Readonly<Record<ApiName, (ctx: RouteContext, rest: readonly string[]) => Reply>> = {
  objects: objectsApi,
  owners: ownersApi,
  properties: propertiesApi,
  pipelines: pipelinesApi,
  associations: associationsApi,
};

const TOKEN_PATHS: Readonly<Record<string, string>> = { "/oauth/v1/token": "v1", "/oauth/v3/token": "v3" };

interface FakeState {
  tenants: TenantRegistry;
  tokens: TokenStore;
}

interface Handled {
  tenant: Tenant | null;
  reply: Reply;
}

function tokenEndpoint(state: FakeState, req: IncomingMessage, raw: string, now: number): Handled {
  if (req.method !== "POST") return { tenant: null, reply: notFound() };
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  // The endpoint reads form fields only; a JSON body leaves every field missing, as with HubSpot.
  const form = contentType === "application/x-www-form-urlencoded" ? Object.fromEntries(new URLSearchParams(raw)) : {};
  const { tenant, reply } = tokenRequest(state.tokens, form, now);
  return { tenant: tenant === null ? null : state.tenants.get(tenant), reply };
}

function crmApi(state: FakeState, req: IncomingMessage, url: URL, raw: string, now: number): Handled {
  const auth = authenticate(state.tokens, req.headers.authorization, now);
  if (!auth.ok) return { tenant: auth.tenant === null ? null : state.tenants.get(auth.tenant), reply: auth.reply };
  const tenant = state.tenants.get(auth.credential.tenant);
  const route = parseApiPath(url.pathname);
  const ctx: RouteContext = {
    tenant,
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    rawBody: raw,
    now,
  };
  const reply =
    recordRequest(tenant.window, tenant.faults, now) ??
    injectedFault(tenant.faults, url.pathname) ??
    (route ? APIS[route.api](ctx, route.rest) : notFound());
  const limits = rateLimitHeaders(tenant.window, tenant.faults, auth.credential.kind === "oauth");
  reply.headers = { ...limits, ...reply.headers };
  return { tenant, reply };
}

async function handle(state: FakeState, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  const raw = await readBody(req);
  const now = Date.now();
  if (url.pathname.startsWith("/_fake/")) return control(state, req.method ?? "GET", url.pathname, raw, now);
  const tokenVersion = TOKEN_PATHS[url.pathname];
  const { tenant, reply } =
    tokenVersion !== undefined ? tokenEndpoint(state, req, raw, now) : crmApi(state, req, url, raw, now);
  const entry: LoggedRequest = {
    method: req.method ?? "GET",
    path: url.pathname,
    query: queryObject(url.searchParams),
    headers: lowercaseHeaders(req),
    body: parseBody(raw, req.headers["content-type"]),
    api_version: tokenVersion ?? parseApiPath(url.pathname)?.version ?? null,
    status: reply.status,
  };
  (tenant ?? state.tenants.get(ANONYMOUS_TENANT)).log.push(entry);
  return reply;
}

export async function startHubSpotFake(options: { port?: number } = {}): Promise<RunningFake> {
  const state: FakeState = { tenants: createTenantRegistry(), tokens: new Map() };
  const server = createServer((req, res) => {
    handle(state, req).then(
      (reply) => send(res, reply),
      (error: unknown) => send(res, { status: 500, body: { status: "error", message: `fake bug: ${String(error)}` } }),
    );
  });
  const port = await listen(server, options.port ?? 0);
  return {
    name: "hubspot",
    port,
    hosts: ["api.hubapi.com"],
    close: () => stop(server),
  };
}
