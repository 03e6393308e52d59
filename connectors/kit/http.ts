/**
 * The one HTTP client every connector uses (DESIGN §3, §5): host rules and development overrides, auth with one
 * refresh on 401, retries of transient failures honouring Retry-After, a per-attempt timeout, cancellation, and a
 * request budget. Failures leave it as ConnectorError, classified here once.
 */
import type { AuthProvider } from "./auth";
import { ConnectorError, isConnectorError } from "./errors";
import { type HostPolicy, resolveTarget } from "./host-policy";
import { classifyHttpFailure, redact } from "./http-errors";
import { backoffSeconds } from "./retry";

export type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | null | undefined | readonly QueryScalar[];
export type Query = Record<string, QueryValue>;

export interface HttpRequest {
  method?: string;
  /** Absolute URL, or a path joined to the client's `baseUrl` (keeping the base's own path). */
  url: string;
  /** Appended to the URL's own query; arrays repeat the key, null/undefined are dropped. */
  query?: Query;
  headers?: Record<string, string | undefined>;
  json?: unknown;
  form?: Record<string, QueryScalar | undefined>;
  body?: string | ArrayBuffer | Uint8Array;
  /**
   * "json": the body is parsed inside the retry loop, so a truncated body is retried like a dropped connection and
   * `result.json()` cannot fail afterwards.
   */
  expect?: "json";
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The URL as the connector addressed it (before a development override), to resolve relative links against. */
  url: string;
  text(): string;
  json<T = unknown>(): T;
}

export type ErrorClassifier = (status: number, body: string, headers: Headers) => ConnectorError | undefined;

export interface HttpClientOptions {
  fetch?: typeof fetch;
  baseUrl?: string;
  hostOverrides?: Record<string, string>;
  development: boolean;
  auth?: AuthProvider;
  defaultHeaders?: Record<string, string>;
  /** Per attempt, until the whole body has arrived. */
  timeoutMs?: number;
  maxAttempts?: number;
  /** The longest single in-process wait; a longer Retry-After ends the chunk so the engine re-queues it with a delay. */
  maxWaitSeconds?: number;
  /** Requests allowed over this client's life (shared with every client derived by `extend`). */
  requestBudget?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Connector-specific failure shapes (Salesforce 403 REQUEST_LIMIT_EXCEEDED, Stripe 429 lock_timeout), asked before
   * the default classification. A retryable answer is retried in process like any other; give it a
   * `retryAfterSeconds` above `maxWaitSeconds` to hand it straight to the engine instead.
   */
  classifyError?: ErrorClassifier;
  /** Injectable for tests: the jitter source and the clock used for HTTP-date Retry-After values. */
  random?: () => number;
  now?: () => number;
}

/** What a connector may change when it derives its own client from the engine's. */
export type HttpClientOverrides = Partial<
  Pick<HttpClientOptions, "baseUrl" | "auth" | "defaultHeaders" | "classifyError" | "timeoutMs" | "maxAttempts" | "maxWaitSeconds">
>;

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResult>;
  /** `request` with `expect: "json"`, answering the parsed body. */
  getJson<T = unknown>(req: HttpRequest): Promise<T>;
  /** A client with the same transport, policy, signal and budget; `defaultHeaders` merge, the rest replace. */
  extend(overrides: HttpClientOverrides): HttpClient;
  /** Requests sent so far by this client and every client sharing its budget. */
  readonly requestsSent: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_MAX_WAIT_SECONDS = 30;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Shared {
  fetch: typeof fetch;
  policy: HostPolicy;
  signal?: AbortSignal;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  budget: number;
  sent: number;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const shared: Shared = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    // URL.host is always lower case, so the keys must be too.
    policy: {
      development: options.development,
      hostOverrides: Object.fromEntries(Object.entries(options.hostOverrides ?? {}).map(([host, base]) => [host.toLowerCase(), base])),
    },
    ...(options.signal ? { signal: options.signal } : {}),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    budget: options.requestBudget ?? Number.POSITIVE_INFINITY,
    sent: 0,
  };
  return clientOf(shared, options);
}

function clientOf(shared: Shared, settings: HttpClientOverrides): HttpClient {
  const client: HttpClient = {
    request: (req) => send(shared, settings, req),
    getJson: async <T>(req: HttpRequest) => (await send(shared, settings, { ...req, expect: "json" })).json<T>(),
    extend: (overrides) =>
      clientOf(shared, {
        ...settings,
        ...overrides,
        defaultHeaders: { ...settings.defaultHeaders, ...overrides.defaultHeaders },
      }),
    get requestsSent() {
      return shared.sent;
    },
  };
  return client;
}

/** Adds the query to a URL string; exported for paginators and connectors that build links themselves. */
export function buildUrl(url: string, baseUrl: string | undefined, query: Query | undefined): URL {
  const target = new URL(isAbsolute(url) || !baseUrl ? url : joinPath(baseUrl, url));
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(key, String(item));
  }
  return target;
}

function isAbsolute(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url);
}

function joinPath(base: string, path: string): string {
  if (!path) return base;
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

async function send(shared: Shared, settings: HttpClientOverrides, req: HttpRequest): Promise<HttpResult> {
  const method = (req.method ?? "GET").toUpperCase();
  let logical: URL;
  try {
    logical = buildUrl(req.url, settings.baseUrl, req.query);
  } catch {
    throw new ConnectorError("configuration", `not a valid URL: ${req.url}`);
  }
  const maxAttempts = settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const maxWait = settings.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  const secrets = () => settings.auth?.secretValues() ?? [];
  const scrub = (e: ConnectorError) => new ConnectorError(e.kind, redact(e.message, secrets()), e.details);
  let refreshed = false;

  for (let attempt = 1; ; attempt++) {
    let failure: ConnectorError;
    try {
      const response = await exchange(shared, settings, method, logical, req);
      if (response.status === 401 && settings.auth?.refresh && !refreshed) {
        // One refresh per request (DESIGN §3): a token that expired early gets a second chance, a revoked one does not.
        refreshed = true;
        attempt--;
        await settings.auth.refresh(authTransport(shared, settings));
        continue;
      }
      if (response.status < 300) {
        const result = resultOf(response, logical);
        if (req.expect === "json") result.json();
        return result;
      }
      failure =
        settings.classifyError?.(response.status, response.body, response.headers) ??
        classifyHttpFailure(response.status, response.body, response.headers, logical, shared.now());
    } catch (error) {
      if (!isConnectorError(error)) throw error;
      failure = error;
    }
    if (failure.kind !== "retryable") throw scrub(failure);
    if (isFinal(failure)) throw markFinal(scrub(failure));

    const waitSeconds = failure.details.retryAfterSeconds ?? backoffSeconds(attempt, shared.random);
    const details = { ...failure.details, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)) };
    if (attempt >= maxAttempts) {
      throw markFinal(scrub(new ConnectorError("retryable", `${failure.message} (gave up after ${attempt} attempts)`, details)));
    }
    if (waitSeconds > maxWait) {
      throw markFinal(scrub(new ConnectorError("retryable", `${failure.message} (asked to wait ${Math.ceil(waitSeconds)} s)`, details)));
    }
    await shared.sleep(Math.round(waitSeconds * 1000));
    throwIfCancelled(shared, logical);
  }
}

/**
 * Retryable failures that another in-process attempt must not repeat: cancellation, a spent budget, and a failure
 * whose retries are already used up (a token request inside a request would otherwise multiply the attempts).
 */
const FINAL = new WeakSet<ConnectorError>();
export function markFinal(error: ConnectorError): ConnectorError {
  FINAL.add(error);
  return error;
}
function finalError(message: string, url: URL): ConnectorError {
  return markFinal(new ConnectorError("retryable", message, { url: `${url.origin}${url.pathname}` }));
}
function isFinal(error: ConnectorError): boolean {
  return FINAL.has(error);
}

function throwIfCancelled(shared: Shared, url: URL): void {
  // Cancellation is the engine's decision and it knows why; "retryable" only tells it the data is still unread.
  if (shared.signal?.aborted) throw finalError(`request to ${url.host}${url.pathname} cancelled`, url);
}

/**
 * The client a token endpoint is called with: same transport, limits and budget, but none of the API's own
 * settings — no auth (it would recurse), base URL, headers or error shapes, since a token endpoint is another API.
 */
function authTransport(shared: Shared, settings: HttpClientOverrides): HttpClient {
  const { auth: _auth, classifyError: _classify, baseUrl: _base, defaultHeaders: _headers, ...limits } = settings;
  return clientOf(shared, limits);
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** One attempt, following redirects by hand so that every hop passes the host rules again. */
async function exchange(shared: Shared, settings: HttpClientOverrides, method: string, logical: URL, req: HttpRequest): Promise<RawResponse> {
  let current = logical;
  let currentMethod = method;
  let withBody = true;
  for (let hop = 0; ; hop++) {
    throwIfCancelled(shared, logical);
    // A copy: query-string credentials are added to it, and must not leak into the URL the connector sees.
    const target = new URL(resolveTarget(current, shared.policy));
    if (shared.sent >= shared.budget) {
      throw finalError(`request budget of ${shared.budget} requests is spent; the read continues in the next chunk`, logical);
    }
    shared.sent++;
    const headers = new Headers();
    for (const [k, v] of Object.entries({ accept: "application/json", ...settings.defaultHeaders, ...req.headers })) {
      if (v !== undefined) headers.set(k, v);
    }
    const body = withBody ? requestBody(req, headers) : undefined;
    // Credentials go only to the origin the connector addressed, never to wherever a redirect points.
    if (settings.auth && current.origin === logical.origin) {
      await settings.auth.apply({ url: target, headers }, authTransport(shared, settings));
    }
    const init = { method: currentMethod, headers, ...(body === undefined ? {} : { body }) };
    const response = await fetchOnce(shared, settings, target, init, logical);
    const location = response.headers.get("location");
    if (REDIRECTS.has(response.status) && location && hop < MAX_REDIRECTS) {
      current = new URL(location, current);
      // RFC 9110 §15.4: 303 always, and 301/302 after a POST (as every browser does), continue as a GET without body.
      if (response.status === 303 || (currentMethod === "POST" && response.status !== 307 && response.status !== 308)) {
        currentMethod = "GET";
        withBody = false;
      }
      continue;
    }
    return response;
  }
}

function requestBody(req: HttpRequest, headers: Headers): BodyInit | undefined {
  if (req.json !== undefined) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return JSON.stringify(req.json);
  }
  if (req.form !== undefined) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.append(k, String(v));
    if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded");
    return form.toString();
  }
  return req.body;
}

async function fetchOnce(shared: Shared, settings: HttpClientOverrides, target: URL, init: RequestInit, logical: URL): Promise<RawResponse> {
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const cancel = () => controller.abort();
  shared.signal?.addEventListener("abort", cancel);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const where = `${logical.host}${logical.pathname}`;
  const details = { url: `${logical.origin}${logical.pathname}` };
  try {
    const response = await shared.fetch(target.toString(), { ...init, redirect: "manual", signal: controller.signal });
    // The body is read inside the timeout too: a server that stalls mid-body is as stuck as one that never answers.
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (shared.signal?.aborted) throw finalError(`request to ${where} cancelled`, logical);
    if (timedOut) throw new ConnectorError("retryable", `request to ${where} timed out after ${timeoutMs / 1000} s`, details);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectorError("retryable", `network error calling ${where}: ${reason}`, details);
  } finally {
    clearTimeout(timer);
    shared.signal?.removeEventListener("abort", cancel);
  }
}

function resultOf(response: RawResponse, logical: URL): HttpResult {
  let parsed: { value: unknown } | undefined;
  return {
    status: response.status,
    headers: response.headers,
    url: logical.toString(),
    text: () => response.body,
    json: <T>() => {
      parsed ??= { value: parseBody(response, logical) };
      return parsed.value as T;
    },
  };
}

function parseBody(response: RawResponse, logical: URL): unknown {
  if (response.status === 204 || response.status === 205) return null;
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    // A 2xx with a broken body is almost always a connection cut mid-transfer, so it is retryable: getJson retries
    // it in process, and a caller of `request().json()` hands it to the engine, which re-queues the chunk.
    throw new ConnectorError("retryable", `malformed JSON from ${logical.host}${logical.pathname} (${response.body.length} bytes)`, {
      status: response.status,
      url: `${logical.origin}${logical.pathname}`,
    });
  }
}
