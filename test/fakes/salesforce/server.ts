/**
 * A fake of the Salesforce REST API (OAuth refresh flow, versions, describe, SOQL query/queryAll with
 * cursors, limits, replication resources) for offline tests, plus a control API for tests. See README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { routeApi } from "./api";
import { admit, limitInfoHeader, serverError } from "./auth";
import { controlRequest } from "./control";
import { type FakeResponse, notFound } from "./http";
import { identityEndpoint } from "./identity";
import { revokeEndpoint, tokenEndpoint } from "./oauth";
import { type LogEntry, type Tenant, type TenantRegistry, createTenantRegistry } from "./tenants";
import { isSupportedVersion, versionsList } from "./versions";

const HOSTS = ["login.salesforce.com", "test.salesforce.com", "mycompany.my.salesforce.com", "mycompany.salesforce.com"];
const VERSIONED = /^\/services\/data\/v(\d+\.\d+)(\/.*)?$/;

interface Routed {
  tenant?: Tenant;
  response: FakeResponse;
  apiVersion: string | null;
}

function send(res: ServerResponse, response: FakeResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  if (response.text !== undefined) {
    headers["content-type"] = "text/plain;charset=UTF-8";
    res.writeHead(response.status, headers).end(response.text);
    return;
  }
  if (response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  const payload = JSON.stringify(response.body);
  headers["content-type"] = "application/json;charset=UTF-8";
  res.writeHead(response.status, headers).end(payload);
}

function route(registry: TenantRegistry, method: string, url: URL, headers: Record<string, string>, body: string): Routed {
  const path = url.pathname;
  if (path === "/services/oauth2/token") return { ...tokenEndpoint(registry, method, headers, body), apiVersion: null };
  if (path === "/services/oauth2/revoke") return { ...revokeEndpoint(registry, method, body), apiVersion: null };
  if (path.startsWith("/id/") && method === "GET") {
    return { ...identityEndpoint(registry, path.split("/").slice(2), url.searchParams, headers), apiVersion: null };
  }
  // The versions list needs no session and does not count against the allocation.
  if (path === "/services/data" || path === "/services/data/") {
    return { response: method === "GET" ? { status: 200, body: versionsList() } : notFound(), apiVersion: null };
  }
  const versioned = VERSIONED.exec(path);
  if (!versioned?.[1]) return { response: notFound(), apiVersion: null };
  const apiVersion = versioned[1];
  const { tenant, refusal } = admit(registry, headers);
  if (!tenant || refusal) return { tenant, response: refusal ?? notFound(), apiVersion };
  if (!isSupportedVersion(apiVersion)) return { tenant, response: notFound(), apiVersion };
  const segments = (versioned[2] ?? "").split("/").filter(Boolean).map(decodeURIComponent);
  const response = routeApi(tenant, { method, version: apiVersion, segments, params: url.searchParams, headers });
  return { tenant, response, apiVersion };
}

async function handle(registry: TenantRegistry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  if (url.pathname.startsWith("/_fake/")) {
    send(res, controlRequest(registry, method, url.pathname.slice("/_fake/".length).split("/").filter(Boolean), body));
    return;
  }
  const headers = lowercaseHeaders(req);
  let routed: Routed;
  try {
    routed = route(registry, method, url, headers, body);
  } catch (error) {
    console.error("salesforce fake: unhandled error", error);
    routed = { response: serverError(), apiVersion: null };
  }
  const { tenant, response, apiVersion } = routed;
  // Every REST API response an org answers carries its rolling 24-hour usage.
  if (tenant && apiVersion !== null) response.headers = { ...response.headers, "sforce-limit-info": limitInfoHeader(tenant) };
  const entry: LogEntry = {
    at: new Date().toISOString(),
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: body === "" ? null : body,
    api_version: apiVersion,
    status: response.status,
  };
  (tenant ? tenant.log : registry.unattributed).push(entry);
  send(res, response);
}

export async function startSalesforceFake(options: { port?: number } = {}): Promise<RunningFake> {
  const registry = createTenantRegistry();
  const server = createServer((req, res) => {
    handle(registry, req, res).catch((error: unknown) => {
      console.error("salesforce fake: request failed", error);
      if (!res.headersSent) send(res, serverError());
    });
  });
  return { name: "salesforce", port: await listen(server, options.port), hosts: HOSTS, close: () => stop(server) };
}
