/**
 * linkedin_ads end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the LinkedIn
 * fake through HOST_OVERRIDES, with the engine's token keeper (rotated refresh tokens saved into the loader), its
 * shared budget and its own retries.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { serviceContext } from "../../../src/services/context";
import { getLoaderRow, openLoaderConfig } from "../../../src/services/loaders/loader-store";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { createActiveLoader, d1Rows, streamOf, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { addDays, apiCalls, campaignUrn, creativeMetric, creativesOf, creativeUrn, daysBetween, member, todayIn, tokenCalls } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

async function storedRefreshToken(workspaceId: string, loaderId: string): Promise<unknown> {
  const ctx = serviceContext(env, { kind: "system", reason: "engine" });
  return (await openLoaderConfig(ctx, await getLoaderRow(ctx, workspaceId, loaderId))).refresh_token;
}

async function liLoader(owner: Caller, sourceId: string, config: Record<string, unknown>, schema: string, streams: string[]) {
  return createActiveLoader(owner, { name: "LinkedIn ads", loader_type: "linkedin_ads", source_id: sourceId, config, target_schema: schema, streams });
}

describe("linkedin_ads → warehouse through the engine", () => {
  it("the Worker has the linkedin_ads reader registered", async () => {
    expect(connectorFor("linkedin_ads")).toBeDefined();
    expect(await servedLoaderType("linkedin_ads")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: 45 days of analytics by campaign and creative with exact sums; the next run re-reads the last 30 days in place, signing in with the rotated refresh token the first saved", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 3, creatives_per_campaign: 2 });
    const creatives = creativesOf(account.shape);
    const campaigns = [...new Set(creatives.map((c) => c.campaign))];
    const today = todayIn("UTC", new Date());
    const start = addDays(today, -44);
    const days = daysBetween(start, today);
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("LI_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const config = { account_ids: [account.id], client_id: m.clientId, client_secret: m.clientSecret, refresh_token: m.refreshToken, start_date: start };
    const loader = await liLoader(owner, sourceId, config, schema, ["ad_analytics_by_campaign", "ad_analytics_by_creative", "campaigns"]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 45 * 3 + 45 * 6 + 3 });

    const byCampaign = () => query<any>(`select pivot_value, date::text as date, impressions, cost_in_local_currency as cost, clicks, _loader_run_id from "${s}"."ad_analytics_by_campaign"`);
    const rows = await byCampaign();
    expect(rows).toHaveLength(45 * 3);
    const sum = (metric: string, factor = (_: string) => 1) =>
      creatives.flatMap((c) => days.map((d) => creativeMetric(c.creative, d, metric, factor(d)))).reduce((a, b) => a + b, 0);
    expect(rows.reduce((t, r) => t + Number(r.impressions), 0)).toBe(sum("impressions"));
    expect(Math.round(rows.reduce((t, r) => t + Number(r.cost) * 100, 0))).toBe(sum("costInLocalCurrency"));
    expect(new Set(rows.map((r) => r.pivot_value))).toEqual(new Set(campaigns.map(campaignUrn)));
    expect(await columnTypes(s, "ad_analytics_by_campaign")).toMatchObject({ impressions: "bigint", date: "date", pivot_value: "text" });
    const byCreative = await query<any>(`select pivot_value, clicks from "${s}"."ad_analytics_by_creative"`);
    expect(byCreative).toHaveLength(45 * 6);
    expect(new Set(byCreative.map((r) => r.pivot_value))).toEqual(new Set(creatives.map((c) => creativeUrn(c.creative))));
    expect(byCreative.reduce((t, r) => t + Number(r.clicks), 0)).toBe(sum("clicks"));

    // Each stream's two 30-day slices cost two requests of at most 20 fields; the refresh token was spent once and
    // its rotated successor saved into the loader.
    const analytics = apiCalls(await m.requests()).filter((r) => r.path === "/rest/adAnalytics");
    expect(analytics).toHaveLength(2 * 2 * 2);
    expect(tokenCalls(await m.requests()).map((r) => [r.form?.refresh_token, r.status])).toEqual([[m.refreshToken, 200]]);
    expect(await storedRefreshToken(owner.workspace.id, loader.id)).toBe(`${m.refreshToken}~1`);
    expect(await m.liveRefreshTokens()).toEqual([`${m.refreshToken}~1`]);

    // LinkedIn revises the last three days; the access token has meanwhile expired, so the run must sign in again.
    await account.restate(addDays(today, -2), 2);
    await m.expireAccess();
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    expect(streamOf(second, "ad_analytics_by_campaign")).toMatchObject({ rows_loaded: 31 * 3 });
    const after = await byCampaign();
    expect(after).toHaveLength(45 * 3);
    const restated = (d: string) => (d >= addDays(today, -2) ? 2 : 1);
    for (const row of after) {
      const campaign = Number(String(row.pivot_value).split(":").at(-1));
      const expected = creatives.filter((c) => c.campaign === campaign).reduce((t, c) => t + creativeMetric(c.creative, row.date, "impressions", restated(row.date)), 0);
      expect(Number(row.impressions)).toBe(expected);
      expect(row._loader_run_id).toBe(row.date >= addDays(today, -30) ? second.id : first.id);
    }
    const renewals = tokenCalls(await m.requests()).slice(1);
    expect(renewals.map((r) => [r.form?.refresh_token, r.status])).toEqual([[`${m.refreshToken}~1`, 200]]);
    expect(await storedRefreshToken(owner.workspace.id, loader.id)).toBe(`${m.refreshToken}~2`);
  });

  it("D1: a 429 waited out with no call during it, the 30-day lookback merged in place, then a revoked refresh token puts the loader in error and the rows stay", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 2, creatives_per_campaign: 1 });
    const today = todayIn("UTC", new Date());
    const start = addDays(today, -34);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("li");
    const config = { account_ids: [account.id], client_id: m.clientId, client_secret: m.clientSecret, refresh_token: m.refreshToken, start_date: start };
    const loader = await liLoader(owner, sourceId, config, schema, ["ad_analytics_by_campaign"]);
    await m.faults({ throttle: { limit: "BURST", seconds: 2, retry_after: 2 } });
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 70 });
    const table = `${schema.toLowerCase()}__ad_analytics_by_campaign`;
    expect((await d1Rows(table, "date, pivot_value")).map((r) => r.date)).toEqual(days2(start, today));
    const sent = apiCalls(await m.requests());
    expect(sent[0]).toMatchObject({ status: 429, code: "TOO_MANY_REQUESTS" });
    expect(sent.filter((r) => r.blocked)).toEqual([]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(2000);

    // LinkedIn revises yesterday and today: the next run re-reads 31 days and replaces them by date and campaign.
    await account.restate(addDays(today, -1), 3);
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", rows_loaded: 62 });
    const merged = await d1Rows(table, "date, pivot_value");
    expect(merged).toHaveLength(70);
    const creatives = creativesOf(account.shape);
    for (const row of merged) {
      const campaign = Number(String(row.pivot_value).split(":").at(-1));
      const factor = row.date >= addDays(today, -1) ? 3 : 1;
      expect(row.impressions).toBe(creatives.filter((c) => c.campaign === campaign).reduce((t, c) => t + creativeMetric(c.creative, row.date, "impressions", factor), 0));
      expect(row._loader_run_id).toBe(row.date >= addDays(today, -30) ? second.id : run.id);
    }

    await m.revoke();
    const denied = await triggerAndWait(owner, loader.id);
    expect(denied).toMatchObject({ status: "failed", streams_failed: 1 });
    const view = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(view).toMatchObject({ status: "error", status_error: expect.stringContaining("reconnect LinkedIn: the refresh token was revoked or expired") });
    expect(await d1Rows(table, "date, pivot_value")).toHaveLength(70);
  });
});

/** Each day twice (two campaigns), in order. */
function days2(from: string, to: string): string[] {
  return daysBetween(from, to).flatMap((d) => [d, d]);
}
