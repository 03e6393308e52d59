/**
 * A fake of a generic JSON REST API for the `rest_api` connector, the engine tests, the README walk-through and the
 * throughput benchmark. Plain node:http and erasable TypeScript only, so Node 24 runs it directly (see cli.ts).
 * The contract is README.md beside this file.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, stop } from "../shared/http";
import { challenge, isAuthorized } from "./auth";
import { controlActions } from "./control";
import { errorReply, HttpError, readJsonObject, send, type Reply } from "./http";
import { listStyles } from "./list-styles";
import { type Tenant, Tenants } from "./tenant";

export const REST_API_FAKE_NAME = "rest-api";
export const REST_API_HOSTS = ["api.example.com"];

const ROUTE = /^\/t\/([A-Za-z0-9_-]{1,64})\/(.+)$/;
const CONTROL_PREFIX = "_control/";
const LIST_ROUTE = /^([a-z-]+)\/items$/;

export interface FakeRestApiOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to loopback only. */
  host?: string;
}

export async function startFakeRestApi(options: FakeRestApiOptions = {}): Promise<RunningFake> {
  const tenants = new Tenants();
  const server = createServer((req, res) => {
    handle(tenants, req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return send(res, errorReply(error.status, error.message));
      console.error("[rest-api fake]", error);
      send(res, errorReply(500, "the fake server itself failed; see its console"));
    });
  });
  const port = await listen(server, options.port, options.host);
  return { name: REST_API_FAKE_NAME, port, hosts: REST_API_HOSTS, close: () => stop(server) };
}

async function handle(tenants: Tenants, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  const route = ROUTE.exec(url.pathname);
  if (!route?.[1] || !route[2]) return send(res, errorReply(404, "not found: every route is under /t/{tenant}/"));
  const tenant = tenants.get(route[1]);
  const rest = route[2];
  if (rest.startsWith(CONTROL_PREFIX)) return control(tenant, rest.slice(CONTROL_PREFIX.length), req, res);
  return list(tenant, rest, url, req, res);
}

async function control(tenant: Tenant, action: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const handler = controlActions[method]?.[action];
  if (!handler) {
    const allowed = Object.keys(controlActions).filter((name) => controlActions[name]?.[action]);
    if (allowed.length === 0) return send(res, errorReply(404, `unknown control action: ${action}`));
    return send(res, errorReply(405, "method not allowed", { allow: allowed.join(", ") }));
  }
  const body = method === "POST" ? await readJsonObject(req) : {};
  send(res, handler(tenant, body));
}

async function list(tenant: Tenant, rest: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = lowercaseHeaders(req);
  tenant.record({
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
  });
  const style = listStyles[LIST_ROUTE.exec(rest)?.[1] ?? ""];
  if (!style) return send(res, errorReply(404, "not found"));
  if (req.method !== "GET") return send(res, errorReply(405, "method not allowed", { allow: "GET" }));
  const { faults } = tenant;
  // A slow API is slow to refuse too: a test that needs a request in flight (a PUT landing while a run still holds
  // old credentials) gets it for a refused request as well.
  if (faults.config.slow_ms > 0 && (await clientLeftDuring(faults.config.slow_ms, res))) return;
  if (!isAuthorized(tenant.auth, { headers, query: url.searchParams })) {
    return send(res, errorReply(401, "unauthorized", challenge(tenant.auth)));
  }

  const fault = faults.next();
  if (fault?.kind === "reset") {
    // A connection reset: the socket goes away with no status line at all.
    req.socket.destroy();
    return;
  }
  if (fault?.kind === "status") {
    const said = fault.status === 429 ? "rate limited" : "injected failure";
    const message = faults.config.echo_url ? `${said} for ${req.method ?? "GET"} ${selfUrl(url, headers)}` : said;
    return send(res, errorReply(fault.status, message, faults.retryAfterHeader(fault.status)));
  }

  const reply: Reply = style({ dataset: tenant.dataset, query: url.searchParams, url: selfUrl(url, headers) });
  // Malformed: a 200 whose JSON stops halfway; the Content-Length matches, so only parsing can notice.
  if (fault?.kind === "malformed") reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));
  send(res, reply);
}

/**
 * The request's absolute URL as the client addressed it (Host header), for next links. A production host the fake
 * stands in for gets https, as the real API would answer; a loopback address gets http.
 */
function selfUrl(url: URL, headers: Record<string, string>): URL {
  const host = headers.host ?? url.host;
  const forwarded = headers["x-forwarded-proto"]?.split(",")[0]?.trim();
  const scheme = forwarded ?? (REST_API_HOSTS.includes(host.replace(/:\d+$/, "")) ? "https" : "http");
  try {
    return new URL(`${scheme}://${host}${url.pathname}${url.search}`);
  } catch {
    throw new HttpError(400, "invalid Host header");
  }
}

/** Waits `ms`; true if the client hung up meanwhile (then there is no one left to answer). */
function clientLeftDuring(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(false);
    }, ms);
    function onClose() {
      clearTimeout(timer);
      resolve(true);
    }
    res.once("close", onClose);
  });
}
