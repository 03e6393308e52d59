import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startFakeRestApi } from "../fakes/rest-api/server";
import type { LoggedRequest } from "../fakes/rest-api/tenant";

interface Item {
  id: number;
  name: string;
  status: string;
  amount: number;
  updated_at: string;
  created_at: string;
  tags: string[];
  owner: { id: number; email: string };
}


type Style = "page" | "offset" | "cursor" | "next-url" | "link";
const STYLES: Style[] = ["page", "offset", "cursor", "next-url", "link"];

let fake: RunningFake;
let base: string;
let tenantCount = 0;

beforeAll(async () => {
  fake = await startFakeRestApi({ port: 0 });
  base = `http://127.0.0.1:${fake.port}`;
});
afterAll(() => fake.close());

/** A fresh tenant name per test: tests never share data, faults or logs. */
function newTenant(label: string): string {
  tenantCount += 1;
  return `${label}-${tenantCount}`;
}

async function control(tenant: string, action: string, body?: unknown, method = "POST") {
  const response = await fetch(`${base}/t/${tenant}/_control/${action}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function seed(tenant: string, body: Record<string, unknown>): Promise<void> {
  const { status } = await control(tenant, "seed", body);
  expect(status).toBe(200);
}

async function faults(tenant: string, body: Record<string, unknown>): Promise<void> {
  const { status } = await control(tenant, "faults", body);
  expect(status).toBe(200);
}

async function loggedRequests(tenant: string): Promise<LoggedRequest[]> {
  const response = await fetch(`${base}/t/${tenant}/_control/requests`);
  return (await response.json()) as LoggedRequest[];
}

async function get<T>(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url.startsWith("http") ? url : `${base}${url}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as T };
}

function path(tenant: string, style: string, params: Record<string, string | number> = {}): string {
  const query = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]));
  return `/t/${tenant}/${style}/items${query.size > 0 ? `?${query}` : ""}`;
}

async function allItems(tenant: string, params: Record<string, string> = {}): Promise<Item[]> {
  const { status, body } = await get<Item[]>(path(tenant, "all", params));
  expect(status).toBe(200);
  return body;
}

function nextFromLink(header: string | null): string | undefined {
  return header?.split(",").find((part) => /;\s*rel="next"/.test(part))?.match(/<([^>]+)>/)?.[1];
}

/** Walks one paginator style to its end, the way its docs say a client should, and returns every item in order. */
async function walk(tenant: string, style: Style, size: number, filter: Record<string, string> = {}): Promise<Item[]> {
  const items: Item[] = [];
  if (style === "page") {
    for (let page = 1; ; page++) {
      const { body } = await get<{ items: Item[]; meta: { total_pages: number } }>(
        path(tenant, "page", { ...filter, page, per_page: size }),
      );
      items.push(...body.items);
      if (page >= body.meta.total_pages) return items;
    }
  }
  if (style === "offset") {
    for (let offset = 0; ; offset += size) {
      const { body } = await get<{ data: Item[]; total: number }>(path(tenant, "offset", { ...filter, offset, limit: size }));
      items.push(...body.data);
      if (offset + size >= body.total) return items;
    }
  }
  if (style === "cursor") {
    let after: string | null = null;
    do {
      const params: Record<string, string | number> = { ...filter, limit: size, ...(after ? { after } : {}) };
      const { body } = await get<{ results: Item[]; next_cursor: string | null }>(path(tenant, "cursor", params));
      items.push(...body.results);
      after = body.next_cursor;
    } while (after);
    return items;
  }
  let next: string | undefined = `${base}${path(tenant, style, { ...filter, [style === "link" ? "per_page" : "limit"]: size })}`;
  while (next) {
    const response = await get<Item[] | { data: Item[]; links: { next: string | null } }>(next);
    if (Array.isArray(response.body)) {
      items.push(...response.body);
      next = nextFromLink(response.headers.get("link"));
    } else {
      items.push(...response.body.data);
      next = response.body.links.next ?? undefined;
    }
  }
  return items;
}

const ids = (items: Item[]) => items.map((item) => item.id);

describe("dataset", () => {
  it("creates a tenant lazily with 1,000 deterministic items in (updated_at, id) order, with ties", async () => {
    const tenant = newTenant("default");
    const items = await allItems(tenant);
    expect(items).toHaveLength(1000);
    expect(new Set(ids(items))).toEqual(new Set(Array.from({ length: 1000 }, (_, index) => index + 1)));
    for (let index = 1; index < items.length; index++) {
      const [previous, current] = [items[index - 1]!, items[index]!];
      const ordered =
        previous.updated_at < current.updated_at || (previous.updated_at === current.updated_at && previous.id < current.id);
      expect(ordered).toBe(true);
    }
    const perSecond = new Map<string, number>();
    for (const item of items) perSecond.set(item.updated_at, (perSecond.get(item.updated_at) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeGreaterThanOrEqual(3);
    expect(ids(items).slice(0, 5)).not.toEqual([1, 2, 3, 4, 5]);

    for (const item of items) {
      expect(item.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(item.created_at <= item.updated_at).toBe(true);
      expect(["active", "archived"]).toContain(item.status);
      expect(Math.round(item.amount * 100)).toBeCloseTo(item.amount * 100, 6);
      expect(Array.isArray(item.tags)).toBe(true);
      expect(item.owner.email).toMatch(/^owner\d+@example\.com$/);
    }
    expect(items.find((item) => item.id === 10)).toMatchObject({ name: "Item 10", status: "archived", tags: ["green", "vip"] });
    expect(await allItems(newTenant("default-again"))).toEqual(items);
  });
});

describe("paginators", () => {
  it.each(STYLES)("%s walks every item exactly once, in the same order as /all", async (style) => {
    const tenant = newTenant(`walk-${style}`);
    await seed(tenant, { count: 250 });
    const expected = ids(await allItems(tenant));
    expect(expected).toHaveLength(250);
    await control(tenant, "requests", undefined, "DELETE");

    expect(ids(await walk(tenant, style, 37))).toEqual(expected);
    const log = await loggedRequests(tenant);
    expect(log).toHaveLength(7);
    expect(log.every((entry) => entry.method === "GET" && entry.path === `/t/${tenant}/${style}/items`)).toBe(true);
    const sent = (param: string) => log.map((entry) => entry.query[param]);
    if (style === "page") expect(sent("page")).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    if (style === "link") expect(sent("page")).toEqual([undefined, "2", "3", "4", "5", "6", "7"]);
    if (style === "offset") expect(sent("offset")).toEqual(["0", "37", "74", "111", "148", "185", "222"]);
    if (style === "cursor" || style === "next-url") {
      const cursors = sent(style === "cursor" ? "after" : "cursor");
      expect(cursors[0]).toBeUndefined();
      expect(new Set(cursors.slice(1)).size).toBe(6);
    }
  });

  it("link: GitHub-shaped relations, absolute URLs, none on a single page", async () => {
    const tenant = newTenant("link-shape");
    await seed(tenant, { count: 25 });
    const middle = await get<Item[]>(path(tenant, "link", { page: 2, per_page: 10, updated_since: "2024-01-01T00:00:00Z" }));
    const link = middle.headers.get("link") ?? "";
    const relations = [...link.matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)].map((match) => [match[2], match[1]]);
    const target = (page: number) =>
      `${base}/t/${tenant}/link/items?page=${page}&per_page=10&updated_since=2024-01-01T00%3A00%3A00Z`;
    expect(relations).toEqual([
      ["prev", target(1)],
      ["next", target(3)],
      ["last", target(3)],
      ["first", target(1)],
    ]);
    expect(middle.headers.get("x-total-count")).toBe("25");
    const last = await get<Item[]>(path(tenant, "link", { page: 3, per_page: 10 }));
    expect(last.body).toHaveLength(5);
    expect(nextFromLink(last.headers.get("link"))).toBeUndefined();
    const single = await get<Item[]>(path(tenant, "link", { per_page: 100 }));
    expect(single.headers.get("link")).toBeNull();
  });

  it("answers past the end with an empty page and the last cursor page with null", async () => {
    const tenant = newTenant("ends");
    await seed(tenant, { count: 10 });
    const page = await get<{ items: Item[]; meta: unknown }>(path(tenant, "page", { page: 99, per_page: 5 }));
    expect(page.body).toEqual({ items: [], meta: { page: 99, per_page: 5, total_pages: 2, total: 10 } });
    const offset = await get<{ data: Item[]; total: number }>(path(tenant, "offset", { offset: 50 }));
    expect(offset.body).toEqual({ data: [], total: 10 });
    const cursor = await get<{ results: Item[]; next_cursor: string | null }>(path(tenant, "cursor", { limit: 10 }));
    expect(cursor.body.results).toHaveLength(10);
    expect(cursor.body.next_cursor).toBeNull();
    const nextUrl = await get<{ data: Item[]; links: { next: string | null } }>(path(tenant, "next-url", { limit: 9 }));
    expect(nextUrl.body.links.next).not.toBeNull();
    const rest = await get<{ data: Item[]; links: { next: string | null } }>(nextUrl.body.links.next!);
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.links.next).toBeNull();
  });

  it("defaults to 100 per page and caps larger sizes at 1,000", async () => {
    const tenant = newTenant("sizes");
    await seed(tenant, { count: 1500 });
    const defaults = await get<{ items: Item[]; meta: Record<string, number> }>(path(tenant, "page"));
    expect(defaults.body.items).toHaveLength(100);
    expect(defaults.body.meta).toEqual({ page: 1, per_page: 100, total_pages: 15, total: 1500 });
    const capped = await get<{ items: Item[]; meta: Record<string, number> }>(path(tenant, "page", { per_page: 5000 }));
    expect(capped.body.items).toHaveLength(1000);
    expect(capped.body.meta).toEqual({ page: 1, per_page: 1000, total_pages: 2, total: 1500 });
    expect((await get<{ data: Item[] }>(path(tenant, "offset"))).body.data).toHaveLength(100);
    expect((await get<{ data: Item[] }>(path(tenant, "offset", { limit: 5000 }))).body.data).toHaveLength(1000);
    expect((await get<{ results: Item[] }>(path(tenant, "cursor", { limit: 5000 }))).body.results).toHaveLength(1000);
    expect((await get<Item[]>(path(tenant, "link", { per_page: 5000 }))).body).toHaveLength(1000);
    const nextUrl = await get<{ data: Item[]; links: { next: string } }>(path(tenant, "next-url", { limit: 5000 }));
    expect(nextUrl.body.data).toHaveLength(1000);
    expect(new URL(nextUrl.body.links.next).searchParams.get("limit")).toBe("1000");
  });

  it("answers bad parameters with 400 and a JSON error", async () => {
    const tenant = newTenant("bad-params");
    const cursor = (await get<{ next_cursor: string }>(path(tenant, "cursor", { limit: 1 }))).body.next_cursor;
    expect(cursor).toMatch(/^\+\+\+\//);
    const bad = [
      path(tenant, "page", { page: 0 }),
      path(tenant, "page", { page: "two" }),
      path(tenant, "page", { per_page: 0 }),
      path(tenant, "offset", { offset: -1 }),
      path(tenant, "offset", { limit: 1.5 }),
      path(tenant, "cursor", { after: "not-a-cursor" }),
      path(tenant, "next-url", { cursor: Buffer.from('{"u":1,"i":2}').toString("base64") }),
      // A cursor put into the URL without encoding: its "+" arrives as a space.
      `/t/${tenant}/cursor/items?after=${cursor}`,
      path(tenant, "all", { updated_since: "yesterday" }),
      path(tenant, "all", { updated_since: "2024-01-01T00:00:00" }),
    ];
    for (const url of bad) {
      const response = await get<{ error: string }>(url);
      expect(response.status, url).toBe(400);
      expect(typeof response.body.error).toBe("string");
    }
    expect((await get(path(tenant, "cursor", { after: cursor }))).status).toBe(200);
  });
});

describe("updated_since", () => {
  it("is inclusive, keeps every item of a tied second, and filters every paginator alike", async () => {
    const tenant = newTenant("since");
    await seed(tenant, { count: 300 });
    const items = await allItems(tenant);
    const tied = items.find((item, index) => index > 100 && items[index + 1]?.updated_at === item.updated_at);
    const since = tied!.updated_at;
    const expected = items.filter((item) => item.updated_at >= since);
    const tieGroup = items.filter((item) => item.updated_at === since);
    expect(tieGroup.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(items.length);

    expect(ids(await allItems(tenant, { updated_since: since }))).toEqual(ids(expected));
    for (const style of STYLES) expect(ids(await walk(tenant, style, 40, { updated_since: since })), style).toEqual(ids(expected));

    const justAfter = new Date(Date.parse(since) + 1).toISOString();
    expect(ids(await allItems(tenant, { updated_since: justAfter }))).toEqual(ids(expected.slice(tieGroup.length)));
    const withOffset = new Date(Date.parse(since) + 3_600_000).toISOString().replace(/\.000Z$/, "+01:00");
    expect(ids(await allItems(tenant, { updated_since: withOffset }))).toEqual(ids(expected));
    expect(ids(await allItems(tenant, { updated_since: since.slice(0, 10) }))).toEqual(ids(items));
    const meta = (await get<{ meta: { total: number } }>(path(tenant, "page", { updated_since: since }))).body.meta;
    expect(meta.total).toBe(expected.length);
  });
});

describe("touch and insert", () => {
  it("touch moves items to a new latest second and renames them; insert appends newer items", async () => {
    const tenant = newTenant("touch");
    await seed(tenant, { count: 30 });
    const before = await allItems(tenant);
    const newest = before.at(-1)!.updated_at;

    const touched = await control(tenant, "touch", { ids: [7, 5] });
    expect(touched.body.ids).toEqual([5, 7]);
    const touchedAt = touched.body.updated_at as string;
    expect(touchedAt > newest).toBe(true);
    const afterTouch = await allItems(tenant);
    expect(afterTouch).toHaveLength(30);
    expect(afterTouch.slice(-2)).toMatchObject([
      { id: 5, name: "Item 5 (rev 1)", updated_at: touchedAt },
      { id: 7, name: "Item 7 (rev 1)", updated_at: touchedAt },
    ]);
    expect(ids(await allItems(tenant, { updated_since: touchedAt }))).toEqual([5, 7]);

    const byCount = await control(tenant, "touch", { count: 3 });
    expect(byCount.body.ids).toEqual([1, 2, 3]);
    expect((byCount.body.updated_at as string) > touchedAt).toBe(true);

    const inserted = await control(tenant, "insert", { count: 4 });
    expect(inserted.body).toMatchObject({ count: 4, first_id: 31, last_id: 34 });
    const insertedAt = inserted.body.updated_at as string;
    expect(insertedAt > (byCount.body.updated_at as string)).toBe(true);
    const final = await allItems(tenant);
    expect(ids(final).slice(-9)).toEqual([5, 7, 1, 2, 3, 31, 32, 33, 34]);
    expect(ids(await allItems(tenant, { updated_since: insertedAt }))).toEqual([31, 32, 33, 34]);
    expect((await get<{ total: number }>(path(tenant, "offset"))).body.total).toBe(34);
  });

  it("a keyset walk never skips an item touched mid-walk; an already-read one comes again at the end", async () => {
    const tenant = newTenant("touch-mid-walk");
    await seed(tenant, { count: 30 });
    const order = ids(await allItems(tenant));
    const first = await get<{ results: Item[]; next_cursor: string }>(path(tenant, "cursor", { limit: 10 }));
    const [alreadyRead, notYetRead] = [order[0]!, order[20]!];
    await control(tenant, "touch", { ids: [alreadyRead, notYetRead] });
    const seen = ids(first.body.results);
    let after: string | null = first.body.next_cursor;
    while (after) {
      const page: { body: { results: Item[]; next_cursor: string | null } } = await get(path(tenant, "cursor", { limit: 10, after }));
      seen.push(...ids(page.body.results));
      after = page.body.next_cursor;
    }
    expect(new Set(seen)).toEqual(new Set(order));
    expect(seen.filter((id) => id === alreadyRead)).toHaveLength(2);
    expect(seen.filter((id) => id === notYetRead)).toHaveLength(1);
    expect(seen.slice(-2)).toEqual([alreadyRead, notYetRead].sort((a, b) => a - b));
  });

  it("rejects unknown ids and malformed control bodies", async () => {
    const tenant = newTenant("touch-bad");
    await seed(tenant, { count: 5 });
    expect((await control(tenant, "touch", { ids: [6] })).status).toBe(400);
    expect((await control(tenant, "touch", { ids: [1], count: 1 })).status).toBe(400);
    expect((await control(tenant, "insert", {})).status).toBe(400);
    expect((await control(tenant, "seed", { count: -1 })).status).toBe(400);
    expect((await control(tenant, "seed", { cuont: 5 })).status).toBe(400);
    expect((await control(tenant, "seed", { auth: { type: "oauth" } })).status).toBe(400);
    expect(await allItems(tenant)).toHaveLength(5);
  });
});

describe("auth", () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const cases = [
    {
      label: "bearer",
      rule: { type: "bearer", token: "s3cret" },
      accepted: [{ headers: { authorization: "Bearer s3cret" } }, { headers: { authorization: "bearer s3cret" } }],
      refused: [{}, { headers: { authorization: "Bearer wrong" } }, { headers: { authorization: "s3cret" } }],
      challenge: /^Bearer /,
    },
    {
      label: "api_key in a header",
      rule: { type: "api_key", name: "X-Api-Key", in: "header", value: "k1" },
      accepted: [{ headers: { "x-api-key": "k1" } }],
      refused: [{}, { headers: { "x-api-key": "k2" } }, { query: { "X-Api-Key": "k1" } }],
      challenge: null,
    },
    {
      label: "api_key in the query",
      rule: { type: "api_key", name: "api_key", in: "query", value: "k1" },
      accepted: [{ query: { api_key: "k1" } }],
      refused: [{ headers: { api_key: "k1" } }, { query: { api_key: "K1" } }],
      challenge: null,
    },
    {
      label: "basic",
      rule: { type: "basic", username: "ann", password: "p:w" },
      accepted: [{ headers: { authorization: basic("ann", "p:w") } }],
      refused: [{}, { headers: { authorization: basic("ann", "p") } }, { headers: { authorization: "Bearer p:w" } }],
      challenge: /^Basic /,
    },
  ];

  it.each(cases)("$label guards the item endpoints, never the control ones", async (testCase) => {
    const tenant = newTenant(`auth-${testCase.rule.type}`);
    await seed(tenant, { count: 12, auth: testCase.rule });
    const call = (attempt: { headers?: Record<string, string>; query?: Record<string, string> }) =>
      get<unknown>(path(tenant, "offset", { limit: 5, ...attempt.query }), attempt.headers);
    for (const attempt of testCase.accepted) {
      const response = await call(attempt);
      expect(response.status, JSON.stringify(attempt)).toBe(200);
      expect((response.body as { data: Item[] }).data).toHaveLength(5);
    }
    for (const attempt of testCase.refused) {
      const response = await call(attempt);
      expect(response.status, JSON.stringify(attempt)).toBe(401);
      expect(response.body).toEqual({ error: "unauthorized" });
      if (testCase.challenge) expect(response.headers.get("www-authenticate")).toMatch(testCase.challenge);
      else expect(response.headers.get("www-authenticate")).toBeNull();
    }
    expect(await loggedRequests(tenant)).toHaveLength(testCase.accepted.length + testCase.refused.length);
    await seed(tenant, { count: 12 });
    expect((await call({})).status).toBe(200);
  });
});

describe("faults", () => {
  it("429 with Retry-After in seconds, as an HTTP-date, or without it", async () => {
    const tenant = newTenant("f429");
    await faults(tenant, { rate_429: 1, retry_after: 7 });
    const seconds = await get<unknown>(path(tenant, "page"));
    expect(seconds.status).toBe(429);
    expect(seconds.body).toEqual({ error: "rate limited" });
    expect(seconds.headers.get("retry-after")).toBe("7");

    await faults(tenant, { rate_429: 1, retry_after: "date" });
    const dated = (await get<unknown>(path(tenant, "cursor"))).headers.get("retry-after");
    expect(dated).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);

    await faults(tenant, { rate_429: 1 });
    const bare = await get<unknown>(path(tenant, "offset"));
    expect(bare.status).toBe(429);
    expect(bare.headers.get("retry-after")).toBeNull();
  });

  it("500 carries a JSON error and no Retry-After", async () => {
    const tenant = newTenant("f500");
    await faults(tenant, { rate_500: 1, retry_after: 5 });
    const response = await get<unknown>(path(tenant, "all"));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: "injected failure" });
    expect(response.headers.get("retry-after")).toBeNull();
  });

  it("reset drops the connection without an answer", async () => {
    const tenant = newTenant("reset");
    await faults(tenant, { rate_reset: 1 });
    await expect(fetch(`${base}${path(tenant, "page")}`)).rejects.toThrow();
    expect((await loggedRequests(tenant)).length).toBeGreaterThanOrEqual(1);
    await faults(tenant, {});
    expect((await get(path(tenant, "page"))).status).toBe(200);
  });

  it("malformed answers 200 with the real body cut short", async () => {
    const tenant = newTenant("malformed");
    const url = `${base}${path(tenant, "page", { per_page: 3 })}`;
    const whole = await (await fetch(url)).text();
    await faults(tenant, { rate_malformed: 1 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(whole.length);
    expect(whole.startsWith(text)).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("slow holds the answer back, then answers correctly", async () => {
    const tenant = newTenant("slow");
    await seed(tenant, { count: 4 });
    await faults(tenant, { slow_ms: 30_000 });
    const held = fetch(`${base}${path(tenant, "all")}`, { signal: AbortSignal.timeout(300) });
    await expect(held).rejects.toThrow(/timeout|aborted/i);
    await faults(tenant, { slow_ms: 10 });
    expect(await allItems(tenant)).toHaveLength(4);
    expect(await loggedRequests(tenant)).toHaveLength(2);
  });

  it("fail_first fails exactly the first N item requests with status_first", async () => {
    const tenant = newTenant("fail-first");
    await faults(tenant, { fail_first: 2, status_first: 503, retry_after: 3 });
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await get<unknown>(path(tenant, "offset"));
      statuses.push([response.status, response.headers.get("retry-after")]);
    }
    expect(statuses).toEqual([
      [503, "3"],
      [503, "3"],
      [200, null],
      [200, null],
    ]);
    await faults(tenant, { fail_first: 1 });
    expect((await get(path(tenant, "offset"))).status).toBe(500);
    expect((await get(path(tenant, "offset"))).status).toBe(200);
  });

  it("probabilistic faults are reproducible for a seed", async () => {
    const tenant = newTenant("prng");
    const statuses = async (seedValue: number) => {
      await faults(tenant, { rate_429: 0.25, rate_500: 0.25, seed: seedValue });
      const seen: number[] = [];
      for (let attempt = 0; attempt < 24; attempt++) seen.push((await fetch(`${base}${path(tenant, "all")}`)).status);
      return seen;
    };
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 500]));
    expect(await statuses(43)).not.toEqual(first);
  });

  it("rejects invalid fault settings, and seed clears faults", async () => {
    const tenant = newTenant("fault-config");
    const invalid = [
      { rate_429: 2 },
      { rate_429: 0.6, rate_500: 0.6 },
      { rate_50O: 1 },
      { retry_after: "soon" },
      { slow_ms: -1 },
      { status_first: 200 },
    ];
    for (const body of invalid) {
      expect((await control(tenant, "faults", body)).status, JSON.stringify(body)).toBe(400);
    }
    await faults(tenant, { rate_500: 1 });
    expect((await get(path(tenant, "all"))).status).toBe(500);
    await seed(tenant, { count: 3 });
    expect(await allItems(tenant)).toHaveLength(3);
  });
});

describe("request log", () => {
  it("records method, path, query and lowercased headers of item requests only; DELETE clears it", async () => {
    const tenant = newTenant("log");
    await seed(tenant, { count: 20, auth: { type: "bearer", token: "t0k" } });
    await get(path(tenant, "offset", { offset: 5, limit: 5, updated_since: "2024-01-01T00:00:00Z" }), {
      Authorization: "Bearer t0k",
      "X-Custom-Thing": "Yes",
    });
    await get(path(tenant, "page"));
    await control(tenant, "faults", {});
    const log = await loggedRequests(tenant);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      method: "GET",
      path: `/t/${tenant}/offset/items`,
      query: { offset: "5", limit: "5", updated_since: "2024-01-01T00:00:00Z" },
      headers: { authorization: "Bearer t0k", "x-custom-thing": "Yes", host: `127.0.0.1:${fake.port}` },
    });
    expect(Object.keys(log[0]!.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(log[1]).toMatchObject({ path: `/t/${tenant}/page/items`, query: {} });
    expect(log[1]!.headers.authorization).toBeUndefined();

    expect((await control(tenant, "requests", undefined, "DELETE")).body).toEqual({ cleared: 2 });
    expect(await loggedRequests(tenant)).toEqual([]);
  });
});

describe("tenants and routes", () => {
  it("keeps data, auth, faults and logs per tenant", async () => {
    const [a, b] = [newTenant("iso-a"), newTenant("iso-b")];
    await seed(a, { count: 10, auth: { type: "bearer", token: "only-a" } });
    await faults(a, { rate_500: 1 });
    expect((await get(path(a, "all"))).status).toBe(401);
    expect((await get(path(a, "all"), { authorization: "Bearer only-a" })).status).toBe(500);
    expect(await allItems(b)).toHaveLength(1000);
    await control(b, "insert", { count: 1 });
    await faults(a, {});
    expect(await (await get<Item[]>(path(a, "all"), { authorization: "Bearer only-a" })).body).toHaveLength(10);
    expect(await loggedRequests(a)).toHaveLength(3);
    expect((await loggedRequests(b)).map((entry) => entry.path)).toEqual([`/t/${b}/all/items`]);
  });

  it("answers unknown routes 404 and wrong methods 405", async () => {
    const tenant = newTenant("routes");
    expect((await get(`/t/${tenant}/pages/items`)).status).toBe(404);
    expect((await get("/items")).status).toBe(404);
    expect((await get(`/t/${tenant}/_control/nothing`)).status).toBe(404);
    expect((await control(tenant, "seed", undefined, "GET")).status).toBe(405);
    const post = await fetch(`${base}${path(tenant, "page")}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
  });

  it("builds next links from the Host header: https for the production host, http for loopback", async () => {
    const tenant = newTenant("host");
    await seed(tenant, { count: 3 });
    const viaProductionHost = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port: fake.port, path: path(tenant, "next-url", { limit: 2 }), headers: { host: "api.example.com" } },
        (response) => {
          let text = "";
          response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
          response.on("end", () => resolve(text));
        },
      );
      request.on("error", reject);
      request.end();
    });
    const next = (JSON.parse(viaProductionHost) as { links: { next: string } }).links.next;
    expect(next).toMatch(new RegExp(`^https://api\\.example\\.com/t/${tenant}/next-url/items\\?`));
    const local = await get<{ links: { next: string } }>(path(tenant, "next-url", { limit: 2 }));
    expect(local.body.links.next.startsWith(`${base}/t/${tenant}/next-url/items?`)).toBe(true);
    const rest = await get<{ data: Item[] }>(`${base}${new URL(next).pathname}${new URL(next).search}`);
    expect(rest.body.data).toHaveLength(1);
  });
});

describe("scale", () => {
  it("serves 200,000 items in pages of 100", async () => {
    const tenant = newTenant("scale");
    await seed(tenant, { count: 200_000 });
    const items = await walk(tenant, "page", 100);
    expect(items).toHaveLength(200_000);
    expect(new Set(ids(items)).size).toBe(200_000);
    expect(await loggedRequests(tenant)).toHaveLength(2000);
  });
});

describe("cli", () => {
  it("runs under plain Node and prints where it listens", async () => {
    const cli = fileURLToPath(new URL("../fakes/rest-api/cli.ts", import.meta.url).href);
    const child = spawn(process.execPath, [cli, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8");
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
        child.on("exit", (code) => reject(new Error(`cli exited with ${code}: ${output}`)));
      });
      const response = await fetch(`${address}/t/cli/page/items?per_page=2`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { meta: { total: number } }).meta.total).toBe(1000);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
});
