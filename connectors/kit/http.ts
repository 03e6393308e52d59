/**
 * The one HTTP client every connector uses (DESIGN §3, §5): host rules and development overrides, auth with one
 * refresh on 401, retries of transient failures honouring Retry-After, a per-attempt timeout, cancellation, and a
 * request budget. Failures leave it as ConnectorError, classified here once.
 */
import type { AuthProvider } from "./auth";
import { ConnectorError, isConnectorError } from "./errors";
import { type HostPolicy, resolveTarget } from "./host-policy";
import { classifyHttpFailure, redact, redactUrl, redactUrls } from "./http-errors";
import { backoffSeconds } from "./retry";
import { retryDelayInBody } from "./retry-info";

export type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | null | undefined | readonly QueryScalar[];
export type Query = Record<string, QueryValue>;

export interface HttpRequest {
  method?: string;
  /** Absolute URL, or a path joined to the client's `baseUrl` (keeping the base's own path). */
  url: string;
  /** Appended to the URL's own query; arrays repeat the key, null/undefined are dropped. */
  query?: Query;
  /**
   * Appended after `query` exactly as given, never re-encoded: values already in the API's own encoding, such as
   * LinkedIn's Rest.li 2.0 `List(urn%3Ali%3AsponsoredAccount%3A1)` or `(start:(year:2024,month:1,day:1))`, which a
   * form encoder would turn into `%28` and `%253A`. Keys and values must not contain `&`, `#` or whitespace.
   */
  rawQuery?: Record<string, string>;
  headers?: Record<string, string | undefined>;
  json?: unknown;
  form?: Record<string, QueryScalar | undefined>;
  body?: string | ArrayBuffer | Uint8Array;
  /**
   * "json": the body is parsed inside the retry loop, so a truncated body is retried like a dropped connection and
   * `result.json()` cannot fail afterwards.
   */
  expect?: "json";
  /** A check of 2xx answers for this request, asked before the client's own `classifyBody`. */
  classifyBody?: BodyClassifier;
  /** Failure shapes of this request (GraphQL THROTTLED sent as a 429), asked before the client's `classifyError`. */
  classifyError?: ErrorClassifier;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The URL as the connector addressed it (before a development override), to resolve relative links against. */
  url: string;
  text(): string;
  json<T = unknown>(): T;
  /** The body exactly as received, for binary formats. */
  bytes(): Uint8Array;
}

/** A 2xx answer whose body has not been read: the caller reads it as a stream (files, report downloads, JSONL). */
export interface HttpStreamResult {
  /** 200, or 206 for a `Range` request. */
  status: number;
  headers: Headers;
  /** The URL as the connector addressed it (before a development override). */
  url: string;
  /**
   * Pulled from the network as it is read (nothing is buffered ahead). A read that stalls longer than the client's
   * `timeoutMs`, a dropped connection or a cancelled run errors the stream with a retryable ConnectorError, so a
   * reader resumes from its last checkpoint (a byte offset with `Range`). Cancel it to stop early.
   */
  body: ReadableStream<Uint8Array>;
}

export type ErrorClassifier = (status: number, body: string, headers: Headers) => ConnectorError | undefined;

/**
 * Errors that arrive inside a 2xx answer (GraphQL `THROTTLED`, a Google batch error): a ConnectorError is handled
 * like an HTTP failure in the same retry loop, so a retryable one with `retryAfterSeconds` is retried after exactly
 * that wait (or handed to the engine when the wait is longer than `maxWaitSeconds`).
 */
export type BodyClassifier = (result: HttpResult) => ConnectorError | undefined;

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
  /** Counted into as requests go out and bodies arrive (the engine's usage figures; shared like the budget). */
  transfer?: TransferUsage;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Connector-specific failure shapes (Salesforce 403 REQUEST_LIMIT_EXCEEDED, Stripe 429 lock_timeout), asked before
   * the default classification. A retryable answer is retried in process like any other; give it a
   * `retryAfterSeconds` above `maxWaitSeconds` to hand it straight to the engine instead.
   */
  classifyError?: ErrorClassifier;
  /** A check of every 2xx answer of `request` and `getJson` (not of `stream`, whose body is the caller's). */
  classifyBody?: BodyClassifier;
  /** Injectable for tests: the jitter source and the clock used for HTTP-date Retry-After values. */
  random?: () => number;
  now?: () => number;
}

/** Every request sent (each attempt and redirect hop) and the response body bytes received, headers not counted. */
export interface TransferUsage {
  requests: number;
  bytesReceived: number;
}

/** What a connector may change when it derives its own client from the engine's. */
export type HttpClientOverrides = Partial<
  Pick<HttpClientOptions, "baseUrl" | "auth" | "defaultHeaders" | "classifyError" | "classifyBody" | "timeoutMs" | "maxAttempts" | "maxWaitSeconds">
>;

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResult>;
  /** `request` with `expect: "json"`, answering the parsed body. */
  getJson<T = unknown>(req: HttpRequest): Promise<T>;
  /**
   * Like `request` (same retries, classification, auth and host rules; a failure's body is read to classify it),
   * but a 2xx body is handed back unread. A failure while the body is read is the caller's to resume.
   */
  stream(req: HttpRequest): Promise<HttpStreamResult>;
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
  transfer?: TransferUsage;
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
    ...(options.transfer ? { transfer: options.transfer } : {}),
  };
  return clientOf(shared, options);
}

function clientOf(shared: Shared, settings: HttpClientOverrides): HttpClient {
  const client: HttpClient = {
    request: (req) => send(shared, settings, req, "buffer"),
    getJson: async <T>(req: HttpRequest) => (await send(shared, settings, { ...req, expect: "json" }, "buffer")).json<T>(),
    stream: (req) => send(shared, settings, req, "stream"),
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
export function buildUrl(url: string, baseUrl: string | undefined, query: Query | undefined, rawQuery?: Record<string, string>): URL {
  const target = new URL(isAbsolute(url) || !baseUrl ? url : joinPath(baseUrl, url));
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(key, String(item));
  }
  const raw = Object.entries(rawQuery ?? {});
  if (raw.length > 0) {
    for (const [key, value] of raw) {
      if (/[&#\s]/.test(key) || /[&#\s]/.test(value)) throw new ConnectorError("configuration", `raw query parameter ${key} holds &, # or whitespace`);
    }
    // Setting `search` parses the text with the URL query rules, which leave `( ) : , %XX` exactly as written;
    // `searchParams` would re-serialize the whole query as a form.
    const own = target.search.replace(/^\?/, "");
    target.search = [own, ...raw.map(([key, value]) => `${key}=${value}`)].filter(Boolean).join("&");
  }
  return target;
}

/**
 * Adds one parameter without re-serializing the rest of the query (which may hold raw values): for credentials a
 * provider puts in the query string.
 */
export function appendQueryParam(url: URL, name: string, value: string): void {
  // A parameter the URL already has is replaced, as searchParams.set does (a key pasted into base_url as well).
  if (url.searchParams.has(name)) return url.searchParams.set(name, value);
  const own = url.search.replace(/^\?/, "");
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  url.search = own ? `${own}&${pair}` : pair;
}

function isAbsolute(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url);
}

function joinPath(base: string, path: string): string {
  if (!path) return base;
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

type Mode = "buffer" | "stream";

function send(shared: Shared, settings: HttpClientOverrides, req: HttpRequest, mode: "buffer"): Promise<HttpResult>;
function send(shared: Shared, settings: HttpClientOverrides, req: HttpRequest, mode: "stream"): Promise<HttpStreamResult>;
async function send(shared: Shared, settings: HttpClientOverrides, req: HttpRequest, mode: Mode): Promise<HttpResult | HttpStreamResult> {
  const method = (req.method ?? "GET").toUpperCase();
  let logical: URL;
  try {
    logical = buildUrl(req.url, settings.baseUrl, req.query, req.rawQuery);
  } catch (error) {
    if (isConnectorError(error)) throw error;
    throw new ConnectorError("configuration", `not a valid URL: ${redactUrl(req.url)}`);
  }
  const maxAttempts = settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const maxWait = settings.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  const secrets = () => settings.auth?.secretValues() ?? [];
  // Known secret values, and the secret query parameters of any URL a message quotes (an API error body echoing it).
  const scrub = (e: ConnectorError) => new ConnectorError(e.kind, redactUrls(redact(e.message, secrets())), e.details);
  let refreshed = false;

  for (let attempt = 1; ; attempt++) {
    let failure: ConnectorError;
    try {
      const response = await exchange(shared, settings, method, logical, req, mode);
      if (response.status === 401 && settings.auth?.refresh && !refreshed) {
        // One refresh per request (DESIGN §3): a token that expired early gets a second chance, a revoked one does not.
        refreshed = true;
        attempt--;
        await settings.auth.refresh(authTransport(shared, settings));
        continue;
      }
      if (response.status < 300) {
        if (mode === "stream") {
          // A 2xx without a body (204, a HEAD request) still answers a stream, an empty one.
          const body = response.stream ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
          return { status: response.status, headers: response.headers, url: logical.toString(), body };
        }
        const result = resultOf(response, logical);
        if (req.expect === "json") result.json();
        const inBody = req.classifyBody?.(result) ?? settings.classifyBody?.(result);
        if (!inBody) return result;
        failure = inBody;
      } else {
        const body = response.text();
        failure =
          req.classifyError?.(response.status, body, response.headers) ??
          settings.classifyError?.(response.status, body, response.headers) ??
          withRetryHint(classifyHttpFailure(response.status, body, response.headers, logical, shared.now()), body);
      }
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

/** A retryable HTTP failure without Retry-After whose body names a wait (Google's RetryInfo `retryDelay`). */
function withRetryHint(failure: ConnectorError, body: string): ConnectorError {
  if (failure.kind !== "retryable" || failure.details.retryAfterSeconds !== undefined) return failure;
  const hinted = retryDelayInBody(body);
  return hinted === undefined ? failure : new ConnectorError(failure.kind, failure.message, { ...failure.details, retryAfterSeconds: hinted });
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
  const { auth: _auth, classifyError: _classify, classifyBody: _body, baseUrl: _base, defaultHeaders: _headers, ...limits } = settings;
  return clientOf(shared, limits);
}

interface RawResponse {
  status: number;
  headers: Headers;
  /** The whole body, for every answer in buffer mode and for every non-2xx answer in stream mode. */
  bytes: Uint8Array;
  text(): string;
  /** A 2xx body left unread (stream mode). */
  stream?: ReadableStream<Uint8Array>;
}

/** One attempt, following redirects by hand so that every hop passes the host rules again. */
async function exchange(shared: Shared, settings: HttpClientOverrides, method: string, logical: URL, req: HttpRequest, mode: Mode): Promise<RawResponse> {
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
    if (shared.transfer) shared.transfer.requests++;
    const headers = new Headers();
    for (const [k, v] of Object.entries({ accept: "application/json", ...settings.defaultHeaders, ...req.headers })) {
      if (v !== undefined) headers.set(k, v);
    }
    const body = withBody ? requestBody(req, headers) : undefined;
    // Credentials go only to the origin the connector addressed, never to wherever a redirect points.
    if (settings.auth && current.origin === logical.origin) {
      const transport = authTransport(shared, settings);
      await settings.auth.apply({ url: target, headers }, transport);
      // Signed over the production URL: the fake behind an override checks what AWS would.
      await settings.auth.sign?.({ method: currentMethod, url: current, headers, body: signableBody(body) }, transport);
    }
    // Development only (overrides apply nowhere else): the fake learns which shop, bucket or datacenter was addressed.
    if (target.host !== current.host) headers.set("x-forwarded-host", current.host);
    const init = { method: currentMethod, headers, ...(body === undefined ? {} : { body }) };
    const response = await fetchOnce(shared, settings, target, init, logical, mode);
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

function requestBody(req: HttpRequest, headers: Headers): string | ArrayBuffer | Uint8Array | undefined {
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

function signableBody(body: string | ArrayBuffer | Uint8Array | undefined): string | Uint8Array | undefined {
  return body instanceof ArrayBuffer ? new Uint8Array(body) : body;
}

async function fetchOnce(shared: Shared, settings: HttpClientOverrides, target: URL, init: RequestInit, logical: URL, mode: Mode): Promise<RawResponse> {
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
  let handedOver = false;
  try {
    const response = await shared.fetch(target.toString(), { ...init, redirect: "manual", signal: controller.signal });
    if (mode === "stream" && response.status >= 200 && response.status < 300 && response.body) {
      clearTimeout(timer);
      handedOver = true;
      const release = () => shared.signal?.removeEventListener("abort", cancel);
      const stream = guardedBody(response.body, { shared, controller, timeoutMs, where, logical, release });
      return { status: response.status, headers: response.headers, bytes: new Uint8Array(0), text: () => "", stream };
    }
    // The body is read inside the timeout too: a server that stalls mid-body is as stuck as one that never answers.
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (shared.transfer) shared.transfer.bytesReceived += bytes.byteLength;
    let text: string | undefined;
    return { status: response.status, headers: response.headers, bytes, text: () => (text ??= new TextDecoder().decode(bytes)) };
  } catch (error) {
    if (shared.signal?.aborted) throw finalError(`request to ${where} cancelled`, logical);
    if (timedOut) throw new ConnectorError("retryable", `request to ${where} timed out after ${timeoutMs / 1000} s`, details);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectorError("retryable", `network error calling ${where}: ${reason}`, details);
  } finally {
    if (!handedOver) {
      clearTimeout(timer);
      shared.signal?.removeEventListener("abort", cancel);
    }
  }
}

/**
 * A 2xx body pulled only as fast as its reader asks (highWaterMark 0: no chunk is fetched ahead), with the
 * per-attempt timeout applied to each wait for a chunk, and every failure turned into a retryable ConnectorError.
 */
function guardedBody(
  source: ReadableStream<Uint8Array>,
  context: { shared: Shared; controller: AbortController; timeoutMs: number; where: string; logical: URL; release: () => void },
): ReadableStream<Uint8Array> {
  const { shared, controller, timeoutMs, where, logical, release } = context;
  const reader = source.getReader();
  const details = { url: `${logical.origin}${logical.pathname}` };
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    release();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        let onAbort: (() => void) | undefined;
        const interrupted = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new ConnectorError("retryable", `the body from ${where} stalled for ${timeoutMs / 1000} s`, details)), timeoutMs);
          onAbort = () => reject(finalError(`request to ${where} cancelled`, logical));
          if (shared.signal?.aborted) onAbort();
          shared.signal?.addEventListener("abort", onAbort);
        });
        try {
          const { done, value } = await Promise.race([reader.read(), interrupted]);
          if (done) {
            finish();
            out.close();
          } else {
            if (shared.transfer) shared.transfer.bytesReceived += value.byteLength;
            out.enqueue(value);
          }
        } catch (error) {
          finish();
          controller.abort();
          reader.cancel().catch(() => {});
          const reason = error instanceof Error ? error.message : String(error);
          out.error(isConnectorError(error) ? error : new ConnectorError("retryable", `connection to ${where} lost while reading the body: ${reason}`, details));
        } finally {
          clearTimeout(timer);
          if (onAbort) shared.signal?.removeEventListener("abort", onAbort);
        }
      },
      async cancel(reason) {
        finish();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

function resultOf(response: RawResponse, logical: URL): HttpResult {
  let parsed: { value: unknown } | undefined;
  return {
    status: response.status,
    headers: response.headers,
    url: logical.toString(),
    text: () => response.text(),
    bytes: () => response.bytes,
    json: <T>() => {
      parsed ??= { value: parseBody(response, logical) };
      return parsed.value as T;
    },
  };
}

function parseBody(response: RawResponse, logical: URL): unknown {
  if (response.status === 204 || response.status === 205) return null;
  try {
    return JSON.parse(response.text()) as unknown;
  } catch {
    // A 2xx with a broken body is almost always a connection cut mid-transfer, so it is retryable: getJson retries
    // it in process, and a caller of `request().json()` hands it to the engine, which re-queues the chunk.
    throw new ConnectorError("retryable", `malformed JSON from ${logical.host}${logical.pathname} (${response.text().length} bytes)`, {
      status: response.status,
      url: `${logical.origin}${logical.pathname}`,
    });
  }
}
