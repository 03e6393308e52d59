/**
 * A fake of the Stripe API (api.stripe.com) for offline tests, on node:http. It answers the `stripe` npm client as
 * well as plain fetch: auth, versioning headers, list envelopes and cursors, filters, events, error bodies and
 * injected faults follow the API's documented wire behaviour (see README.md and research/connectors-saas.md §3).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, queryObject, readBody, stop } from "../shared/http";
import { BASE62 } from "../shared/prng";
import { handleApi, objectForPath } from "./api";
import { authenticate, invalidKey, redactKey } from "./auth";
import { handleControl } from "./control";
import { ACCOUNT_API_VERSION } from "./dataset";
import { ApiFailure, ControlError, errorBody, invalidRequest, unrecognizedUrl } from "./errors";
import { parseParams } from "./params";
import type { LoggedRequest, Tenant } from "./tenants";
import { TenantRegistry } from "./tenants";

const requestId = () => `req_${[...randomBytes(14)].map((byte) => BASE62[byte % 62]).join("")}`;

/** `2025-09-30.clover`, or an older bare date; beta headers append `; feature=v1`. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?(;\s*[\w.-]+=[\w.-]+)*$/;
const ACCOUNT_HEADER = /^acct_[A-Za-z0-9]+$/;

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>) {
  // Stripe pretty-prints its JSON with two-space indentation.
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-cache, no-store",
    ...headers,
  });
  response.end(text);
}

function sendFailure(response: ServerResponse, failure: ApiFailure, id: string, now: number, headers: Record<string, string>) {
  send(response, failure.status, errorBody(failure.fields, id, now), { ...headers, ...failure.headers });
}

interface Exchange {
  request: IncomingMessage;
  url: URL;
  body: string;
  id: string;
}

function serveApi(registry: TenantRegistry, exchange: Exchange, response: ServerResponse) {
  const { request, url, id } = exchange;
  const method = request.method ?? "GET";
  const version = headerValue(request, "stripe-version");
  const account = headerValue(request, "stripe-account");
  const headers: Record<string, string> = { "Request-Id": id, "Stripe-Version": version ?? ACCOUNT_API_VERSION };
  if (account) headers["Stripe-Account"] = account;
  let tenant: Tenant | undefined;
  let entry: LoggedRequest | undefined;
  try {
    const credentials = authenticate(headerValue(request, "authorization"));
    tenant = registry.get(credentials.tenant);
    entry = {
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      headers: lowercaseHeaders(request),
      body: exchange.body,
      status: 0,
      request_id: id,
    };
    tenant.log.push(entry);
    if (tenant.faults.settings.revoke_key) throw invalidKey(credentials.key);
    const fault = tenant.faults.next(url.pathname);
    if (fault) throw tenant.faults.failure(fault, redactKey(credentials.key));
    if (version !== undefined && !API_VERSION.test(version)) {
      throw invalidRequest(`Invalid Stripe API version: ${version}`, { param: "Stripe-Version" });
    }
    if (account !== undefined && !ACCOUNT_HEADER.test(account)) {
      // (verify) the code; the message is the one Connect platforms see for an account they cannot reach.
      throw invalidRequest(
        `The provided key '${redactKey(credentials.key)}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
        { code: "account_invalid", status: 403 },
      );
    }
    const dataset = tenant.dataset(account);
    const object = objectForPath(url.pathname);
    if (credentials.restricted && object && object !== "events" && tenant.faults.settings.forbid?.includes(object)) {
      const permission = `rak_${object.replace(/s$/, "")}_read`;
      throw invalidRequest(
        `The provided key '${redactKey(credentials.key)}' does not have the required permissions for this endpoint on account '${dataset.accountId}'. Having the '${permission}' permission would allow this request to continue.`,
        { status: 403 },
      );
    }
    const params = parseParams(url.searchParams);
    const body = handleApi(dataset, method, url.pathname, params);
    entry.status = 200;
    send(response, 200, body, headers);
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    if (entry) entry.status = error.status;
    sendFailure(response, error, id, tenant?.now() ?? Math.floor(Date.now() / 1000), headers);
  }
}

function serveControl(registry: TenantRegistry, exchange: Exchange, response: ServerResponse) {
  const { request, url } = exchange;
  let body: Record<string, unknown> = {};
  try {
    if (exchange.body.trim() !== "") {
      const parsed: unknown = JSON.parse(exchange.body);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ControlError("body must be a JSON object");
      body = parsed as Record<string, unknown>;
    }
    const segments = url.pathname.slice("/_fake/".length).split("/").filter((segment) => segment !== "");
    const result = handleControl(registry, request.method ?? "GET", segments, url.searchParams, body, exchange.id);
    send(response, result.status, result.body, {});
  } catch (error) {
    if (error instanceof ControlError || error instanceof SyntaxError) {
      send(response, 400, { error: error.message }, {});
      return;
    }
    throw error;
  }
}

export async function startStripeFake(options: { port?: number } = {}): Promise<RunningFake> {
  const registry = new TenantRegistry();
  const server = createServer((request, response) => {
    void (async () => {
      const id = requestId();
      try {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const exchange: Exchange = { request, url, body: await readBody(request), id };
        if (url.pathname.startsWith("/_fake/")) serveControl(registry, exchange, response);
        else if (url.pathname.startsWith("/v1/")) serveApi(registry, exchange, response);
        else sendFailure(response, unrecognizedUrl(request.method ?? "GET", url.pathname), id, Math.floor(Date.now() / 1000), { "Request-Id": id });
      } catch (error) {
        // A bug in the fake: answer like Stripe's 500 so a client sees an api_error, and keep the server alive.
        console.error("stripe fake: unhandled error", error);
        if (!response.headersSent) {
          send(response, 500, errorBody({ type: "api_error", message: String(error) }, id, Math.floor(Date.now() / 1000)), {
            "Request-Id": id,
          });
        }
      }
    })();
  });
  return { name: "stripe", port: await listen(server, options.port), hosts: ["api.stripe.com"], close: () => stop(server) };
}
