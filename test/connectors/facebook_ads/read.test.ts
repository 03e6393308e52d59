/**
 * facebook_ads against the Facebook fake: insights through async report runs (the POST's parameters, polls, result
 * pages; exact rows with numbers cast), object streams with fields, filtering and cursor paging (no token in any
 * checkpoint), a job Meta fails and a submission refused as too much data both re-submitted for half the range, a
 * job still running resumed later without a second submission, a stuck or overlong job abandoned, a throttle waited out with no call during the block,
 * and an expired token as a configuration error.
 */
import { describe, expect, it } from "vitest";
import { facebookAdsConnector } from "../../../connectors/facebook_ads";
import { usageOf } from "../../../connectors/facebook_ads/client";
import type { SharedBudget } from "../../../connectors/kit/contract";
import { addDays, adAccount, adsOf, facebook, context, daysBetween, fbConfig, fbRequest, insightMetric, readAll, records, todayIn } from "./harness";

const TZ = "America/Los_Angeles";
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("facebook_ads reader", () => {
  it("reads ad-level daily insights through one async report run: exact rows, numbers cast, the documented parameters", async () => {
    const account = await adAccount();
    const today = todayIn(TZ, new Date());
    const start = addDays(today, -2);
    const config = fbConfig([account], { start_date: start });
    const pages = await readAll(context().ctx, config, fbRequest(config, "ads_insights", "incremental"));
    const rows = records(pages);
    const ads = adsOf(account.shape);
    expect(rows).toHaveLength(ads.length * 3);
    for (const date of daysBetween(start, today)) {
      for (const ad of ads) {
        const row = rows.find((r) => r.ad_id === ad.ad_id && r.date_start === date)!;
        expect(row).toMatchObject({
          account_id: account.id,
          campaign_id: ad.campaign_id,
          adset_id: ad.adset_id,
          date_stop: date,
          impressions: insightMetric(ad.ad_id, date, {}, "impressions"),
          clicks: insightMetric(ad.ad_id, date, {}, "clicks"),
          spend: insightMetric(ad.ad_id, date, {}, "spend_cents") / 100,
        });
        expect(row).not.toHaveProperty("date");
      }
    }
    expect(pages.at(-1)!.state).toEqual({ cursor: today });
    const sent = await account.requests();
    expect(sent.map((r) => `${r.method} ${r.path.replace(/\/\d{13}/, "/<run>")}`)).toEqual([
      `GET /v26.0/act_${account.id}`,
      `POST /v26.0/act_${account.id}/insights`,
      "GET /v26.0/<run>",
      "GET /v26.0/<run>/insights",
    ]);
    expect(sent[1]!.query).toMatchObject({
      level: "ad",
      time_increment: "1",
      time_range: JSON.stringify({ since: start, until: today }),
      action_breakdowns: '["action_type"]',
      action_attribution_windows: '["1d_click","7d_click","1d_view"]',
    });
    expect(String(sent[1]!.query.fields).split(",")).toEqual(expect.arrayContaining(["account_id", "ad_id", "impressions", "spend", "actions"]));
    expect(JSON.stringify(pages.map((p) => p.checkpoint))).not.toContain(account.token);
  });

  it("keys a campaign × country report by date, account, campaign and country, summed over the campaign's ads", async () => {
    const account = await adAccount({ campaigns: 2, adsets_per_campaign: 2, ads_per_adset: 2 });
    const today = todayIn(TZ, new Date());
    const config = fbConfig([account], { start_date: today });
    const rows = records(await readAll(context().ctx, config, fbRequest(config, "campaigns_insights_country", "incremental")));
    expect(rows).toHaveLength(2 * 3);
    expect(new Set(rows.map((r) => `${r.date_start}|${r.account_id}|${r.campaign_id}|${r.country}`)).size).toBe(6);
    expect(rows.every((r) => r.ad_id === undefined && r.adset_id === undefined)).toBe(true);
    const ads = adsOf(account.shape);
    for (const row of rows) {
      const expected = ads.filter((a) => a.campaign_id === row.campaign_id).reduce((sum, a) => sum + insightMetric(a.ad_id, today, { country: String(row.country) }, "impressions"), 0);
      expect(row.impressions).toBe(expected);
    }
    expect((await account.requests())[1]!.query).toMatchObject({ level: "campaign", breakdowns: '["country"]' });
  });

  it("reads every configured ad account, one report run each per slice, the account in each row's key", async () => {
    const first = await adAccount({ campaigns: 1, ads_per_adset: 2 });
    const second = await adAccount({ campaigns: 1, ads_per_adset: 1, token: first.token });
    const today = todayIn(TZ, new Date());
    const config = fbConfig([first, second], { start_date: addDays(today, -1) });
    const rows = records(await readAll(context().ctx, config, fbRequest(config, "ads_insights", "incremental")));
    expect(rows.map((r) => `${r.account_id}|${r.date_start}`).sort()).toEqual(
      [first.id, first.id, second.id].flatMap((id) => [`${id}|${addDays(today, -1)}`, `${id}|${today}`]).sort(),
    );
    expect((await first.jobs()).map((j) => [j.since, j.until])).toEqual([[addDays(today, -1), today]]);
    expect((await second.jobs()).map((j) => [j.since, j.until])).toEqual([[addDays(today, -1), today]]);
  });

  it("a job Meta fails is re-submitted for half its range, and a submission refused as too much data is halved too", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    const today = todayIn(TZ, new Date());
    const start = addDays(today, -3);
    await account.faults({ fail_jobs_longer_than_days: 2 });
    const config = fbConfig([account], { start_date: start, insights_days_per_job: 4 });
    const rows = records(await readAll(context().ctx, config, fbRequest(config, "ads_insights", "incremental")));
    expect(rows.map((r) => r.date_start).sort()).toEqual(daysBetween(start, today));
    expect((await account.jobs()).map((j) => [j.since, j.until, j.status])).toEqual([
      [start, today, "Job Failed"],
      [start, addDays(start, 1), "Job Completed"],
      [addDays(start, 2), today, "Job Completed"],
    ]);

    const other = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    await other.faults({ reduce_data_longer_than_days: 1 });
    const config2 = fbConfig([other], { start_date: addDays(today, -1), insights_days_per_job: 2 });
    const rows2 = records(await readAll(context().ctx, config2, fbRequest(config2, "ads_insights", "incremental")));
    expect(rows2.map((r) => r.date_start).sort()).toEqual([addDays(today, -1), today]);
    const submissions = (await other.requests()).filter((r) => r.method === "POST");
    expect(submissions.map((r) => [JSON.parse(r.query.time_range!).since, r.code ?? r.status])).toEqual([
      [addDays(today, -1), 1],
      [addDays(today, -1), 200],
      [today, 200],
    ]);
  });

  it("a job still running ends the chunk to be polled later, and the next chunk polls the same job", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    const today = todayIn(TZ, new Date());
    await account.faults({ polls_to_complete: 5 });
    const config = fbConfig([account], { start_date: today });
    const first = await readAll(context().ctx, config, fbRequest(config, "ads_insights", "incremental"));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ records: [], resumeAfterSeconds: 30 });
    const [job] = await account.jobs();
    expect(JSON.stringify(first[0]!.checkpoint)).toContain(job!.id);
    const second = await readAll(context().ctx, config, fbRequest(config, "ads_insights", "incremental", null, first[0]!.checkpoint));
    expect(records(second)).toHaveLength(1);
    const jobs = await account.jobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: "Job Completed", polls: 5 });
  });

  it("a run stuck at the same percentage is abandoned after 20 minutes and re-submitted for half its range; a stuck one-day run fails the stream", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    const today = todayIn(TZ, new Date());
    const start = addDays(today, -1);
    await account.faults({ stuck_jobs_longer_than_days: 0 });
    const config = fbConfig([account], { start_date: start, insights_days_per_job: 2 });
    let clock = Date.now();
    const { ctx } = context({}, () => new Date(clock));

    const first = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental"));
    expect(first).toEqual([expect.objectContaining({ records: [], resumeAfterSeconds: 30 })]);
    clock += 19 * 60_000;
    const second = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental", null, first[0]!.checkpoint));
    expect(second).toEqual([expect.objectContaining({ records: [], resumeAfterSeconds: 30 })]);
    expect(await account.jobs()).toHaveLength(1);

    clock += 60_000;
    const third = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental", null, second[0]!.checkpoint));
    expect(third.at(-1)).toMatchObject({ records: [], resumeAfterSeconds: 30 });
    expect((await account.jobs()).map((j) => [j.since, j.until, j.status])).toEqual([
      [start, today, "Job Running"],
      [start, start, "Job Running"],
    ]);

    clock += 20 * 60_000;
    const error = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental", null, third.at(-1)!.checkpoint)).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "data" });
    const [, stuck] = await account.jobs();
    expect((error as Error).message).toBe(
      `Meta's insights job ${stuck!.id} for act_${account.id} on ${start} was abandoned: no progress for 20 minutes (stuck at 42 %); the next run asks for this day again`,
    );
    // No third submission: the second half is never asked for once the first fails, nor the stuck day again.
    expect((await account.requests()).filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("a run still progressing is abandoned 60 minutes after its submission", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    const today = todayIn(TZ, new Date());
    // One percent a poll: the run always progresses, and never completes within the test.
    await account.faults({ polls_to_complete: 100 });
    const config = fbConfig([account], { start_date: today });
    let clock = Date.now();
    const { ctx } = context({}, () => new Date(clock));
    const first = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental"));
    expect(first).toEqual([expect.objectContaining({ resumeAfterSeconds: 30 })]);
    clock += 60 * 60_000;
    const error = await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental", null, first[0]!.checkpoint)).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "data", message: expect.stringContaining("abandoned: not completed 60 minutes after its submission (at 4 %)") });
    expect(await account.jobs()).toEqual([expect.objectContaining({ status: "Job Running", polls: 4 })]);
  });

  it("object streams: explicit fields, cursor paging without the token, updated_time filtering, deleted objects when asked", async () => {
    const account = await adAccount({ campaigns: 6, adsets_per_campaign: 4, ads_per_adset: 5 });
    const config = fbConfig([account]);
    const pages = await readAll(context().ctx, config, fbRequest(config, "ads", "incremental"));
    const rows = records(pages);
    expect(rows).toHaveLength(120);
    expect(new Set(rows.map((r) => r.id)).size).toBe(120);
    expect(rows[0]).toMatchObject({ account_id: account.id, effective_status: "ACTIVE", creative: { id: expect.any(String) } });
    expect(JSON.stringify(pages.map((p) => p.checkpoint))).not.toContain(account.token);
    const state = pages.at(-1)!.state!;
    const sent = await account.requests();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.query).toMatchObject({ limit: "100" });
    expect(String(sent[0]!.query.fields).split(",")).toEqual(expect.arrayContaining(["id", "updated_time", "adset_id", "creative"]));
    expect(sent[1]!.query.after).toEqual(expect.any(String));

    const ids = [rows[3]!.id as string, rows[7]!.id as string];
    await account.touch([ids[0]!]);
    await account.touch([ids[1]!], "DELETED");
    // The object changed in the committed second itself is read again (GREATER_THAN one second before): merged by id.
    const atCursor = rows.filter((r) => r.updated_time === state.cursor).map((r) => r.id);
    expect(atCursor).toHaveLength(1);
    const again = records(await readAll(context().ctx, config, fbRequest(config, "ads", "incremental", state)));
    expect(again.map((r) => r.id).sort()).toEqual([ids[0], ...atCursor].sort());
    expect(JSON.parse(String((await account.requests()).at(-1)!.query.filtering))).toEqual([
      { field: "ad.updated_time", operator: "GREATER_THAN", value: Math.floor(Date.parse(String(state.cursor)) / 1000) - 1 },
    ]);
    const withDeleted = fbConfig([account], { include_deleted: true });
    const all = records(await readAll(context().ctx, withDeleted, fbRequest(withDeleted, "ads", "incremental", state)));
    expect(all.map((r) => [r.id, r.effective_status]).sort()).toEqual([[ids[0], "ACTIVE"], [ids[1], "DELETED"], [atCursor[0], "ACTIVE"]].sort());
  });

  it("custom conversions, ad images and videos are read whole; activities incrementally with since on event_time", async () => {
    const account = await adAccount();
    const config = fbConfig([account]);
    const read = async (name: string, state: Record<string, unknown> | null = null) => readAll(context().ctx, config, fbRequest(config, name, "incremental", state as never));
    expect(records(await read("customconversions")).map((r) => [r.name, r.custom_event_type, r.is_archived])).toEqual([["Purchase 1", "PURCHASE", false], ["Purchase 2", "PURCHASE", false]]);
    const images = records(await read("adimages"));
    expect(images).toHaveLength(3);
    expect(images[0]).toMatchObject({ account_id: account.id, hash: expect.stringMatching(/^[0-9a-f]{16}$/), width: 1080 });
    expect(records(await read("advideos"))).toEqual([expect.objectContaining({ title: "Video 1", length: 15.5, account_id: account.id })]);
    const pages = await read("activities");
    const events = records(pages);
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.id === undefined && typeof e.object_id === "string")).toBe(true);
    const state = pages.at(-1)!.state!;
    expect(state.cursor).toBe(events.map((e) => String(e.event_time)).sort().at(-1));
    await facebook()("POST", `accounts/${account.id}/activity`, { event_type: "update_ad_bid_amount" });
    const later = records(await read("activities", state));
    expect(later.map((e) => e.event_type).sort()).toEqual(["update_ad_bid_amount", "update_ad_run_status"]);
    expect((await account.requests()).at(-1)!.query.since).toBe(String(Math.floor(Date.parse(String(state.cursor)) / 1000) - 1));
  });

  it("a throttle (code 80000) is waited out for the time the headers name, with no call during the block", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    const today = todayIn(TZ, new Date());
    const config = fbConfig([account], { start_date: today });
    await account.faults({ throttle: { code: 80000, subcode: 2446079, seconds: 2 } });
    const { ctx } = context({ sleep: realSleep });
    const rows = records(await readAll(ctx, config, fbRequest(config, "ads_insights", "incremental")));
    expect(rows).toHaveLength(1);
    const sent = await account.requests();
    expect(sent[0]).toMatchObject({ status: 400, code: 80000 });
    expect(sent.filter((r) => r.blocked)).toEqual([]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it("every call takes from the ad account's shared budget; rising usage lowers it, and 95 % pauses the account before Meta blocks it", async () => {
    const account = await adAccount({ campaigns: 1, ads_per_adset: 1 });
    // 10 calls per 300 s are 100 %: the account's usage climbs 10 points a call.
    await account.faults({ calls_per_window: 10 });
    const calls: string[] = [];
    const budget: SharedBudget = {
      take: async (key, cost, bucket) => void calls.push(`take ${key} ${cost} ${bucket.capacity}/${bucket.refillPerSecond}`),
      observe: async (key, report) => void calls.push(`observe ${key} ${report.available}`),
      slot: async () => ({ release: async () => {} }),
      pause: async (key, seconds) => void calls.push(`pause ${key} ${seconds}`),
    };
    const config = fbConfig([account]);
    const { ctx } = context();
    for (let i = 0; i < 10; i++) await facebookAdsConnector.check({ ...ctx, budget }, config);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const key = `facebook:act_${account.id}`;
    expect(calls.filter((c) => c.startsWith("take"))).toEqual(Array(10).fill(`take ${key} 1 300/30`));
    expect(calls.filter((c) => c.startsWith("observe"))).toEqual([270, 240, 210, 180, 150, 120, 90, 60, 30].map((n) => `observe ${key} ${n}`));
    // The tenth call reports 100 %: no header names a time to regain access, so Meta's 60 s standard-tier block.
    expect(calls.filter((c) => c.startsWith("pause"))).toEqual([`pause ${key} 60`]);
  });

  it("reads the three usage headers", () => {
    const headers = new Headers({
      "x-business-use-case-usage": JSON.stringify({ "123": [{ type: "ads_insights", call_count: 40, total_cputime: 12, total_time: 96, estimated_time_to_regain_access: 3 }] }),
      "x-ad-account-usage": JSON.stringify({ acc_id_util_pct: 20, reset_time_duration: 0 }),
      "x-app-usage": JSON.stringify({ call_count: 5, total_time: 1, total_cputime: 1 }),
    });
    expect(usageOf(headers)).toEqual({ pct: 96, regainSeconds: 180 });
    expect(usageOf(new Headers({ "x-ad-account-usage": '{"acc_id_util_pct":99,"reset_time_duration":42}' }))).toEqual({ pct: 99, regainSeconds: 42 });
    expect(usageOf(new Headers())).toBeNull();
  });

  it("an expired token (code 190) is a configuration error that says to make a new one", async () => {
    const account = await adAccount();
    await account.expireToken();
    const config = fbConfig([account]);
    await expect(facebookAdsConnector.check(context().ctx, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("the access token expired or was revoked") });
  });
});
