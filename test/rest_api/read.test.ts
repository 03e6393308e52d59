import { describe, expect, it } from "vitest";
import type { JsonObject, Page } from "../../connectors/kit/contract";
import { restApiConnector } from "../../connectors/rest_api";
import { config, context, fakePort, ids, inFakeOrder, readAll, readRequest, tenant } from "./harness";

/** One stream per list style of the fake, each declared as a user would for that API shape. */
const STYLES = [
  {
    style: "page",
    stream: { path: "/page/items", records_path: "items" },
    paginator: { type: "page_number", page_param: "page", size_param: "per_page", page_size: 100, total_pages_path: "meta.total_pages" },
    queries: [1, 2, 3].map((page) => ({ page: String(page), per_page: "100" })),
  },
  {
    style: "offset",
    stream: { path: "/offset/items", records_path: "data" },
    paginator: { type: "offset", limit: 100 },
    queries: [0, 100, 200].map((offset) => ({ offset: String(offset), limit: "100" })),
  },
  {
    style: "cursor",
    stream: { path: "/cursor/items", records_path: "results" },
    paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 100 },
    queries: [{ limit: "100" }, { limit: "100", after: expect.stringMatching(/^\+\+\+\//) }, { limit: "100", after: expect.any(String) }],
  },
  {
    style: "next-url",
    stream: { path: "/next-url/items", records_path: "data", params: { limit: 100 } },
    paginator: { type: "next_url", next_url_path: "links.next" },
    queries: [{ limit: "100" }, { limit: "100", cursor: expect.any(String) }, { limit: "100", cursor: expect.any(String) }],
  },
  {
    style: "link",
    stream: { path: "/link/items", params: { per_page: 100 } },
    paginator: { type: "link_header" },
    queries: [1, 2, 3].map((page) => (page === 1 ? { per_page: "100" } : { page: String(page), per_page: "100" })),
  },
  { style: "all", stream: { path: "/all/items" }, paginator: { type: "none" }, queries: [{}] },
] as const;

function styleConfig(baseUrl: string, s: (typeof STYLES)[number], extra: Record<string, unknown> = {}) {
  return config({
    base_url: baseUrl,
    paginator: s.paginator,
    streams: [{ name: "items", primary_key: "id", incremental: { cursor_field: "updated_at", param: "updated_since" }, ...s.stream }],
    ...extra,
  });
}

describe.each(STYLES)("paginator style $style, end to end", (s) => {
  it("reads all 250 items exactly once, in the API's order, with the expected requests", async () => {
    const t = tenant(`style-${s.style}`);
    await t.seed({ count: 250 });
    const cfg = styleConfig(t.baseUrl, s);
    const pages = await readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh"));

    const records = pages.flatMap((p) => p.records);
    expect(records).toHaveLength(250);
    expect(new Set(ids(pages)).size).toBe(250);
    expect(inFakeOrder(records)).toBe(true);
    expect(records[0]).toMatchObject({ id: expect.any(Number), owner: { email: expect.any(String) }, tags: expect.any(Array) });

    const log = await t.requests();
    expect(log.map((r) => r.path)).toEqual(s.queries.map(() => `/t/${t.name}${s.stream.path}`));
    expect(log.map((r) => r.query)).toEqual(s.queries);
    expect(log.every((r) => r.headers.accept === "application/json")).toBe(true);
    expect(pages.at(-1)?.checkpoint.done).toBe(true);
  });

  it("resumes from the checkpoint of page 1 and reads the rest exactly once", async () => {
    if (s.queries.length < 2) return;
    const t = tenant(`resume-${s.style}`);
    await t.seed({ count: 250 });
    const cfg = styleConfig(t.baseUrl, s);
    const first: Page[] = [];
    for await (const page of restApiConnector.read(context().ctx, cfg, readRequest(cfg, "items", "full_refresh"))) {
      first.push(page);
      break;
    }
    const checkpoint = JSON.parse(JSON.stringify(first[0]?.checkpoint)) as JsonObject;
    await t.clearRequests();
    const rest = await readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh", null, checkpoint));
    const all = [...ids(first), ...ids(rest)];
    expect(all).toHaveLength(250);
    expect(new Set(all).size).toBe(250);
    expect((await t.requests()).map((r) => r.query)).toEqual(s.queries.slice(1));
  });
});

describe("incremental", () => {
  const page = STYLES[0];

  it("reads everything on the first run, then sends the greatest cursor minus the lookback, inclusive", async () => {
    const t = tenant("incr");
    await t.seed({ count: 30 });
    const cfg = config({
      base_url: t.baseUrl,
      paginator: page.paginator,
      streams: [
        { name: "items", primary_key: "id", ...page.stream, incremental: { cursor_field: "updated_at", param: "updated_since", lookback_seconds: 90 } },
      ],
    });

    const first = await readAll(context().ctx, cfg, readRequest(cfg, "items", "incremental"));
    expect(ids(first)).toHaveLength(30);
    const state = first.at(-1)?.state as JsonObject;
    const newest = first.flatMap((p) => p.records).at(-1)?.updated_at;
    expect(state).toEqual({ cursor: newest });
    expect((await t.requests())[0]?.query).not.toHaveProperty("updated_since");

    const touched = await t.touch({ ids: [4, 17] });
    await t.clearRequests();
    const second = await readAll(context().ctx, cfg, readRequest(cfg, "items", "incremental", state));
    const since = new Date(Date.parse(String(newest)) - 90_000).toISOString().replace(".000Z", "Z");
    expect((await t.requests())[0]?.query).toEqual({ page: "1", per_page: "100", updated_since: since });

    const records = second.flatMap((p) => p.records);
    expect(records.map((r) => r.id)).toEqual(expect.arrayContaining([4, 17]));
    expect(records.every((r) => String(r.updated_at) >= since)).toBe(true);
    // The lookback re-reads the newest items of the previous run; the warehouse merges them by primary key.
    expect(records.length).toBeGreaterThan(2);
    expect(second.at(-1)?.state).toEqual({ cursor: touched.updated_at });
  });

  it("keeps the committed cursor when nothing changed, and sends no bound on full_refresh", async () => {
    const t = tenant("incr-idle");
    await t.seed({ count: 5 });
    const cfg = styleConfig(t.baseUrl, STYLES[5]);
    const committed = { cursor: "2030-01-01T00:00:00Z" };
    const idle = await readAll(context().ctx, cfg, readRequest(cfg, "items", "incremental", committed));
    expect(ids(idle)).toEqual([]);
    expect(idle.at(-1)?.state).toEqual(committed);

    await t.clearRequests();
    const full = await readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh", committed));
    expect(ids(full)).toHaveLength(5);
    expect((await t.requests())[0]?.query).toEqual({});
  });
});

describe("auth", () => {
  const all = STYLES[5];
  it.each([
    ["bearer", { type: "bearer", token: "tok-1" }, (r: { headers: Record<string, string> }) => r.headers.authorization === "Bearer tok-1"],
    ["api_key header", { type: "api_key", name: "X-API-Key", in: "header", value: "k-1" }, (r: { headers: Record<string, string> }) => r.headers["x-api-key"] === "k-1"],
    ["api_key query", { type: "api_key", name: "api_key", in: "query", value: "k-2" }, (r: { query: Record<string, string> }) => r.query.api_key === "k-2"],
    ["basic", { type: "basic", username: "ana", password: "p:ss wörd" }, (r: { headers: Record<string, string> }) => r.headers.authorization?.startsWith("Basic ") === true],
  ])("%s: reads when the credential is right", async (_name, auth, sentIt) => {
    const t = tenant("auth");
    await t.seed({ count: 3, auth });
    const cfg = styleConfig(t.baseUrl, all, { auth });
    expect(ids(await readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh")))).toHaveLength(3);
    const log = await t.requests();
    expect(log).toHaveLength(1);
    expect(sentIt(log[0] as never)).toBe(true);
  });

  it("a wrong credential is a configuration error naming the API's answer; check() says the same", async () => {
    const t = tenant("auth-bad");
    await t.seed({ count: 3, auth: { type: "bearer", token: "right" } });
    const cfg = styleConfig(t.baseUrl, all, { auth: { type: "bearer", token: "wrong-token" } });
    const expected = { kind: "configuration", message: expect.stringContaining("(HTTP 401): unauthorized") };
    await expect(readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh"))).rejects.toMatchObject(expected);
    await expect(restApiConnector.check(context().ctx, cfg)).rejects.toMatchObject(expected);
    expect(await t.requests()).toHaveLength(2);
  });

  it("a draft config without its secret fails before sending anything", async () => {
    const t = tenant("auth-draft");
    await t.seed({ count: 1 });
    const cfg = styleConfig(t.baseUrl, all, { auth: { type: "bearer" } });
    await expect(readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh"))).rejects.toMatchObject({
      kind: "configuration",
      message: "auth.token is not set",
    });
    expect(await t.requests()).toHaveLength(0);
  });
});

describe("check", () => {
  it("reads the first page of the first stream", async () => {
    const t = tenant("check");
    await t.seed({ count: 250 });
    const cfg = styleConfig(t.baseUrl, STYLES[0]);
    await restApiConnector.check(context().ctx, cfg);
    expect((await t.requests()).map((r) => r.query)).toEqual([{ page: "1", per_page: "100" }]);
  });

  it("rejects a wrong records_path and a wrong path with messages a user can act on", async () => {
    const t = tenant("check-bad");
    await t.seed({ count: 2 });
    const wrongPath = config({ base_url: t.baseUrl, streams: [{ name: "items", path: "/page/items", records_path: "data" }] });
    await expect(restApiConnector.check(context().ctx, wrongPath)).rejects.toMatchObject({
      kind: "configuration",
      message: 'records_path "data" is not an array (found nothing); the body has keys: items, meta',
    });
    const missing = config({ base_url: t.baseUrl, streams: [{ name: "items", path: "/nope/items" }] });
    await expect(restApiConnector.check(context().ctx, missing)).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringMatching(/^not found: 127\.0\.0\.1:\d+\/t\/check-bad-\w+\/nope\/items \(HTTP 404\)/),
    });
  });
});

describe("faults", () => {
  const cursorStyle = STYLES[2];

  it("waits out 429s as Retry-After says (seconds and HTTP-date), then completes", async () => {
    const t = tenant("f429");
    await t.seed({ count: 120 });
    await t.faults({ fail_first: 1, status_first: 429, retry_after: 2 });
    const cfg = styleConfig(t.baseUrl, cursorStyle);
    const seconds = context();
    expect(ids(await readAll(seconds.ctx, cfg, readRequest(cfg, "items", "full_refresh")))).toHaveLength(120);
    expect(seconds.sleeps).toEqual([2000]);

    await t.faults({ fail_first: 2, status_first: 429, retry_after: "date" });
    const dated = context();
    expect(ids(await readAll(dated.ctx, cfg, readRequest(cfg, "items", "full_refresh")))).toHaveLength(120);
    expect(dated.sleeps).toHaveLength(2);
    for (const ms of dated.sleeps) expect(ms).toBeGreaterThan(0);
    for (const ms of dated.sleeps) expect(ms).toBeLessThanOrEqual(3000);
  });

  it("retries 500s with backoff, and a reset connection, and a truncated body", async () => {
    const t = tenant("f500");
    await t.seed({ count: 250 });
    const cfg = styleConfig(t.baseUrl, cursorStyle);
    for (const fault of [{ fail_first: 3, status_first: 500 }, { rate_reset: 0.5, seed: 7 }, { rate_malformed: 0.5, seed: 3 }]) {
      await t.faults(fault);
      await t.clearRequests();
      const run = context({ random: () => 0.5 });
      const pages = await readAll(run.ctx, cfg, readRequest(cfg, "items", "full_refresh"));
      expect(new Set(ids(pages)).size).toBe(250);
      expect(ids(pages)).toHaveLength(250);
      const sent = (await t.requests()).length;
      expect(sent).toBeGreaterThan(3);
      expect(run.sleeps.length).toBe(sent - 3);
    }
  });

  it("hands a persistent failure to the engine as retryable, with the status", async () => {
    const t = tenant("fdead");
    await t.seed({ count: 10 });
    await t.faults({ fail_first: 100, status_first: 503 });
    const cfg = styleConfig(t.baseUrl, cursorStyle);
    await expect(readAll(context({ maxAttempts: 3 }).ctx, cfg, readRequest(cfg, "items", "full_refresh"))).rejects.toMatchObject({
      kind: "retryable",
      details: { status: 503 },
    });
    expect(await t.requests()).toHaveLength(3);
  });

  it("times out a slow answer and reports it as retryable", async () => {
    const t = tenant("fslow");
    await t.seed({ count: 10 });
    await t.faults({ slow_ms: 2000 });
    const cfg = styleConfig(t.baseUrl, cursorStyle);
    await expect(readAll(context({ timeoutMs: 100, maxAttempts: 2 }).ctx, cfg, readRequest(cfg, "items", "full_refresh"))).rejects.toMatchObject({
      kind: "retryable",
      message: expect.stringContaining("timed out"),
    });
  });
});

describe("hosts", () => {
  it("reaches a production hostname through HOST_OVERRIDES in development", async () => {
    const t = tenant("override");
    await t.seed({ count: 120 });
    const cfg = styleConfig(t.productionBaseUrl, STYLES[3]);
    const pages = await readAll(context().ctx, cfg, readRequest(cfg, "items", "full_refresh"));
    expect(ids(pages)).toHaveLength(120);
    expect((await t.requests()).map((r) => r.headers.host)).toEqual([`127.0.0.1:${fakePort()}`, `127.0.0.1:${fakePort()}`]);
  });

  it("refuses an http or loopback base_url outside development mode", async () => {
    const t = tenant("prod");
    await t.seed({ count: 1 });
    const cfg = styleConfig(t.baseUrl, STYLES[5]);
    await expect(restApiConnector.check(context({ development: false }).ctx, cfg)).rejects.toMatchObject({ kind: "configuration" });
    expect(await t.requests()).toHaveLength(0);
  });
});
