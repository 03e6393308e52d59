/**
 * The Facebook fake against Meta's own client (`facebook-nodejs-business-sdk` 24, which has no host option: its
 * axios requests are redirected to the fake by an interceptor on the axios instance it requires, so the SDK's own
 * URLs, parameters and parsing are what is exercised): edges with fields and cursor paging through `next`, an async
 * insights report run from submission to results, and Meta's error bodies (throttle codes, 190) as the SDK reads them.
 */
import { createRequire } from "node:module";
import bizSdk from "facebook-nodejs-business-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { adsOf, daysBetween, insightMetric } from "../fakes/facebook/data";
import { startFacebookFake } from "../fakes/facebook/server";
import { controlClient } from "../helpers/fake-control";

const { FacebookAdsApi, AdAccount } = bizSdk as any;

let fake: RunningFake;
let base: string;
let eject: () => void;

beforeAll(async () => {
  fake = await startFacebookFake();
  base = `http://127.0.0.1:${fake.port}`;
  const axios = createRequire(require.resolve("facebook-nodejs-business-sdk"))("axios");
  const id = axios.interceptors.request.use((config: { url: string; baseURL?: string }) => {
    config.url = config.url.replace("https://graph.facebook.com", base);
    config.baseURL = base;
    return config;
  });
  eject = () => axios.interceptors.request.eject(id);
});
afterAll(async () => {
  eject?.();
  await fake.close();
});

async function account(shape: Record<string, unknown> = {}) {
  const id = String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
  const token = `EAAB${crypto.randomUUID().replaceAll("-", "")}`;
  const control = controlClient(`${base}/_fake`);
  await control("PUT", `accounts/${id}`, { token, ...shape });
  FacebookAdsApi.init(token);
  return { id, token, control, requests: async () => (await control<{ data: any[] }>("GET", `accounts/${id}/requests`)).data };
}

describe("Facebook fake with facebook-nodejs-business-sdk", () => {
  it("pages an edge with the SDK's cursor (paging.next), fields as asked", async () => {
    const a = await account({ campaigns: 3, adsets_per_campaign: 2, ads_per_adset: 5 });
    const cursor = await new AdAccount(`act_${a.id}`).getAds(["id", "name", "adset_id", "updated_time"], { limit: 25 });
    const seen: any[] = [...cursor.map((ad: any) => ad._data)];
    let page = cursor;
    while (page.hasNext()) {
      page = await page.next();
      seen.push(...page.map((ad: any) => ad._data));
    }
    expect(seen).toHaveLength(30);
    expect(Object.keys(seen[0]).sort()).toEqual(["adset_id", "id", "name", "updated_time"]);
    const sent = await a.requests();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ method: "GET", path: `/v24.0/act_${a.id}/ads`, query: { fields: "id,name,adset_id,updated_time", limit: "25" } });
  });

  it("runs an async insights report from submission to paged results", async () => {
    const a = await account({ campaigns: 1, adsets_per_campaign: 1, ads_per_adset: 3 });
    await a.control("POST", `accounts/${a.id}/faults`, { polls_to_complete: 2 });
    const run = await new AdAccount(`act_${a.id}`).getInsightsAsync(["ad_id", "impressions", "spend"], {
      level: "ad",
      time_range: { since: "2026-11-01", until: "2026-11-02" },
      time_increment: 1,
      action_attribution_windows: ["1d_click"],
    });
    // The SDK maps Meta's `report_run_id` answer to the run's id.
    const id = run.id;
    expect(id).toMatch(/^\d+$/);
    const statuses: string[] = [];
    for (;;) {
      const state = await run.get(["async_status", "async_percent_completion"]);
      statuses.push(state._data.async_status);
      if (state._data.async_status === "Job Completed") break;
    }
    expect(statuses).toEqual(["Job Started", "Job Completed"]);
    const rows = (await run.getInsights([], { limit: 100 })).map((r: any) => r._data);
    const ads = adsOf({ id: a.id, campaigns: 1, adsetsPerCampaign: 1, adsPerAdset: 3 });
    expect(rows).toHaveLength(6);
    for (const date of daysBetween("2026-11-01", "2026-11-02")) {
      for (const ad of ads) {
        expect(rows).toContainEqual({ ad_id: ad.ad_id, impressions: String(insightMetric(ad.ad_id, date, {}, "impressions")), spend: (insightMetric(ad.ad_id, date, {}, "spend_cents") / 100).toFixed(2), date_start: date, date_stop: date });
      }
    }
    const post = (await a.requests()).find((r) => r.method === "POST")!;
    expect(post.query).toMatchObject({ level: "ad", time_increment: "1", fields: "ad_id,impressions,spend" });
    expect(JSON.parse(post.query.time_range)).toEqual({ since: "2026-11-01", until: "2026-11-02" });
  });

  it("answers throttles and expired tokens with Meta's error bodies and usage headers, as the SDK reads them", async () => {
    const a = await account();
    await a.control("POST", `accounts/${a.id}/faults`, { throttle: { code: 17, seconds: 120 } });
    const throttled = await new AdAccount(`act_${a.id}`).read(["name"]).catch((e: any) => e);
    expect(throttled.name).toBe("FacebookRequestError");
    expect(throttled.response).toMatchObject({ code: 17, error_subcode: 2446079, type: "OAuthException" });
    expect(throttled.status).toBe(400);
    // The account is blocked for the rest of its 120 s; the headers say how long (and a second call is refused).
    const raw = await fetch(`${base}/v24.0/act_${a.id}?fields=name&access_token=${a.token}`);
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.headers.get("x-ad-account-usage")!)).toMatchObject({ acc_id_util_pct: 100, reset_time_duration: expect.any(Number) });
    const buc = JSON.parse(raw.headers.get("x-business-use-case-usage")!);
    expect(Object.values(buc)[0]).toContainEqual(expect.objectContaining({ type: "ads_insights", estimated_time_to_regain_access: expect.any(Number) }));
    expect((await a.requests()).at(-1)).toMatchObject({ blocked: true, code: 17 });

    const b = await account();
    await b.control("POST", `tokens/${b.token}/expire`);
    const expired = await new AdAccount(`act_${b.id}`).read(["name"]).catch((e: any) => e);
    expect(expired.response).toMatchObject({ code: 190, type: "OAuthException" });
  });
});
