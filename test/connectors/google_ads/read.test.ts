/**
 * google_ads against the Ads fake (Google's REST examples; the official Node client speaks gRPC only): exact report
 * rows with micros as integers and enums as names, the GAQL and headers sent, manager accounts through
 * login-customer-id, the lookback range in slices, a searchStream cut mid-body resumed without loss or duplicates,
 * RESOURCE_TEMPORARILY_EXHAUSTED waited out for its retryDelay, and the configuration errors that say what to fix.
 */
import { describe, expect, it } from "vitest";
import { googleAdsConnector } from "../../../connectors/google_ads";
import { addDays, adsConfig, adsMetric, adsRequest, context, customer, days, developerToken, readAll, records, serviceAccount, todayIn } from "./harness";

const TZ = "America/Los_Angeles";
const campaignIds = (id: string) => [`${id.slice(0, 4)}10001`, `${id.slice(0, 4)}20001`];

describe("google_ads reader", () => {
  it("reads a daily report per campaign: exact rows, micros as integers, enums as names, GAQL and headers as documented", async () => {
    const sa = await serviceAccount("ads");
    const token = await developerToken();
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const config = adsConfig([c.dashed], { developer_token: token, service_account_json: sa.json }, { start_date: addDays(today, -3) });
    const rows = records(await readAll(context().ctx, config, adsRequest(config, "campaign_performance_report", "incremental")));
    const expected = campaignIds(c.id).flatMap((campaign, i) =>
      days(addDays(today, -3), today).map((date) => ({
        customer_id: c.id,
        campaign_id: campaign,
        campaign_name: `Campaign ${i + 1}`,
        campaign_status: i === 1 ? "PAUSED" : "ENABLED",
        segments_date: date,
        metrics_impressions: adsMetric(campaign, date, "metrics.impressions"),
        metrics_clicks: adsMetric(campaign, date, "metrics.clicks"),
        metrics_cost_micros: adsMetric(campaign, date, "metrics.cost_micros"),
        metrics_conversions: adsMetric(campaign, date, "metrics.conversions"),
        metrics_conversions_value: adsMetric(campaign, date, "metrics.conversions_value"),
        metrics_all_conversions: adsMetric(campaign, date, "metrics.all_conversions"),
        metrics_interactions: adsMetric(campaign, date, "metrics.interactions"),
      })),
    );
    expect(rows).toEqual(expected);
    expect(rows.every((r) => Number.isInteger(r.metrics_cost_micros))).toBe(true);
    const sent = await c.requests();
    expect(sent.map((r) => r.query)).toEqual([
      "SELECT customer.time_zone FROM customer",
      `SELECT customer.id, campaign.id, campaign.name, campaign.status, segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value, metrics.all_conversions, metrics.interactions FROM campaign WHERE segments.date BETWEEN '${addDays(today, -3)}' AND '${today}' ORDER BY customer.id, campaign.id, segments.date`,
    ]);
    expect(sent.every((r) => r.headers["developer-token"] === token && r.headers["login-customer-id"] === undefined && r.path === `/v24/customers/${c.id}`)).toBe(true);
  });

  it("reaches a client account through its manager with login-customer-id, and says what to set when it is missing", async () => {
    const sa = await serviceAccount("mcc");
    const token = await developerToken();
    const manager = await customer({ users: [sa.email], manager: true, time_zone: TZ });
    const client = await customer({ users: [], manager_id: manager.id, time_zone: TZ });
    const config = adsConfig([client.id], { developer_token: token, service_account_json: sa.json }, { login_customer_id: manager.dashed });
    await googleAdsConnector.check(context().ctx, config);
    const rows = records(await readAll(context().ctx, config, adsRequest(config, "campaign", "full_refresh")));
    expect(rows.map((r) => [r.campaign_id, r.campaign_status, r.campaign_advertising_channel_type, r.campaign_budget_amount_micros])).toEqual([
      [campaignIds(client.id)[0], "ENABLED", "SEARCH", 25_000_000],
      [campaignIds(client.id)[1], "PAUSED", "SEARCH", 50_000_000],
    ]);
    expect((await client.requests()).every((r) => r.headers["login-customer-id"] === manager.id)).toBe(true);
    const direct = adsConfig([client.id], { developer_token: token, service_account_json: sa.json });
    await expect(googleAdsConnector.check(context().ctx, direct)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("Set login_customer_id") });
    await expect(readAll(context().ctx, direct, adsRequest(direct, "campaign", "full_refresh"))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("PERMISSION_DENIED: the credentials may not read this customer"),
    });
  });

  it("re-reads the conversion window (14 days) in 14-day slices and moves the state only to read days", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const config = adsConfig([c.id], { developer_token: await developerToken(), service_account_json: sa.json });
    expect(config.conversion_window_days).toBe(14);
    const pages = await readAll(context().ctx, config, adsRequest(config, "account_performance_report", "incremental", { cursor: addDays(today, -1) }));
    expect(records(pages).map((r) => r.segments_date)).toEqual(days(addDays(today, -15), today));
    const ranges = (await c.requests()).slice(1).map((r) => /BETWEEN '([\d-]+)' AND '([\d-]+)'/.exec(r.query ?? "")!.slice(1));
    expect(ranges).toEqual([
      [addDays(today, -15), addDays(today, -2)],
      [addDays(today, -1), today],
    ]);
    expect(pages.at(-1)!.state).toEqual({ cursor: today });
    expect(pages.every((p) => (p.state?.cursor as string) >= addDays(today, -1))).toBe(true);
  });

  it("a searchStream cut mid-body resumes from the last batch's checkpoint with every row once", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ, batch_rows: 5 });
    const today = todayIn(TZ);
    const config = adsConfig([c.id], { developer_token: await developerToken(), service_account_json: sa.json }, { start_date: addDays(today, -2) });
    // 2 campaigns × 2 ad groups × 2 keywords × 3 days = 24 rows, in batches of 5; the body is cut inside the third.
    await c.faults({ cut_after_batches: 2 });
    const { ctx } = context();
    const pages: any[] = [];
    let failure: any;
    try {
      for await (const page of googleAdsConnector.read(ctx, config, adsRequest(config, "keyword_performance_report", "incremental"))) pages.push(page);
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ kind: "retryable" });
    expect(pages.map((p) => p.records.length)).toEqual([5, 5]);
    expect(pages.at(-1).checkpoint).toMatchObject({ customer: 0, skip: 10, done: false });
    const rest = await readAll(ctx, config, adsRequest(config, "keyword_performance_report", "incremental", null, pages.at(-1).checkpoint));
    const rows = [...records(pages), ...records(rest)];
    const key = (r: any) => `${r.ad_group_criterion_criterion_id}|${r.segments_date}`;
    expect(rows).toHaveLength(24);
    expect(new Set(rows.map(key)).size).toBe(24);
    expect(rows.map((r) => r.ad_group_criterion_keyword_match_type).filter((m) => m === "EXACT")).toHaveLength(12);
    expect((await c.requests()).map((r) => r.cut ?? false)).toEqual([false, true, false]);
  });

  it("RESOURCE_TEMPORARILY_EXHAUSTED waits exactly its retryDelay and then reads on", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const config = adsConfig([c.id], { developer_token: await developerToken(), service_account_json: sa.json });
    await c.faults({ quota: 1 });
    const { ctx, sleeps } = context();
    const rows = records(await readAll(ctx, config, adsRequest(config, "ad_group", "full_refresh")));
    expect(rows).toHaveLength(4);
    expect(sleeps).toEqual([3000]);
    expect((await c.requests()).map((r) => r.status)).toEqual([429, 200]);
  });

  it("DEVELOPER_TOKEN_NOT_APPROVED and CUSTOMER_NOT_ENABLED are configuration errors naming the fix", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const unapproved = adsConfig([c.id], { developer_token: await developerToken(false), service_account_json: sa.json });
    await expect(readAll(context().ctx, unapproved, adsRequest(unapproved, "campaign", "full_refresh"))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("Apply for Basic or Standard access"),
    });
    const test = await customer({ users: [sa.email], time_zone: TZ, test_account: true });
    expect(records(await readAll(context().ctx, { ...unapproved, customer_ids: [test.id] }, adsRequest(unapproved, "campaign", "full_refresh")))).toHaveLength(2);
    const closed = await customer({ users: [sa.email], time_zone: TZ, status: "CANCELED" });
    const config = adsConfig([closed.id], { developer_token: await developerToken(), service_account_json: sa.json });
    await expect(readAll(context().ctx, config, adsRequest(config, "campaign", "full_refresh"))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("CUSTOMER_NOT_ENABLED: a customer in customer_ids is canceled"),
    });
  });

  it("custom GAQL queries: the date range and order are added, int64 metrics become integers", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const config = adsConfig([c.id], { developer_token: await developerToken(), service_account_json: sa.json }, {
      start_date: today,
      custom_queries: [{ name: "enabled_clicks", query: "SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE campaign.status = 'ENABLED'" }],
    });
    const rows = records(await readAll(context().ctx, config, adsRequest(config, "enabled_clicks", "incremental")));
    const [enabled] = campaignIds(c.id);
    expect(rows).toEqual([{ campaign_id: enabled, segments_date: today, metrics_clicks: adsMetric(enabled!, today, "metrics.clicks") }]);
    expect((await c.requests()).at(-1)!.query).toBe(`SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE campaign.status = 'ENABLED' AND segments.date BETWEEN '${today}' AND '${today}' ORDER BY campaign.id, segments.date`);
  });
});
