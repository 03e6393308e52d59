/**
 * A fake API whose limits belong to the account, not the request, with asynchronous jobs: what the engine's shared
 * budgets and long-running reads are tested against. Each limit behaves as the APIs that have it document:
 * - a token bucket per tenant (capacity, refill per second), as Shopify's leaky bucket (40 requests, 2 restored per
 *   second) and HubSpot's 100 requests per 10 s: a request finding it empty is refused with 429 and `Retry-After`
 *   (seconds until one token is back); every answer carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`;
 * - a cap on simultaneous requests, as Mailchimp's 10 connections per user: one more is refused with 429;
 * - a back-off order (`throttle`): the next N item requests are refused with 429 and a given `Retry-After`, as an
 *   API tells one client to back off for the whole account;
 * - jobs, as Facebook's async insights report runs: `POST /jobs` submits one (201), `GET /jobs/{id}` answers
 *   `running` until it has been polled `job_polls` times and `done` from then on, `GET /jobs/{id}/items?page=N` pages
 *   through its result (409 before it is done).
 * Every request is logged with its start and end times (ms) and the requests in flight when it arrived.
 *
 * Routes are under `/t/{tenant}/`: `streams/{name}/items?page=N` (`pages` pages of `page_size` items, then empty ones;
 * `{items, next_page}`),
 * the job routes above, and `_control/configure` (POST, replaces the tenant's settings), `_control/requests` (GET).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { listen, readBody, stop } from "../shared/http";

export const LIMITS_API_FAKE_NAME = "limits-api";
export const LIMITS_API_HOSTS = ["api.limits.example"];

interface Settings {
  bucket: { capacity: number; refill_per_second: number } | null;
  max_concurrent: number | null;
  latency_ms: number;
  pages: number;
  page_size: number;
  job_polls: number;
  throttle: { count: number; retry_after: number } | null;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: number;
  done_at: number;
  inflight: number;
  status: number;
}

interface Job {
  id: string;
  stream: string;
  polls: number;
}

const DEFAULTS: Settings = { bucket: null, max_concurrent: null, latency_ms: 0, pages: 3, page_size: 10, job_polls: 3, throttle: null };

class Tenant {
  settings: Settings = { ...DEFAULTS };
  log: LoggedRequest[] = [];
  inflight = 0;
  level = 0;
  levelAt = Date.now();
  throttleLeft = 0;
  jobs = new Map<string, Job>();

  configure(body: Partial<Settings>): Settings {
    this.settings = { ...DEFAULTS, ...body };
    this.level = this.settings.bucket?.capacity ?? 0;
    this.levelAt = Date.now();
    this.throttleLeft = this.settings.throttle?.count ?? 0;
    return this.settings;
  }

  /** Refills, then takes one token if there is one; answers the seconds until one is back otherwise. */
  take(now: number): { ok: true } | { ok: false; retryAfter: number } {
    const bucket = this.settings.bucket;
    if (!bucket) return { ok: true };
    this.level = Math.min(bucket.capacity, this.level + ((now - this.levelAt) / 1000) * bucket.refill_per_second);
    this.levelAt = now;
    if (this.level >= 1) {
      this.level -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - this.level) / bucket.refill_per_second)) };
  }
}

export async function startLimitsApiFake(options: { port?: number } = {}): Promise<RunningFake> {
  const tenants = new Map<string, Tenant>();
  const tenantOf = (name: string) => {
    let tenant = tenants.get(name);
    if (!tenant) tenants.set(name, (tenant = new Tenant()));
    return tenant;
  };
  const server = createServer((req, res) => {
    handle(tenantOf, req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  const port = await listen(server, options.port);
  return { name: LIMITS_API_FAKE_NAME, port, hosts: LIMITS_API_HOSTS, close: () => stop(server) };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const ROUTE = /^\/t\/([A-Za-z0-9_-]{1,64})\/(.+)$/;

async function handle(tenantOf: (name: string) => Tenant, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  const route = ROUTE.exec(url.pathname);
  if (!route?.[1] || !route[2]) return json(res, 404, { error: "every route is under /t/{tenant}/" });
  const tenant = tenantOf(route[1]);
  const rest = route[2];
  const method = req.method ?? "GET";
  if (rest === "_control/configure" && method === "POST") return json(res, 200, tenant.configure(JSON.parse((await readBody(req)) || "{}")));
  if (rest === "_control/requests" && method === "GET") return json(res, 200, tenant.log);

  const entry: LoggedRequest = { method, path: `/${rest}`, query: Object.fromEntries(url.searchParams), at: Date.now(), done_at: 0, inflight: 0, status: 0 };
  tenant.log.push(entry);
  tenant.inflight += 1;
  entry.inflight = tenant.inflight;
  const body = method === "POST" ? await readBody(req) : "";
  try {
    const answer = serve(tenant, method, rest, url, body, entry);
    if (tenant.settings.latency_ms > 0) await new Promise((r) => setTimeout(r, tenant.settings.latency_ms));
    entry.status = answer.status;
    const remaining: Record<string, string> = tenant.settings.bucket ? { "x-ratelimit-limit": String(tenant.settings.bucket.capacity), "x-ratelimit-remaining": String(Math.floor(tenant.level)) } : {};
    json(res, answer.status, answer.body, { ...remaining, ...answer.headers });
  } finally {
    tenant.inflight -= 1;
    entry.done_at = Date.now();
  }
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

function serve(tenant: Tenant, method: string, rest: string, url: URL, body: string, entry: LoggedRequest): Answer {
  const { settings } = tenant;
  if (settings.max_concurrent !== null && entry.inflight > settings.max_concurrent) {
    return { status: 429, body: { error: `more than ${settings.max_concurrent} simultaneous requests` } };
  }
  if (tenant.throttleLeft > 0 && settings.throttle) {
    tenant.throttleLeft -= 1;
    return { status: 429, body: { error: "back off" }, headers: { "retry-after": String(settings.throttle.retry_after) } };
  }
  const token = tenant.take(entry.at);
  if (!token.ok) return { status: 429, body: { error: "rate limit exceeded" }, headers: { "retry-after": String(token.retryAfter) } };

  const page = Math.max(1, Number(url.searchParams.get("page") ?? "1"));
  const items = (stream: string) => ({
    items: Array.from({ length: page <= settings.pages ? settings.page_size : 0 }, (_, i) => ({ id: `${stream}-${(page - 1) * settings.page_size + i + 1}`, stream, page })),
    next_page: page < settings.pages ? page + 1 : null,
  });
  const streamItems = /^streams\/([a-z0-9_]+)\/items$/.exec(rest);
  if (streamItems && method === "GET") return { status: 200, body: items(streamItems[1]!) };
  if (rest === "jobs" && method === "POST") {
    const stream = String((JSON.parse(body || "{}") as { stream?: string }).stream ?? "report");
    const job: Job = { id: `job-${tenant.jobs.size + 1}`, stream, polls: 0 };
    tenant.jobs.set(job.id, job);
    return { status: 201, body: { id: job.id, status: "running" } };
  }
  const jobRoute = /^jobs\/([a-z0-9-]+)(\/items)?$/.exec(rest);
  const job = jobRoute ? tenant.jobs.get(jobRoute[1]!) : undefined;
  if (jobRoute && !job) return { status: 404, body: { error: "no such job" } };
  if (job && !jobRoute![2] && method === "GET") {
    job.polls += 1;
    return { status: 200, body: { id: job.id, status: job.polls >= settings.job_polls ? "done" : "running", polls: job.polls } };
  }
  if (job && jobRoute![2] && method === "GET") {
    if (job.polls < settings.job_polls) return { status: 409, body: { error: "the job is still running" } };
    return { status: 200, body: items(job.stream) };
  }
  return { status: 404, body: { error: `no route ${method} /${rest}` } };
}
