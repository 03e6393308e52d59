/**
 * Report streams (kit/report.ts) against a tiny fake per-day report API: the date ranges each run requests (exactly
 * the lookback window, the first run's start, the retention clamp, the account's own "today"), resuming from a
 * checkpoint in the middle of a slice, and the catalog entry a report's dimensions and metrics make.
 */
import { describe, expect, it } from "vitest";
import type { ConnectorContext, JsonObject, Page, ReadRequest } from "../../connectors/kit/contract";
import type { HttpClient } from "../../connectors/kit/http";
import {
  addDays,
  type DateRange,
  type ReportRead,
  type ReportReader,
  readReport,
  reportRange,
  reportStreamSpec,
  todayIn,
} from "../../connectors/kit/report";
import { failure, testClient } from "./fake-fetch";

const API = "https://reports.example.com/v1";
const COUNTRIES = ["DE", "FR", "US"];
const RETENTION_DAYS = 30;

/**
 * A per-day report API in the shape GA4 and the ads APIs share: a date range in the query, rows per day and
 * dimension with the day as `YYYYMMDD`, page tokens, the account's time zone from its own endpoint, and a 400 for a
 * range that starts before its retention or ends after the account's today. `restate()` revises every figure, as
 * these APIs do for recent days.
 */
function reportApi(timeZone: string, now: () => Date) {
  let revision = 0;
  const clicks = (day: string, country: string) => (Number(day.replaceAll("-", "")) % 97) * 10 + COUNTRIES.indexOf(country) + revision * 1000;
  const { http, sent } = testClient((request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v1/account") return Response.json({ id: "acc-1", time_zone: timeZone });
    if (url.pathname !== "/v1/report") return Response.json({ error: { message: "no such route" } }, { status: 404 });
    const q = url.searchParams;
    const start = q.get("start_date") ?? "";
    const end = q.get("end_date") ?? "";
    const today = todayIn(timeZone, now());
    if (start < addDays(today, -RETENTION_DAYS)) return Response.json({ error: { message: "start_date is older than the data retention" } }, { status: 400 });
    if (end > today || start > end) return Response.json({ error: { message: `bad range ${start}..${end}` } }, { status: 400 });
    const rows: Array<Record<string, unknown>> = [];
    for (let day = start; day <= end; day = addDays(day, 1)) {
      for (const country of COUNTRIES) rows.push({ day: day.replaceAll("-", ""), country, clicks: clicks(day, country) });
    }
    const size = Number(q.get("page_size") ?? 100);
    const offset = Number(q.get("page_token") ?? 0);
    const next = offset + size < rows.length ? String(offset + size) : undefined;
    return Response.json({ rows: rows.slice(offset, offset + size), ...(next ? { next_page_token: next } : {}) });
  });
  const reports = () =>
    sent
      .map((r) => new URL(r.url))
      .filter((u) => u.pathname === "/v1/report")
      .map((u) => `${u.searchParams.get("start_date")}..${u.searchParams.get("end_date")}${u.searchParams.has("page_token") ? ` @${u.searchParams.get("page_token")}` : ""}`);
  return { http, sent, reports, restate: () => revision++, clicks };
}

/** How a connector would write its reader for that API: one page of a slice, the day reshaped to a date. */
function reader(http: HttpClient, pageSize: number): ReportReader {
  return {
    async page(slice: DateRange, position) {
      const body = await http.getJson<{ rows: Array<{ day: string; country: string; clicks: number }>; next_page_token?: string }>({
        url: `${API}/report`,
        query: { start_date: slice.from, end_date: slice.to, page_size: pageSize, page_token: position as string | null },
      });
      const records = body.rows.map((row) => ({ date: `${row.day.slice(0, 4)}-${row.day.slice(4, 6)}-${row.day.slice(6)}`, country: row.country, clicks: row.clicks }));
      return { records, next: body.next_page_token ?? null };
    },
  };
}

const spec = reportStreamSpec({
  name: "clicks_by_country",
  account: { field: "account_id", type: "string" },
  dimensions: { country: "string" },
  metrics: { clicks: "integer" },
});

function request(syncMode: "incremental" | "full_refresh", state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: spec, sync_mode: syncMode, state, checkpoint };
}

/** A run as a connector would start it: the account's time zone from the API, then the report read. */
async function run(
  api: ReturnType<typeof reportApi>,
  now: Date,
  req: ReadRequest,
  options: Partial<ReportRead> & { pageSize?: number; stopAfter?: number } = {},
): Promise<Page[]> {
  const ctx: ConnectorContext = { http: api.http, signal: new AbortController().signal, now: () => now };
  const account = await api.http.getJson<{ id: string; time_zone: string }>({ url: `${API}/account` });
  const { pageSize = 100, stopAfter, ...window } = options;
  const read: ReportRead = {
    today: todayIn(account.time_zone, ctx.now()),
    lookbackDays: 3,
    retentionDays: RETENTION_DAYS,
    fields: { account_id: account.id },
    ...window,
  };
  const pages: Page[] = [];
  for await (const page of readReport(ctx, req, read, reader(ctx.http, pageSize))) {
    pages.push(JSON.parse(JSON.stringify(page)) as Page);
    if (pages.length === stopAfter) break;
  }
  return pages;
}

async function collect(pages: AsyncIterable<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const rows = (pages: Page[]) => pages.flatMap((p) => p.records);
const keys = (pages: Page[]) => rows(pages).map((r) => `${r.date}/${r.country}`);
const days = (from: string, to: string) => {
  const out: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) out.push(day);
  return out;
};

// 2026-03-10 17:00 UTC is 10:00 in Los Angeles (PDT since March 8).
const NOW = new Date("2026-03-10T17:00:00Z");
const TZ = "America/Los_Angeles";

describe("report stream catalog entry", () => {
  it("keys rows by account, date and dimensions, with the date as cursor and every column typed", () => {
    expect(spec).toMatchObject({
      name: "clicks_by_country",
      primary_key: ["account_id", "date", "country"],
      cursor_field: "date",
      supported_sync_modes: ["full_refresh", "incremental"],
    });
    expect(spec.json_schema?.properties).toEqual({
      account_id: { type: "string" },
      date: { type: "string", format: "date" },
      country: { type: "string" },
      clicks: { type: ["integer", "null"] },
    });
  });

  it("refuses a report whose fields collide with the date or each other", () => {
    expect(() => reportStreamSpec({ name: "r", dimensions: { date: "string" }, metrics: {} })).toThrow(/"date" is defined twice/);
    expect(() => reportStreamSpec({ name: "r", dimensions: { country: "string" }, metrics: { country: "integer" } })).toThrow(/"country"/);
  });
});

describe("report stream reads", () => {
  it("first run: from the retention limit when start_date is older, one slice per day up to the account's today, every row once", async () => {
    const api = reportApi(TZ, () => NOW);
    const pages = await run(api, NOW, request("incremental"), { startDate: "2025-01-01", pageSize: 2 });
    const expectedDays = days("2026-02-08", "2026-03-10");
    expect(expectedDays).toHaveLength(RETENTION_DAYS + 1);
    // Three rows a day, two a page: each day is two requests, the second continuing from the first's token.
    expect(api.reports()).toEqual(expectedDays.flatMap((d) => [`${d}..${d}`, `${d}..${d} @2`]));
    expect(keys(pages)).toEqual(expectedDays.flatMap((d) => COUNTRIES.map((c) => `${d}/${c}`)));
    expect(rows(pages)[0]).toEqual({ date: "2026-02-08", country: "DE", clicks: api.clicks("2026-02-08", "DE"), account_id: "acc-1" });
    expect(pages.at(-1)).toMatchObject({ state: { cursor: "2026-03-10" }, checkpoint: { done: true } });
    // A page inside a slice keeps the last whole day as the state, never a day it has only begun.
    expect(pages[2]).toMatchObject({ state: { cursor: "2026-02-08" }, checkpoint: { slice: { from: "2026-02-09" }, position: "2" } });
    expect(pages[0]!.state).toBeUndefined();
  });

  it("first run without start_date reads two years back, clamped to the retention the reader gives", () => {
    expect(reportRange(null, { today: "2026-03-10", lookbackDays: 3 })).toEqual({ from: "2024-03-10", to: "2026-03-10" });
    expect(reportRange(null, { today: "2026-03-10", lookbackDays: 3, retentionDays: 400 })).toEqual({ from: "2025-02-03", to: "2026-03-10" });
    expect(reportRange(null, { today: "2026-03-10", lookbackDays: 3, startDate: "2026-03-01", endDate: "2026-03-04" })).toEqual({ from: "2026-03-01", to: "2026-03-04" });
    expect(reportRange(null, { today: "2026-03-10", lookbackDays: 3, startDate: "2026-04-01" })).toBeNull();
  });

  it("an incremental run re-reads exactly (committed − lookback_days) to today, and the restated figures replace the old ones", async () => {
    let clock = NOW;
    const api = reportApi(TZ, () => clock);
    const first = await run(api, NOW, request("incremental", { cursor: "2026-03-01" }), { lookbackDays: 3 });
    expect(api.reports()).toEqual(days("2026-02-26", "2026-03-10").map((d) => `${d}..${d}`));
    const state = first.at(-1)!.state!;
    expect(state).toEqual({ cursor: "2026-03-10" });

    api.restate();
    api.sent.length = 0;
    clock = new Date("2026-03-11T17:00:00Z");
    const second = await run(api, clock, request("incremental", state), { lookbackDays: 3 });
    expect(api.reports()).toEqual(["2026-03-07..2026-03-07", "2026-03-08..2026-03-08", "2026-03-09..2026-03-09", "2026-03-10..2026-03-10", "2026-03-11..2026-03-11"]);
    // Same keys as the first run's rows for those days, new values: the warehouse merges them in place.
    const restated = rows(second).find((r) => r.date === "2026-03-08" && r.country === "FR")!;
    const before = rows(first).find((r) => r.date === "2026-03-08" && r.country === "FR")!;
    expect(restated.clicks).toBe((before.clicks as number) + 1000);
    expect(second.at(-1)!.state).toEqual({ cursor: "2026-03-11" });
  });

  it("walks the window in slices of several days when asked, the last slice cut at today", async () => {
    const api = reportApi(TZ, () => NOW);
    await run(api, NOW, request("incremental", { cursor: "2026-03-05" }), { lookbackDays: 2, sliceDays: 3 });
    expect(api.reports()).toEqual(["2026-03-03..2026-03-05", "2026-03-06..2026-03-08", "2026-03-09..2026-03-10"]);
  });

  it("never moves the state back: a lookback over days before the committed one keeps the committed date until a later day is read", async () => {
    const api = reportApi(TZ, () => NOW);
    const pages = await run(api, NOW, request("incremental", { cursor: "2026-03-09" }), { lookbackDays: 5 });
    expect(pages.map((p) => p.state?.cursor)).toEqual([...Array(6).fill("2026-03-09"), "2026-03-10"]);
  });

  it("resumes from a checkpoint in the middle of a slice with the reader's position, the same range, and reads the rest exactly once", async () => {
    const api = reportApi(TZ, () => NOW);
    const all = await run(api, NOW, request("incremental", { cursor: "2026-03-06" }), { pageSize: 2 });
    api.sent.length = 0;
    const head = await run(api, NOW, request("incremental", { cursor: "2026-03-06" }), { pageSize: 2, stopAfter: 5 });
    const checkpoint = head.at(-1)!.checkpoint;
    expect(checkpoint).toEqual({ from: "2026-03-03", to: "2026-03-10", slice: { from: "2026-03-05", to: "2026-03-05" }, position: "2", done: false });

    // The next chunk runs after midnight in the account's zone: the run's range stays the one it started with.
    api.sent.length = 0;
    const later = new Date("2026-03-11T09:00:00Z");
    const tail = await run(api, later, request("incremental", { cursor: "2026-03-06" }, checkpoint), { pageSize: 2 });
    expect(api.reports()[0]).toBe("2026-03-05..2026-03-05 @2");
    expect(api.reports().at(-1)).toBe("2026-03-10..2026-03-10 @2");
    expect([...keys(head), ...keys(tail)]).toEqual(keys(all));
    expect(tail.at(-1)!.state).toEqual({ cursor: "2026-03-10" });

    // A finished checkpoint reads nothing; a foreign one is refused.
    api.sent.length = 0;
    expect(await run(api, later, request("incremental", null, tail.at(-1)!.checkpoint))).toEqual([]);
    expect(api.reports()).toEqual([]);
    await expect(run(api, later, request("incremental", null, { next: null, done: false, cursor: null }))).rejects.toMatchObject({ kind: "data" });
  });

  it("ends today where the account is, not where UTC is", async () => {
    // 05:00 UTC on March 10 is still March 9 in Los Angeles; 12:00 UTC is already March 11 on Kiritimati (UTC+14).
    const early = new Date("2026-03-10T05:00:00Z");
    expect([todayIn("America/Los_Angeles", early), todayIn("UTC", early)]).toEqual(["2026-03-09", "2026-03-10"]);
    const behind = reportApi("America/Los_Angeles", () => early);
    await run(behind, early, request("incremental", { cursor: "2026-03-08" }), { lookbackDays: 0 });
    expect(behind.reports()).toEqual(["2026-03-08..2026-03-08", "2026-03-09..2026-03-09"]);

    const noon = new Date("2026-03-10T12:00:00Z");
    const ahead = reportApi("Pacific/Kiritimati", () => noon);
    const pages = await run(ahead, noon, request("incremental", { cursor: "2026-03-10" }), { lookbackDays: 0 });
    expect(ahead.reports()).toEqual(["2026-03-10..2026-03-10", "2026-03-11..2026-03-11"]);
    expect(pages.at(-1)!.state).toEqual({ cursor: "2026-03-11" });
    expect(() => todayIn("Mars/Olympus_Mons", noon)).toThrowError(expect.objectContaining({ kind: "data" }));
  });

  it("refuses a committed cursor that is not a date instead of reading from it", async () => {
    const api = reportApi(TZ, () => NOW);
    for (const cursor of ["yesterday", 20260301, "2026-03-01T00:00:00Z"]) {
      const error = await failure(run(api, NOW, request("incremental", { cursor })));
      expect(error).toMatchObject({ kind: "configuration", message: expect.stringContaining("is not a date") });
    }
    expect(api.reports()).toEqual([]);
  });

  it("full_refresh ignores the committed state and reads from start_date", async () => {
    const api = reportApi(TZ, () => NOW);
    await run(api, NOW, request("full_refresh", { cursor: "2026-03-09" }), { startDate: "2026-03-08" });
    expect(api.reports()).toEqual(["2026-03-08..2026-03-08", "2026-03-09..2026-03-09", "2026-03-10..2026-03-10"]);
  });

  it("hands a running report job back to the engine with its id in the checkpoint, and polls that job when resumed", async () => {
    const ctx: ConnectorContext = { http: testClient(() => Response.json({})).http, signal: new AbortController().signal, now: () => NOW };
    const calls: string[] = [];
    const jobs: ReportReader = {
      page: async (slice, position) => {
        calls.push(`${slice.from} ${JSON.stringify(position)}`);
        if (position === null) return { records: [], next: { job: `job-${slice.from}` }, resumeAfterSeconds: 30 };
        return { records: [{ country: "DE", clicks: 1 }], next: null };
      },
    };
    const req = request("incremental", { cursor: "2026-03-09" });
    const window = { today: "2026-03-10", lookbackDays: 0 };
    const first = await collect(readReport(ctx, req, window, jobs));
    expect(first).toEqual([{ records: [], checkpoint: expect.objectContaining({ position: { job: "job-2026-03-09" } }), state: { cursor: "2026-03-09" }, resumeAfterSeconds: 30 }]);
    const second = await collect(readReport(ctx, { ...req, checkpoint: first[0]!.checkpoint }, window, jobs));
    expect(calls).toEqual(['2026-03-09 null', '2026-03-09 {"job":"job-2026-03-09"}', "2026-03-10 null"]);
    expect(second.map((p) => p.records)).toEqual([[{ date: "2026-03-09", country: "DE", clicks: 1 }], []]);
  });

  it("refuses rows dated outside the slice they were asked for", async () => {
    const ctx: ConnectorContext = { http: testClient(() => Response.json({})).http, signal: new AbortController().signal, now: () => NOW };
    const stray: ReportReader = { page: async () => ({ records: [{ date: "2026-03-01", country: "DE", clicks: 1 }], next: null }) };
    const read = readReport(ctx, request("incremental", { cursor: "2026-03-10" }), { today: "2026-03-10", lookbackDays: 0 }, stray);
    await expect(read.next()).rejects.toMatchObject({ kind: "data", message: expect.stringContaining("2026-03-10..2026-03-10") });
  });
});
