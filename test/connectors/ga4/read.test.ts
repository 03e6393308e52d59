/**
 * ga4 against the GA4 fake: exact rows and metric sums, the property's own "today", offset paging against rowCount
 * across properties with resumable checkpoints, the lookback range, "(other)" rows, thresholding and sampling as
 * columns, the property's token quota (no request is sent that the tokens cannot pay for; the read resumes after the
 * hour, every row once), custom reports checked against the metadata endpoint, and refusals that say what to fix.
 */
import { describe, expect, it } from "vitest";
import { ga4Connector } from "../../../connectors/ga4";
import { isResumeLater, type SharedBudget } from "../../../connectors/kit/contract";
import { addDays, baseFigure, context, days, ga4Config, ga4Request, MEDIUMS, property, readAll, records, serviceAccount, SOURCES, todayIn } from "./harness";

const TZ = "America/New_York";

function expectedTraffic(propertyId: string, from: string, to: string) {
  const rows = [];
  for (const date of days(from, to)) {
    for (const source of [...SOURCES].sort()) {
      for (const medium of [...MEDIUMS].sort()) {
        const dims = [source, medium];
        rows.push({ property_id: propertyId, date, sessionSource: source, sessionMedium: medium, sessions: baseFigure(propertyId, date, dims, "sessions"), bounceRate: baseFigure(propertyId, date, dims, "bounceRate") });
      }
    }
  }
  return rows;
}

describe("ga4 reader", () => {
  it("reads a report from start_date to the property's today: exact rows, metric sums and the requests GA4 documents", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const config = ga4Config([p.id], { service_account_json: sa.json }, { start_date: addDays(today, -4) });
    const rows = records(await readAll(context().ctx, config, ga4Request(config, "traffic_sources", "incremental")));
    const expected = expectedTraffic(p.id, addDays(today, -4), today);
    expect(rows).toHaveLength(45);
    expect(rows.map((r) => [r.property_id, r.date, r.sessionSource, r.sessionMedium, r.sessions, r.bounceRate])).toEqual(
      expected.map((r) => [r.property_id, r.date, r.sessionSource, r.sessionMedium, r.sessions, r.bounceRate]),
    );
    expect(rows.reduce((s, r) => s + (r.sessions as number), 0)).toBe(expected.reduce((s, r) => s + r.sessions, 0));
    expect(rows[0]).toMatchObject({ is_other_row: false, data_loss_from_other_row: false, subject_to_thresholding: false, sampled: false, sampling_ratio: null });
    const sent = await p.requests();
    // The property's time zone first (a one-row report of today), then the range.
    expect(sent.map((r) => r.path)).toEqual([`/v1beta/properties/${p.id}:runReport`, `/v1beta/properties/${p.id}:runReport`]);
    expect(sent[0]!.body).toEqual({ dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessions" }], limit: "1", returnPropertyQuota: true });
    expect(sent[1]!.body).toEqual({
      dateRanges: [{ startDate: addDays(today, -4), endDate: today }],
      dimensions: [{ name: "date" }, { name: "sessionSource" }, { name: "sessionMedium" }],
      metrics: ["totalUsers", "newUsers", "sessions", "engagedSessions", "screenPageViews", "averageSessionDuration", "bounceRate"].map((name) => ({ name })),
      orderBys: ["date", "sessionSource", "sessionMedium"].map((dimensionName) => ({ dimension: { dimensionName }, desc: false })),
      offset: "0",
      limit: "100000",
      returnPropertyQuota: true,
    });
  });

  it("pages by offset against rowCount, property after property, and resumes from any page's checkpoint", async () => {
    const sa = await serviceAccount();
    const a = await property({ viewers: [sa.email], time_zone: TZ });
    const b = await property({ viewers: [sa.email], time_zone: "Asia/Tokyo" });
    const today = todayIn(TZ);
    const config = ga4Config([a.id, b.id], { service_account_json: sa.json }, { start_date: addDays(today, -2), end_date: addDays(today, -1), page_size: 5 });
    const { ctx } = context();
    const pages = await readAll(ctx, config, ga4Request(config, "traffic_sources", "incremental"));
    // 18 rows per property in pages of 5: 5, 5, 5, 3 each.
    expect(pages.map((page) => page.records.length)).toEqual([5, 5, 5, 3, 5, 5, 5, 3]);
    expect(pages.map((page) => page.checkpoint.position)).toEqual([
      { property: 0, offset: 5 },
      { property: 0, offset: 10 },
      { property: 0, offset: 15 },
      { property: 1, offset: 0 },
      { property: 1, offset: 5 },
      { property: 1, offset: 10 },
      { property: 1, offset: 15 },
      null,
    ]);
    expect(pages.at(-1)!.state).toEqual({ cursor: addDays(today, -1) });
    const resumed = await readAll(ctx, config, ga4Request(config, "traffic_sources", "incremental", null, pages[2]!.checkpoint));
    const all = [...records(pages.slice(0, 3)), ...records(resumed)];
    const key = (r: any) => [r.property_id, r.date, r.sessionSource, r.sessionMedium].join("|");
    expect(new Set(all.map(key)).size).toBe(36);
    expect(all.map(key)).toEqual(records(pages).map(key));
    expect((await a.requests()).map((r) => r.body.offset).filter(Boolean)).toEqual(["0", "5", "10", "15", "15"]);
  });

  it("an incremental run reads again from the committed date less lookback_window_days (default 3)", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const config = ga4Config([p.id], { service_account_json: sa.json });
    expect(config.lookback_window_days).toBe(3);
    const pages = await readAll(context().ctx, config, ga4Request(config, "website_overview", "incremental", { cursor: addDays(today, -1) }));
    expect(records(pages).map((r) => r.date)).toEqual(days(addDays(today, -4), today));
    expect((await p.requests())[1]!.body.dateRanges).toEqual([{ startDate: addDays(today, -4), endDate: today }]);
  });

  it("keeps the '(other)' row, dataLossFromOtherRow, thresholding and sampling as columns", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ, cardinality: 4, thresholded: true, sampled: { samplesReadCount: "250", samplingSpaceSize: "1000" } });
    const today = todayIn(TZ);
    const config = ga4Config([p.id], { service_account_json: sa.json }, { start_date: today });
    const rows = records(await readAll(context().ctx, config, ga4Request(config, "traffic_sources", "full_refresh")));
    expect(rows).toHaveLength(4);
    const other = rows.filter((r) => r.is_other_row);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatchObject({ sessionSource: "(other)", sessionMedium: "(other)" });
    // The folded row carries the sum of the five rows it replaced.
    const all = expectedTraffic(p.id, today, today);
    const folded = all.filter((r) => !rows.some((k) => !k.is_other_row && k.sessionSource === r.sessionSource && k.sessionMedium === r.sessionMedium));
    expect(other[0]!.sessions).toBe(folded.reduce((s, r) => s + r.sessions, 0));
    expect(rows.every((r) => r.data_loss_from_other_row === true && r.subject_to_thresholding === true && r.sampled === true && r.sampling_ratio === 0.25)).toBe(true);
  });

  it("never sends a request the property's hourly tokens cannot pay for: it waits for the hour, then reads every row once", async () => {
    const sa = await serviceAccount();
    // 40 tokens an hour at 10 a request: the today probe and three pages, then the tokens are gone.
    const p = await property({ viewers: [sa.email], time_zone: TZ, tokens_per_hour: 40, token_cost: 10 });
    const today = todayIn(TZ);
    const config = ga4Config([p.id], { service_account_json: sa.json }, { start_date: addDays(today, -1), page_size: 4 });
    const pauses: Array<[string, number]> = [];
    const takes: Array<[string, number]> = [];
    const observed: Array<[string, unknown]> = [];
    const budget: SharedBudget = {
      take: async (key, cost) => void takes.push([key, cost]),
      observe: async (key, report) => void observed.push([key, report]),
      slot: async () => ({ release: async () => {} }),
      pause: async (key, seconds) => void pauses.push([key, seconds]),
    };
    const { ctx } = context();
    const pages: any[] = [];
    let stopped: unknown;
    try {
      for await (const page of ga4Connector.read({ ...ctx, budget }, config, ga4Request(config, "traffic_sources", "incremental"))) pages.push(page);
    } catch (error) {
      stopped = error;
    }
    expect(isResumeLater(stopped)).toBe(true);
    expect((stopped as { seconds: number }).seconds).toBeGreaterThan(0);
    expect((stopped as { seconds: number }).seconds).toBeLessThanOrEqual(3605);
    expect(pages.map((page) => page.records.length)).toEqual([4, 4, 4]);
    const hour = `ga4:${p.id}:tokens_per_hour`;
    expect(pauses).toEqual([[hour, (stopped as { seconds: number }).seconds]]);
    // Four requests, each granted by the budget first; GA4 reported what was left after each.
    expect(takes.filter(([k]) => k === hour)).toEqual([[hour, 10], [hour, 10], [hour, 10], [hour, 10]]);
    expect(observed.filter(([k]) => k === hour).map(([, r]) => r)).toEqual([{ available: 30 }, { available: 20 }, { available: 10 }, { available: 0 }]);
    expect((await p.requests()).map((r) => r.status)).toEqual([200, 200, 200, 200]);

    await p.newHour();
    const rest = await readAll({ ...ctx, budget }, config, ga4Request(config, "traffic_sources", "incremental", null, pages.at(-1).checkpoint));
    const rows = [...records(pages), ...records(rest)];
    expect(rows).toHaveLength(18);
    expect(new Set(rows.map((r) => `${r.date}|${r.sessionSource}|${r.sessionMedium}`)).size).toBe(18);
    // A resumed chunk asks for no "today" again: its range is in the checkpoint.
    expect((await p.requests()).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it("a property whose tokens another client spent answers 429: the read waits for the hour instead of failing", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ, tokens_per_hour: 0 });
    const config = ga4Config([p.id], { service_account_json: sa.json });
    const read = readAll(context().ctx, config, ga4Request(config, "website_overview", "incremental"));
    await expect(read).rejects.toSatisfy(isResumeLater);
    expect((await p.requests()).map((r) => r.status)).toEqual([429]);
  });

  it("checks custom reports against the property's metadata and sends their filters", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const filter = { filter: { fieldName: "country", stringFilter: { value: "Germany" } } };
    const good = ga4Config([p.id], { service_account_json: sa.json }, {
      start_date: today,
      custom_reports: [{ name: "plans", dimensions: ["country", "customEvent:plan"], metrics: ["keyEvents"], dimension_filter: filter }],
    });
    const streams = await ga4Connector.discover(context().ctx, good);
    expect(streams.find((s) => s.name === "plans")).toMatchObject({ primary_key: ["property_id", "country", "customEvent:plan"], cursor_field: null });
    await readAll(context().ctx, good, ga4Request(good, "plans", "full_refresh"));
    expect((await p.requests()).at(-1)!.body).toMatchObject({ dimensions: [{ name: "country" }, { name: "customEvent:plan" }], dimensionFilter: filter });
    const bad = ga4Config([p.id], { service_account_json: sa.json }, { custom_reports: [{ name: "oops", dimensions: ["date", "contry"], metrics: ["sessions", "revenu"] }] });
    await expect(ga4Connector.check(context().ctx, bad)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining('custom report "oops": property') });
    await expect(ga4Connector.check(context().ctx, bad)).rejects.toMatchObject({ message: expect.stringContaining("dimension contry, metric revenu") });
  });

  it("a property the credentials may not read is a configuration error naming the fix", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: ["someone@example.com"], time_zone: TZ });
    const config = ga4Config([p.id], { service_account_json: sa.json });
    await expect(ga4Connector.check(context().ctx, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("Property access management") });
  });
});
