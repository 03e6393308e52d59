/**
 * Shared budgets and long-running reads through the whole engine (queue, RunTracker, LoaderBudget), against the
 * limits-api fake, whose account-wide limits refuse with 429 exactly what a reader must never send. The reader is
 * a small connector over the kit written here (no shipped reader uses the budgets yet): it takes the rest_api
 * loader's config, so the API accepts the loader as it is, and the test swaps it in through engineDeps.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { type Connector, type ConnectorContext, type JsonObject, type Page, type ReadRequest } from "../../connectors/kit/contract";
import { isConnectorError } from "../../connectors/kit/errors";
import { restApiConnector } from "../../connectors/rest_api";
import { engineDeps } from "../../src/engine/deps";
import { runTracker } from "../../src/engine/dispatch";
import { extractChunk } from "../../src/engine/extract-chunk";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { fakeBase } from "../helpers/connector";
import { createLoader, d1Rows, uniqueName, waitForRun } from "../helpers/engine";
import type { LoggedRequest as Logged } from "../fakes/limits-api/server";
import { waitFor } from "../helpers/wait";

const limits = () => fakeBase("limits-api");
async function configure(tenant: string, settings: Record<string, unknown>) {
  const res = await fetch(`${limits()}/t/${tenant}/_control/configure`, { method: "POST", body: JSON.stringify(settings) });
  expect(res.status).toBe(200);
}
async function requests(tenant: string): Promise<Logged[]> {
  return (await (await fetch(`${limits()}/t/${tenant}/_control/requests`)).json()) as Logged[];
}

/** What the test reader does before each request, per test. */
interface Plan {
  bucket?: { capacity: number; refillPerSecond: number };
  slots?: number;
  /** On a 429, pause every stream for the Retry-After it was given. */
  pauseOn429?: boolean;
  /** The longest wait for a grant in the chunk (the engine's bound when absent). */
  maxWaitSeconds?: number;
  /** Streams whose name starts with `job` submit an async job and poll it, coming back after this many seconds. */
  pollEverySeconds?: number;
}

const KEY = "limits-api:requests";

function limitsReader(plan: Plan): Connector<JsonObject> {
  async function call<T>(ctx: ConnectorContext, url: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
    // One attempt per call: a 429 comes back here, so the pause can be shared before anything is retried.
    const http = ctx.http.extend({ maxAttempts: 1 });
    for (;;) {
      // Without a bucket a take of nothing still waits out any pause on the account.
      await ctx.budget!.take(KEY, plan.bucket ? 1 : 0, plan.bucket ?? { capacity: 1, refillPerSecond: 1 }, { maxWaitSeconds: plan.maxWaitSeconds });
      const slot = plan.slots ? await ctx.budget!.slot("limits-api:connections", plan.slots) : undefined;
      try {
        return await http.getJson<T>({ url, ...init });
      } catch (error) {
        const wait = isConnectorError(error) ? error.details.retryAfterSeconds : undefined;
        if (!plan.pauseOn429 || wait === undefined) throw error;
        await ctx.budget!.pause(KEY, wait);
      } finally {
        await slot?.release();
      }
    }
  }

  async function* read(ctx: ConnectorContext, config: JsonObject, request: ReadRequest): AsyncIterable<Page> {
    const base = String(config.base_url);
    const name = request.stream.name;
    const checkpoint = (request.checkpoint ?? {}) as { page?: number; job_id?: string; done?: boolean };
    let prefix = `${base}/streams/${name}`;
    if (name.startsWith("job")) {
      let jobId = checkpoint.job_id;
      if (!jobId) {
        jobId = (await call<{ id: string }>(ctx, `${base}/jobs`, { method: "POST", json: { stream: name } })).id;
        yield { records: [], checkpoint: { job_id: jobId }, resumeAfterSeconds: plan.pollEverySeconds ?? 1 };
        return;
      }
      if (!checkpoint.done) {
        const status = await call<{ status: string }>(ctx, `${base}/jobs/${jobId}`);
        if (status.status !== "done") {
          yield { records: [], checkpoint: { job_id: jobId }, resumeAfterSeconds: plan.pollEverySeconds ?? 1 };
          return;
        }
      }
      prefix = `${base}/jobs/${jobId}`;
    }
    for (let page = (checkpoint.page ?? 0) + 1; ; page++) {
      const body = await call<{ items: Array<Record<string, unknown>>; next_page: number | null }>(ctx, `${prefix}/items?page=${page}`);
      yield { records: body.items, checkpoint: { ...checkpoint, done: true, page } };
      if (body.next_page === null || ctx.signal.aborted) return;
    }
  }

  return { ...(restApiConnector as unknown as Connector<JsonObject>), read };
}

const original = engineDeps.connectorFor;
function useReader(plan: Plan) {
  engineDeps.connectorFor = (type) => (type === "rest_api" ? limitsReader(plan) : original(type));
}
afterEach(() => {
  engineDeps.connectorFor = original;
});

async function limitsLoader(streams: string[]) {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("limits");
  const loader = await createLoader(owner, {
    name: "limits",
    loader_type: "rest_api",
    source_id: await createD1Source(owner),
    config: {
      base_url: `https://api.limits.example/t/${tenant}`,
      auth: { type: "none" },
      paginator: { type: "none" },
      streams: streams.map((name) => ({ name, path: `/streams/${name}/items`, records_path: "items", primary_key: ["id"] })),
    },
    target_schema: uniqueName("lim"),
    selected_streams: streams.map((name) => ({ name, sync_mode: "full_refresh" })),
    sync_mode: "full_refresh",
  });
  const run = async () => {
    const triggered = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    return waitForRun(owner, loader.id, triggered.id);
  };
  /**
   * The local queue runs one consumer at a time; production runs the streams' chunks side by side. Here the first
   * chunk of every stream is also delivered at once, as parallel consumers would: whichever delivery claims a chunk
   * first does it, the other is dropped as a duplicate.
   */
  const runInParallel = async () => {
    const triggered = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await waitFor(async () => (await runTracker(env, triggered.id).snapshot()).streams.length === streams.length, "run started");
    await Promise.all(
      streams.map((stream) =>
        extractChunk(env, { kind: "extract", runId: triggered.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream, chunk: 0 }, { id: `parallel-${stream}`, attempts: 1 }, { maxPages: 4, maxMilliseconds: 60_000 }),
      ),
    );
    return waitForRun(owner, loader.id, triggered.id);
  };
  return { owner, tenant, loader, run, runInParallel, table: (stream: string) => `${String(loader.target_schema).toLowerCase()}__${stream}` };
}

/** The most requests that started within any window of `windowMs` (sliding over request start times). */
function busiestWindow(log: Logged[], windowMs: number): number {
  const starts = log.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe("shared budgets: every stream of a loader asks one LoaderBudget", () => {
  it("two streams sharing a token bucket never exceed the account's bucket", async () => {
    const { tenant, runInParallel, table } = await limitsLoader(["alpha", "beta"]);
    // The account: 5 requests at once, 4 more a second. The reader assumes 3 and 3.6 (a real one leaves a margin:
    // a consumer held up between its grant and its request sends late, in a bunch with the next ones). Two readers
    // each keeping a bucket of their own would send a first burst of 6 and be refused.
    await configure(tenant, { bucket: { capacity: 5, refill_per_second: 4 }, pages: 6, page_size: 10, latency_ms: 20 });
    useReader({ bucket: { capacity: 3, refillPerSecond: 3.6 } });
    const done = await runInParallel();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 120 });
    const log = await requests(tenant);
    expect(log).toHaveLength(12);
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    // Both streams ran at once: their request times interleave.
    const alpha = log.filter((r) => r.path.includes("/alpha/")).map((r) => r.at);
    const beta = log.filter((r) => r.path.includes("/beta/")).map((r) => r.at);
    expect(Math.min(...beta)).toBeLessThan(Math.max(...alpha));
    expect(Math.min(...alpha)).toBeLessThan(Math.max(...beta));
    // Within any second: the account's burst plus one second of refill at most; over the run, the shared bucket's pace.
    expect(busiestWindow(log, 1000)).toBeLessThanOrEqual(5 + 4);
    const span = (Math.max(...log.map((r) => r.at)) - Math.min(...log.map((r) => r.at))) / 1000;
    expect(span).toBeGreaterThan((12 - 3) / 3.6 - 0.3);
    expect(await d1Rows(table("alpha"))).toHaveLength(60);
    expect(await d1Rows(table("beta"))).toHaveLength(60);
  });

  it("a concurrency cap of 2 is never exceeded by three streams, and is used", async () => {
    const { tenant, runInParallel } = await limitsLoader(["one", "two", "three"]);
    await configure(tenant, { max_concurrent: 2, pages: 3, page_size: 5, latency_ms: 150 });
    useReader({ slots: 2 });
    const done = await runInParallel();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 45 });
    const log = await requests(tenant);
    expect(log).toHaveLength(9);
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(Math.max(...log.map((r) => r.inflight))).toBe(2);
  });

  it("a pause one stream is told to take is honoured by the other before its next request", async () => {
    const { tenant, runInParallel } = await limitsLoader(["left", "right"]);
    // The first request of the account is told to back off for 2 s.
    await configure(tenant, { throttle: { count: 1, retry_after: 2 }, pages: 5, page_size: 5, latency_ms: 60 });
    useReader({ pauseOn429: true });
    const done = await runInParallel();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 50 });
    const log = await requests(tenant);
    const refused = log.filter((r) => r.status === 429);
    expect(refused).toHaveLength(1);
    const told = refused[0]!;
    const otherStream = told.path.includes("/left/") ? "/right/" : "/left/";
    // Requests already on their way when the answer came are not recalled; nothing starts afterwards until the pause ends.
    const during = log.filter((r) => r.at > told.done_at + 300 && r.at < told.at + 2000);
    expect(during).toEqual([]);
    expect(log.filter((r) => r.path.includes(otherStream) && r.at >= told.at + 2000).length).toBeGreaterThan(0);
    expect(log.filter((r) => r.status === 200)).toHaveLength(10);
  });

  it("a grant further away than the bound ends the chunk and resumes it later instead of waiting in it", async () => {
    const { tenant, run } = await limitsLoader(["slow"]);
    await configure(tenant, { bucket: { capacity: 1, refill_per_second: 0.5 }, pages: 3, page_size: 2 });
    // One token, then one every 2.5 s: further away than the 1 s this reader waits in a chunk.
    useReader({ bucket: { capacity: 1, refillPerSecond: 0.4 }, maxWaitSeconds: 1 });
    const done = await run();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 6 });
    const log = await requests(tenant);
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(log).toHaveLength(3);
    for (let i = 1; i < log.length; i++) expect(log[i]!.at - log[i - 1]!.at).toBeGreaterThanOrEqual(2000);
    // Each later page came in a chunk of its own, enqueued with the delay the budget named (not a retry).
    const view = await runTracker(env, done.id).snapshot();
    expect(view.streams[0]).toMatchObject({ status: "completed", pages: 3, restarts: 0, last_error: "" });
    expect(view.streams[0]!.chunk).toBeGreaterThanOrEqual(2);
  });
});

describe("the LoaderBudget object itself", () => {
  const budget = () => env.LOADER_BUDGET.getByName(`loader:${crypto.randomUUID()}`);

  it("grants in order as reservations, refuses a grant beyond the bound without reserving", async () => {
    const stub = budget();
    const shape = { capacity: 2, refillPerSecond: 1 };
    expect(await stub.take("k", 1, shape, 5_000, 0)).toEqual({ granted: true, waitMs: 0 });
    expect(await stub.take("k", 1, shape, 5_000, 0)).toEqual({ granted: true, waitMs: 0 });
    expect(await stub.take("k", 1, shape, 5_000, 0)).toEqual({ granted: true, waitMs: 1_000 });
    expect(await stub.take("k", 1, shape, 5_000, 0)).toEqual({ granted: true, waitMs: 2_000 });
    expect(await stub.take("k", 1, shape, 2_500, 0)).toEqual({ granted: false, retryAfterMs: 3_000 });
    // The refused take reserved nothing: the next grant is still 3 s away.
    expect(await stub.take("k", 1, shape, 5_000, 0)).toEqual({ granted: true, waitMs: 3_000 });
  });

  it("an API report only lowers the level, a refund raises it, a reported shape replaces the assumed one", async () => {
    const stub = budget();
    const shape = { capacity: 100, refillPerSecond: 10 };
    await stub.take("cost", 10, shape, 0, 0);
    await stub.observe("cost", { available: 95 }, 0);
    expect((await stub.snapshot()).buckets[0]).toMatchObject({ level: 90 });
    await stub.observe("cost", { available: 40 }, 0);
    expect((await stub.snapshot()).buckets[0]).toMatchObject({ level: 40 });
    await stub.observe("cost", { refund: 30 }, 0);
    expect((await stub.snapshot()).buckets[0]).toMatchObject({ level: 70 });
    await stub.observe("cost", { capacity: 50, refillPerSecond: 5 }, 0);
    expect((await stub.snapshot()).buckets[0]).toMatchObject({ level: 50, capacity: 50, refill: 5 });
    // The assumed shape of a later take does not undo the reported one.
    await stub.take("cost", 0, shape, 0, 1_000);
    expect((await stub.snapshot(1_000)).buckets[0]).toMatchObject({ capacity: 50, refill: 5 });
  });

  it("a slot whose holder stopped renewing frees itself when its lease ends; a pause holds slots and grants", async () => {
    const stub = budget();
    expect(await stub.acquire("conn", 1, "a", 1_000, 0)).toEqual({ granted: true });
    expect(await stub.acquire("conn", 1, "b", 1_000, 500)).toMatchObject({ granted: false });
    expect(await stub.renew("conn", "a", 1_000, 900)).toBe(true);
    expect(await stub.acquire("conn", 1, "b", 1_000, 1_500)).toMatchObject({ granted: false });
    // `a` died after its last renewal (at 900 ms): at 1.9 s its slot is free.
    expect(await stub.acquire("conn", 1, "b", 1_000, 1_900)).toEqual({ granted: true });
    expect(await stub.renew("conn", "a", 1_000, 2_000)).toBe(false);
    await stub.release("conn", "b");
    await stub.pause("conn", 2, 2_000);
    await stub.pause("conn", 1, 2_000);
    expect(await stub.acquire("conn", 1, "c", 1_000, 2_500)).toEqual({ granted: false, retryAfterMs: 1_500 });
    expect(await stub.take("conn", 0, { capacity: 1, refillPerSecond: 1 }, 10_000, 2_500)).toEqual({ granted: true, waitMs: 1_500 });
    expect(await stub.acquire("conn", 1, "c", 1_000, 4_000)).toEqual({ granted: true });
  });
});

describe("waiting is not dying: the watchdog leaves a waiting stream alone", () => {
  it("a grant waited for inside the chunk for longer than the lease keeps the lease by heartbeat", async () => {
    const { tenant, run } = await limitsLoader(["patient"]);
    await configure(tenant, { pages: 2, page_size: 3 });
    // One token, the next 8 s later: longer than the 6 s lease, shorter than the reader's 20 s bound.
    useReader({ bucket: { capacity: 1, refillPerSecond: 0.125 }, maxWaitSeconds: 20 });
    const done = await run();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 6 });
    const log = await requests(tenant);
    expect(log).toHaveLength(2);
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(7_500);
    const view = await runTracker(env, done.id).snapshot();
    expect(view.streams[0]).toMatchObject({ restarts: 0, chunk: 0 });
  });

  it("a delayed chunk that comes back later than a lease is expected, not restarted", async () => {
    const { tenant, run } = await limitsLoader(["job_slow"]);
    await configure(tenant, { job_polls: 1, pages: 1, page_size: 2 });
    useReader({ pollEverySeconds: 8 });
    const done = await run();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 2 });
    const log = await requests(tenant);
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /jobs", "GET /jobs/job-1", "GET /jobs/job-1/items"]);
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(7_500);
    expect((await runTracker(env, done.id).snapshot()).streams[0]).toMatchObject({ restarts: 0 });
  });
});

describe("long-running jobs: come back in N seconds", () => {
  it("an async job is submitted once and polled across three chunks with the same job id", async () => {
    const { tenant, run, table } = await limitsLoader(["job_report"]);
    await configure(tenant, { job_polls: 3, pages: 2, page_size: 4 });
    useReader({ pollEverySeconds: 1 });
    const done = await run();
    expect(done).toMatchObject({ status: "completed", rows_loaded: 8 });
    const log = await requests(tenant);
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /jobs",
      "GET /jobs/job-1",
      "GET /jobs/job-1",
      "GET /jobs/job-1",
      "GET /jobs/job-1/items",
      "GET /jobs/job-1/items",
    ]);
    // Each poll came in its own chunk, delivered after the delay the page asked for: no Worker slept on the job.
    const polls = log.filter((r) => r.path === "/jobs/job-1");
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(900);
    const view = await runTracker(env, done.id).snapshot();
    // Chunks 0 (submit), 1 and 2 (running), 3 (done, two result pages): five pages, the empty ones counted too.
    expect(view.streams[0]).toMatchObject({ status: "completed", pages: 5, chunk: 3 });
    expect(JSON.parse(view.streams[0]!.checkpoint!)).toEqual({ job_id: "job-1", done: true, page: 2 });
    expect(await d1Rows(table("job_report"))).toHaveLength(8);
  });
});
