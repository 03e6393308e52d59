/**
 * facebook_ads end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Facebook
 * fake through HOST_OVERRIDES, with the engine's shared budget (LoaderBudget) and its own retries. 90 days of
 * ad-level insights here are 1,800 rows (20 ads): the 180,000-row run is bench/ads.ts, kept out of `npm test` on a
 * two-core machine.
 */
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { createActiveLoader, d1Rows, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { addDays, adAccount, adsOf, combinations, daysBetween, insightMetric, todayIn } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();
const TZ = "America/Los_Angeles";

async function fbLoader(owner: Caller, sourceId: string, config: Record<string, unknown>, schema: string, streams: string[]) {
  return createActiveLoader(owner, { name: "Meta ads", loader_type: "facebook_ads", source_id: sourceId, config, target_schema: schema, streams });
}

describe("facebook_ads → warehouse through the engine", () => {
  it("the Worker has the facebook_ads reader registered", async () => {
    expect(connectorFor("facebook_ads")).toBeDefined();
    expect(await servedLoaderType("facebook_ads")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: 90 days of ad-level insights with exact sums, campaign × country keyed, the last 3 days restated in place", async () => {
    const account = await adAccount({ campaigns: 2, adsets_per_campaign: 2, ads_per_adset: 5 });
    const ads = adsOf(account.shape);
    const today = todayIn(TZ, new Date());
    const start = addDays(today, -89);
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("META_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const config = { account_ids: [`act_${account.id}`], access_token: account.token, start_date: start, insights_days_per_job: 30 };
    const loader = await fbLoader(owner, sourceId, config, schema, ["ads_insights", "campaigns_insights_country"]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 20 * 90 + 2 * 3 * 90 });
    const adRows = () => query<any>(`select ad_id, date_start::text as date, impressions, spend, _loader_run_id from "${s}"."ads_insights"`);
    const rows = await adRows();
    expect(rows).toHaveLength(1800);
    const expected = (metric: "impressions" | "spend_cents", dates: string[], factor = (_: string) => 1) =>
      ads.flatMap((ad) => dates.map((d) => insightMetric(ad.ad_id, d, {}, metric, factor(d)))).reduce((a, b) => a + b, 0);
    const days = daysBetween(start, today);
    expect(rows.reduce((sum, r) => sum + Number(r.impressions), 0)).toBe(expected("impressions", days));
    expect(Math.round(rows.reduce((sum, r) => sum + Number(r.spend) * 100, 0))).toBe(expected("spend_cents", days));
    expect(await columnTypes(s, "ads_insights")).toMatchObject({ impressions: "bigint", date_start: "date", ad_id: "text" });
    // Three 30-day jobs for each stream, and the 90 days read with no more calls than that needs.
    expect((await account.jobs()).map((j) => `${j.level}:${j.since}`).sort()).toEqual(
      [0, 30, 60].flatMap((d) => [`ad:${addDays(start, d)}`, `campaign:${addDays(start, d)}`]).sort(),
    );

    const country = await query<any>(`select date_start::text as date, account_id, campaign_id, country, impressions from "${s}"."campaigns_insights_country"`);
    expect(country).toHaveLength(540);
    expect(new Set(country.map((r) => `${r.date}|${r.account_id}|${r.campaign_id}|${r.country}`)).size).toBe(540);
    const sample = country.find((r) => r.date === today && r.country === "DE")!;
    expect(Number(sample.impressions)).toBe(ads.filter((a) => a.campaign_id === sample.campaign_id).reduce((sum, a) => sum + insightMetric(a.ad_id, today, combinations(["country"])[2]!, "impressions"), 0));

    // Meta revises the last three days: the next run re-reads the 28-day lookback and merges by key.
    await account.restate(addDays(today, -2), 2);
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", rows_loaded: 20 * 29 + 6 * 29 });
    const after = await adRows();
    expect(after).toHaveLength(1800);
    for (const row of after) {
      const restated = row.date >= addDays(today, -2);
      expect(Number(row.impressions)).toBe(insightMetric(row.ad_id, row.date, {}, "impressions", restated ? 2 : 1));
      expect(row._loader_run_id).toBe(row.date >= addDays(today, -28) ? second.id : first.id);
    }
  });

  it("D1: a throttle block waited out with no call during it, a failed job re-submitted for half its range, then an expired token puts the loader in error and the rows stay", async () => {
    const account = await adAccount({ campaigns: 1, adsets_per_campaign: 1, ads_per_adset: 2 });
    const today = todayIn(TZ, new Date());
    const start = addDays(today, -5);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("meta");
    const config = { account_ids: [account.id], access_token: account.token, start_date: start, insights_days_per_job: 6 };
    const loader = await fbLoader(owner, sourceId, config, schema, ["ads_insights"]);
    await account.faults({ throttle: { code: 80004, seconds: 2 }, fail_jobs_longer_than_days: 3 });
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 12 });
    const table = `${schema.toLowerCase()}__ads_insights`;
    const rows = await d1Rows(table, "date_start, ad_id");
    expect(rows.map((r) => `${r.date_start}|${r.ad_id}`)).toEqual(daysBetween(start, today).flatMap((d) => adsOf(account.shape).map((a) => `${d}|${a.ad_id}`)));
    const sent = await account.requests();
    expect(sent[0]).toMatchObject({ code: 80004 });
    expect(sent.filter((r) => r.blocked)).toEqual([]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(2000);
    expect((await account.jobs()).map((j) => [j.since, j.until, j.status])).toEqual([
      [start, today, "Job Failed"],
      [start, addDays(start, 2), "Job Completed"],
      [addDays(start, 3), today, "Job Completed"],
    ]);

    await account.expireToken();
    const denied = await triggerAndWait(owner, loader.id);
    expect(denied).toMatchObject({ status: "failed", streams_failed: 1 });
    const view = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(view).toMatchObject({ status: "error", status_error: expect.stringContaining("the access token expired or was revoked") });
    expect(await d1Rows(table, "date_start, ad_id")).toHaveLength(12);
  });
});
