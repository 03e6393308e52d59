/**
 * A fake of the Shopify Admin GraphQL API for offline tests, on node:http. One server serves every shop: the shop is
 * the left-most label of the addressed host (`X-Forwarded-Host: <shop>.myshopify.com`, sent by the kit's client
 * under HOST_OVERRIDES). Bulk operation results are served on storage.googleapis.com as Shopify's are. README.md is
 * its contract.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { subdomainOf } from "../shared/forwarded-host";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";
import { COLLECTIONS, type Collection, type Counts, iso, type Obj, ShopData } from "./data";
import { bulkLines, bulkRoots, checkBulkQuery, execute, type GraphqlErrorBody, MAX_QUERY_COST, prepare, QueryError, typeOfGid } from "./execute";

/** Versions this fake serves; an older or unknown well-formed one falls forward to the oldest, as Shopify does. */
const SUPPORTED_VERSIONS = ["2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10"];
const RESULTS_HOST = "storage.googleapis.com";
const RESULTS_PREFIX = "/shopify-tiers-assets-prod-us-east1/bulk-operation-outputs/";
const INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)";

export interface LoggedRequest {
  at: number;
  path: string;
  version?: string;
  served_version?: string;
  status: number;
  query?: string;
  variables?: Record<string, unknown>;
  /** Points in the bucket when the request arrived (after the leak), and what the query asked for and cost. */
  available?: number;
  requested?: number;
  actual?: number;
  throttled?: boolean;
  range?: string;
  headers: Record<string, string>;
}

interface BulkOperation {
  id: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELED" | "CANCELING" | "EXPIRED";
  errorCode: string | null;
  createdAt: string;
  completedAt: string | null;
  query: string;
  items: Obj[];
  polls: number;
  outcome: "COMPLETED" | "FAILED" | "CANCELED";
  lines?: number;
  bytes?: number;
  file?: Buffer;
  key: string;
}

interface Faults {
  /** Outcomes for the next bulk operations submitted, in order (then COMPLETED). */
  bulk_outcomes?: Array<"FAILED" | "CANCELED">;
  /** The next result download is cut after this many lines (the connection is destroyed). */
  cut_download_after_lines?: number;
  /** Polls (reads of an operation) before a running operation finishes. */
  bulk_polls?: number;
  revoke?: boolean;
  /** A pause of this many milliseconds every 250 lines of a result download (a slow transfer to interrupt). */
  slow_download_ms?: number;
}

class Shop {
  data: ShopData;
  log: LoggedRequest[] = [];
  faults: Faults = {};
  bucket = { maximumAvailable: 2000, restoreRate: 100, level: 2000, at: Date.now() };
  ops: BulkOperation[] = [];
  bulkLimit: number | null = null;
  maxConcurrentBulk = 0;
  tokens = new Set<string>();
  client = { id: "", secret: "" };
  private issued = 0;

  readonly name: string;
  constructor(name: string, counts: Counts, now: number) {
    this.name = name;
    this.data = new ShopData(name, counts, now);
    this.tokens.add(`shpat_${name}`);
    this.client = { id: `client_${name}`, secret: `secret_${name}` };
  }

  level(now: number): number {
    const b = this.bucket;
    b.level = Math.min(b.maximumAvailable, b.level + ((now - b.at) / 1000) * b.restoreRate);
    b.at = now;
    return b.level;
  }

  issue(): string {
    const token = `shpat_cc_${this.name}_${++this.issued}`;
    this.tokens.add(token);
    return token;
  }

  running(): BulkOperation[] {
    return this.ops.filter((op) => op.status === "CREATED" || op.status === "RUNNING" || op.status === "CANCELING");
  }

  /** Reading an operation moves it on: CREATED → RUNNING, then after `bulk_polls` reads to its outcome. */
  advance(op: BulkOperation) {
    if (op.status === "CANCELING") {
      op.status = "CANCELED";
      op.completedAt = iso(this.data.now);
      return;
    }
    if (op.status !== "CREATED" && op.status !== "RUNNING") return;
    op.polls++;
    if (op.polls === 1) op.status = "RUNNING";
    if (op.polls > (this.faults.bulk_polls ?? 1)) {
      op.status = op.outcome;
      op.completedAt = iso(this.data.now);
      if (op.outcome === "FAILED") op.errorCode = "INTERNAL_SERVER_ERROR";
      if (op.outcome === "COMPLETED") {
        // The file is written once, when the job completes, as Shopify's is: later changes are not in it, and a
        // ranged download is a slice of it.
        const parts: Buffer[] = [];
        let lines = 0;
        for (const line of bulkLines(this.data, op.query, op.items)) {
          lines++;
          parts.push(Buffer.from(line));
        }
        const file = Buffer.concat(parts);
        op.file = file;
        op.lines = lines;
        op.bytes = file.length;
      }
    }
  }

  render(op: BulkOperation): Obj {
    const done = op.status === "COMPLETED";
    const url = `https://${RESULTS_HOST}${RESULTS_PREFIX}${op.key}.jsonl?GoogleAccessId=fake&Expires=${this.data.now + 7 * 86400}&Signature=${op.key}`;
    return {
      id: op.id,
      status: op.status,
      errorCode: op.errorCode,
      createdAt: op.createdAt,
      completedAt: op.completedAt,
      objectCount: String(done ? op.lines : Math.floor(op.items.length / 2)),
      rootObjectCount: String(done ? op.items.length : 0),
      fileSize: done ? String(op.bytes) : null,
      url: done ? url : null,
      partialDataUrl: op.status === "FAILED" ? `${url}&partial=1` : null,
      query: op.query,
      type: "QUERY",
    };
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

class Registry {
  shops = new Map<string, Shop>();
  private opSeq = 1;
  results = new Map<string, { shop: Shop; op: BulkOperation }>();

  get(name: string): Shop | undefined {
    return this.shops.get(name.toLowerCase());
  }

  submit(shop: Shop, version: string, query: string): Obj {
    const problem = checkBulkQuery(query);
    if (problem) return { bulkOperation: null, userErrors: [{ field: ["query"], message: problem, code: "INVALID" }] };
    // research: one bulk query at a time per shop before 2026-01, five from 2026-01 (shopify.dev bulk operations guide).
    const limit = shop.bulkLimit ?? (version >= "2026-01" ? 5 : 1);
    const running = shop.running();
    if (running.length >= limit) {
      const message = limit === 1 ? `A bulk query operation for this app and shop is already in progress: ${running[0]!.id}.` : `Maximum number of concurrent bulk query operations (${limit}) for this app and shop has been reached.`;
      return { bulkOperation: null, userErrors: [{ field: null, message, code: "OPERATION_IN_PROGRESS" }] };
    }
    const n = this.opSeq++;
    const op: BulkOperation = {
      id: `gid://shopify/BulkOperation/${n}`,
      status: "CREATED",
      errorCode: null,
      createdAt: iso(shop.data.now),
      completedAt: null,
      query,
      items: bulkRoots(shop.data, query).items,
      polls: 0,
      outcome: shop.faults.bulk_outcomes?.shift() ?? "COMPLETED",
      key: `${n}-${crypto.randomUUID()}`,
    };
    shop.ops.push(op);
    this.results.set(op.key, { shop, op });
    shop.maxConcurrentBulk = Math.max(shop.maxConcurrentBulk, shop.running().length);
    return { bulkOperation: shop.render(op), userErrors: [] };
  }
}

async function serveGraphql(registry: Registry, shop: Shop, version: string, request: IncomingMessage, body: string, response: ServerResponse) {
  const now = Date.now();
  const served = SUPPORTED_VERSIONS.includes(version) ? version : SUPPORTED_VERSIONS[0]!;
  const entry: LoggedRequest = { at: now, path: `/admin/api/${version}/graphql.json`, version, served_version: served, status: 0, headers: lowercaseHeaders(request) };
  shop.log.push(entry);
  const headers = { "X-Shopify-API-Version": served };
  const token = request.headers["x-shopify-access-token"];
  if (typeof token !== "string" || !shop.tokens.has(token) || shop.faults.revoke) {
    entry.status = 401;
    return send(response, 401, { errors: INVALID_TOKEN }, headers);
  }
  if (request.method !== "POST") {
    entry.status = 405;
    return send(response, 405, { errors: "Method Not Allowed" }, headers);
  }
  let parsed: { query?: unknown; variables?: Record<string, unknown>; operationName?: string };
  try {
    parsed = request.headers["content-type"]?.includes("application/graphql") ? { query: body } : JSON.parse(body);
  } catch {
    entry.status = 400;
    return send(response, 400, { errors: "Bad Request: the body is not valid JSON" }, headers);
  }
  entry.query = String(parsed.query ?? "");
  if (parsed.variables) entry.variables = parsed.variables;
  const level = shop.level(now);
  entry.available = Math.floor(level);
  const status = () => ({ maximumAvailable: shop.bucket.maximumAvailable, currentlyAvailable: Math.floor(shop.level(Date.now())), restoreRate: shop.bucket.restoreRate });
  let prepared;
  try {
    prepared = prepare(entry.query, parsed.variables, parsed.operationName);
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    entry.status = 200;
    return send(response, 200, { errors: error.errors }, headers);
  }
  entry.requested = prepared.requestedCost;
  if (prepared.requestedCost > MAX_QUERY_COST) {
    entry.status = 200;
    const errors: GraphqlErrorBody[] = [{ message: `Query cost is ${prepared.requestedCost}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`, extensions: { code: "MAX_COST_EXCEEDED", cost: prepared.requestedCost, maxCost: MAX_QUERY_COST } }];
    return send(response, 200, { errors, extensions: { cost: { requestedQueryCost: prepared.requestedCost, actualQueryCost: null, throttleStatus: status() } } }, headers);
  }
  if (level < prepared.requestedCost) {
    entry.status = 200;
    entry.throttled = true;
    return send(response, 200, {
      errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
      extensions: { cost: { requestedQueryCost: prepared.requestedCost, actualQueryCost: null, throttleStatus: status() } },
    }, headers);
  }
  shop.bucket.level -= prepared.requestedCost;
  const { data, actualCost } = execute(prepared, {
    shop: shop.data,
    shopInfo: { id: "gid://shopify/Shop/1", name: shop.name, myshopifyDomain: `${shop.name}.myshopify.com`, currencyCode: "USD", ianaTimezone: "Europe/London" },
    node(id) {
      const type = typeOfGid(id);
      if (type === "BulkOperation") {
        const op = shop.ops.find((o) => o.id === id);
        if (!op) return undefined;
        shop.advance(op);
        return { type, value: shop.render(op) };
      }
      const value = shop.data.find(id);
      return value && type ? { type, value } : undefined;
    },
    currentBulkOperation() {
      const op = shop.ops[shop.ops.length - 1];
      if (!op) return null;
      shop.advance(op);
      return shop.render(op);
    },
    mutation(name, args) {
      if (name === "bulkOperationRunQuery") return registry.submit(shop, served, String(args.query));
      const op = shop.ops.find((o) => o.id === args.id);
      if (!op) return { bulkOperation: null, userErrors: [{ field: ["id"], message: "Bulk operation does not exist", code: null }] };
      if (op.status === "CREATED" || op.status === "RUNNING") op.status = "CANCELING";
      else return { bulkOperation: shop.render(op), userErrors: [{ field: null, message: `A bulk operation cannot be canceled when it is ${op.status.toLowerCase()}`, code: null }] };
      return { bulkOperation: shop.render(op), userErrors: [] };
    },
  });
  const actual = Math.min(actualCost, prepared.requestedCost);
  shop.bucket.level += prepared.requestedCost - actual;
  entry.actual = actual;
  entry.status = 200;
  send(response, 200, { data, extensions: { cost: { requestedQueryCost: prepared.requestedCost, actualQueryCost: actual, throttleStatus: status() } } }, headers);
}

/** The JSONL result of a completed operation (a failed one's partial file: its first half), honouring `Range`. */
async function serveResult(registry: Registry, request: IncomingMessage, url: URL, response: ServerResponse) {
  const key = url.pathname.slice(RESULTS_PREFIX.length).replace(/\.jsonl$/, "");
  const found = registry.results.get(key);
  const partial = url.searchParams.get("partial") === "1";
  if (!found || (found.op.status !== "COMPLETED" && !(partial && found.op.status === "FAILED")) || url.searchParams.get("Signature") !== key) {
    response.writeHead(403, { "Content-Type": "application/xml" });
    return response.end("<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>");
  }
  const { shop, op } = found;
  const entry: LoggedRequest = { at: Date.now(), path: url.pathname, status: 200, headers: lowercaseHeaders(request), ...(request.headers.range ? { range: request.headers.range } : {}) };
  shop.log.push(entry);
  const items = partial ? op.items.slice(0, Math.floor(op.items.length / 2)) : op.items;
  const total = partial ? null : op.bytes!;
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
  const from = range ? Number(range[1]) : 0;
  if (total !== null && range && from >= total) {
    entry.status = 416;
    response.writeHead(416, { "Content-Range": `bytes */${total}` });
    return response.end();
  }
  const cutAfter = shop.faults.cut_download_after_lines;
  if (cutAfter !== undefined) delete shop.faults.cut_download_after_lines;
  response.writeHead(range ? 206 : 200, {
    "Content-Type": "application/jsonl",
    ...(total !== null ? { "Content-Length": String(total - from), ...(range ? { "Content-Range": `bytes ${from}-${total - 1}/${total}` } : {}) } : {}),
  });
  if (op.file && !partial && cutAfter === undefined && !shop.faults.slow_download_ms) {
    for (let at = from; at < op.file.length; at += 256 * 1024) {
      if (!response.write(op.file.subarray(at, Math.min(op.file.length, at + 256 * 1024)))) await new Promise((resolve) => response.once("drain", resolve));
    }
    return response.end();
  }
  let offset = 0;
  let lines = 0;
  const source = op.file && !partial ? fileLines(op.file) : bulkLines(shop.data, op.query, items);
  for (const line of source) {
    const buffer = typeof line === "string" ? Buffer.from(line) : line;
    const end = offset + buffer.length;
    if (end > from) {
      const piece = offset < from ? buffer.subarray(from - offset) : buffer;
      if (!response.write(piece)) await new Promise((resolve) => response.once("drain", resolve));
      lines++;
      if (shop.faults.slow_download_ms && lines % 250 === 0) await new Promise((resolve) => setTimeout(resolve, shop.faults.slow_download_ms));
      if (cutAfter !== undefined && lines >= cutAfter) {
        entry.status = -1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        response.destroy();
        return;
      }
    }
    offset = end;
  }
  response.end();
}

/** The lines of a written result file, each with its newline. */
function* fileLines(file: Buffer): Generator<Buffer> {
  let start = 0;
  for (let nl = file.indexOf(0x0a, start); nl !== -1; nl = file.indexOf(0x0a, start)) {
    yield file.subarray(start, nl + 1);
    start = nl + 1;
  }
  if (start < file.length) yield file.subarray(start);
}

/** POST /admin/oauth/access_token, client-credentials grant (shopify.dev client-credentials-grant). */
function serveToken(shop: Shop, request: IncomingMessage, body: string, response: ServerResponse) {
  const form = request.headers["content-type"]?.includes("json") ? new URLSearchParams(JSON.parse(body || "{}")) : new URLSearchParams(body);
  const entry: LoggedRequest = { at: Date.now(), path: "/admin/oauth/access_token", status: 0, headers: lowercaseHeaders(request) };
  shop.log.push(entry);
  if (form.get("client_id") !== shop.client.id || form.get("client_secret") !== shop.client.secret || shop.faults.revoke) {
    entry.status = 400;
    return send(response, 400, { error: "invalid_client", error_description: "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method." });
  }
  if (form.get("grant_type") !== "client_credentials") {
    entry.status = 400;
    return send(response, 400, { error: "unsupported_grant_type", error_description: "The authorization grant type is not supported by the authorization server." });
  }
  entry.status = 200;
  send(response, 200, { access_token: shop.issue(), scope: "read_orders,read_all_orders,read_products,read_customers,read_inventory,read_locations,read_draft_orders", expires_in: 86399 });
}

function control(registry: Registry, method: string, url: URL, body: Record<string, unknown>): unknown {
  const [name, action = "", ...rest] = url.pathname.slice("/_fake/".length).split("/").filter(Boolean);
  if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error("the path must name a shop: /_fake/{shop}/…");
  if (method === "POST" && action === "seed") {
    const shop = new Shop(name, (body.counts as Counts) ?? {}, typeof body.now === "number" ? body.now : Math.floor(Date.now() / 1000) - 900);
    const bucket = body.bucket as { maximumAvailable?: number; restoreRate?: number } | undefined;
    if (bucket?.maximumAvailable) shop.bucket.maximumAvailable = shop.bucket.level = bucket.maximumAvailable;
    if (bucket?.restoreRate) shop.bucket.restoreRate = bucket.restoreRate;
    if (typeof body.bulk_limit === "number") shop.bulkLimit = body.bulk_limit;
    registry.shops.set(name, shop);
    return { shop: name, token: `shpat_${name}`, client_id: shop.client.id, client_secret: shop.client.secret, now: iso(shop.data.now), counts: Object.fromEntries(COLLECTIONS.map((c) => [c, shop.data.list(c).length])) };
  }
  const shop = registry.get(name);
  if (!shop) throw new Error(`no shop ${name}; POST /_fake/${name}/seed first`);
  switch (`${method} ${action}`) {
    case "POST mutate":
      return shop.data.mutate(body as { type: Collection });
    case "POST clock":
      shop.data.now += Number(body.advance_seconds ?? 0);
      return { now: iso(shop.data.now) };
    case "POST faults":
      shop.faults = { ...shop.faults, ...(body as Faults) };
      return { faults: shop.faults };
    case "POST bucket":
      shop.level(Date.now());
      if (typeof body.currentlyAvailable === "number") shop.bucket.level = body.currentlyAvailable;
      if (typeof body.maximumAvailable === "number") shop.bucket.maximumAvailable = body.maximumAvailable;
      if (typeof body.restoreRate === "number") shop.bucket.restoreRate = body.restoreRate;
      return { bucket: shop.bucket };
    case "GET requests":
      return { data: shop.log };
    case "DELETE requests":
      shop.log = [];
      return { data: [] };
    case "GET bulk":
      return { max_concurrent: shop.maxConcurrentBulk, data: shop.ops.map((op) => ({ ...shop.render(op), items: op.items.length })) };
    case "GET objects": {
      const type = rest[0] as Collection;
      if (!COLLECTIONS.includes(type)) throw new Error(`GET objects/{${COLLECTIONS.join("|")}}`);
      return { data: shop.data.list(type).map(plain) };
    }
    default:
      return undefined;
  }
}

/** An object as JSON, nested objects reduced to their ids where they are references (no cycles). */
function plain(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (Array.isArray(v)) out[k] = v.map((x) => (x && typeof x === "object" && "id" in x ? plainChild(x as Obj) : x));
    else if (v && typeof v === "object" && "id" in v) out[k] = { id: (v as Obj).id };
    else out[k] = v;
  }
  return out;
}
function plainChild(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) out[k] = v && typeof v === "object" && !Array.isArray(v) && "id" in v ? { id: (v as Obj).id } : v;
  return out;
}

export async function startShopifyFake(options: { port?: number } = {}): Promise<RunningFake> {
  const registry = new Registry();
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        if (url.pathname.startsWith("/_fake/")) {
          const body = await readBody(request);
          try {
            const result = control(registry, request.method ?? "GET", url, body.trim() ? JSON.parse(body) : {});
            if (result === undefined) return send(response, 404, { error: `no control route ${request.method} ${url.pathname}` });
            return send(response, 200, result);
          } catch (error) {
            return send(response, 400, { error: (error as Error).message });
          }
        }
        if (url.pathname.startsWith(RESULTS_PREFIX)) return await serveResult(registry, request, url, response);
        const shopName = subdomainOf(request, "myshopify.com");
        const shop = shopName ? registry.get(shopName) : undefined;
        const body = await readBody(request);
        if (!shop) return send(response, 404, { errors: "Not Found" });
        if (url.pathname === "/admin/oauth/access_token" && request.method === "POST") return serveToken(shop, request, body, response);
        const match = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
        if (!match || !/^\d{4}-\d{2}$/.test(match[1]!)) {
          shop.log.push({ at: Date.now(), path: url.pathname, status: 404, headers: lowercaseHeaders(request) });
          return send(response, 404, { errors: "Not Found" });
        }
        await serveGraphql(registry, shop, match[1]!, request, body, response);
      } catch (error) {
        console.error("shopify fake: unhandled error", error);
        if (!response.headersSent) send(response, 500, { errors: "Internal Server Error" });
      }
    })();
  });
  return { name: "shopify", port: await listen(server, options.port), hosts: ["*.myshopify.com", RESULTS_HOST], close: () => stop(server) };
}
