/**
 * linkedin_ads against the LinkedIn fake: adAnalytics with the versioned headers and raw Rest.li values, the metrics
 * split into requests of at most 20 fields and joined on date and pivot, a range at the 15,000-row cap read again in
 * halves; entity finders paged by pageToken and by start/count, filtered client-side by lastModified; the fake
 * refusing what LinkedIn refuses; a daily-limit 429 waited out with no call during it, or handed to the engine as
 * ResumeLater with every stream paused; a revoked refresh token as a configuration error that says to reconnect.
 */
import { describe, expect, it } from "vitest";
import { linkedinAdsConnector } from "../../../connectors/linkedin_ads";
import { BUDGET_KEY } from "../../../connectors/linkedin_ads/client";
import { isResumeLater, type SharedBudget } from "../../../connectors/kit/contract";
import { ANALYTICS_METRICS } from "../../../connectors/linkedin_ads/spec";
import { fakeBase } from "../../helpers/connector";
import {
  addDays,
  apiCalls,
  campaignId,
  campaignUrn,
  context,
  creativeMetric,
  creativesOf,
  creativeUrn,
  daysBetween,
  liConfig,
  liRequest,
  member,
  readAll,
  records,
  todayIn,
  tokenCalls,
} from "./harness";

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const METRICS = Object.keys(ANALYTICS_METRICS);
const urn = (id: string) => `urn%3Ali%3AsponsoredAccount%3A${id}`;
const restliDate = (date: string) => {
  const [y, m, d] = date.split("-").map(Number);
  return `(year:${y},month:${m},day:${d})`;
};

describe("linkedin_ads reader", () => {
  it("reads daily analytics by campaign: versioned headers, raw Rest.li values, metrics in requests of at most 20 fields joined on date and campaign", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 2, creatives_per_campaign: 3 });
    const today = todayIn("UTC", new Date());
    const start = addDays(today, -2);
    const config = liConfig(m, [account], { start_date: start });
    const pages = await readAll(context().ctx, config, liRequest("ad_analytics_by_campaign", "incremental"));
    const rows = records(pages);
    expect(rows).toHaveLength(2 * 3);
    const creatives = creativesOf(account.shape);
    for (const date of daysBetween(start, today)) {
      for (const campaign of [...new Set(creatives.map((c) => c.campaign))]) {
        const row = rows.find((r) => r.date === date && r.pivot_value === campaignUrn(campaign))!;
        const sum = (metric: string) => creatives.filter((c) => c.campaign === campaign).reduce((s, c) => s + creativeMetric(c.creative, date, metric), 0);
        expect(row.account_id).toBe(account.id);
        // Every metric arrived, from whichever request asked for it, in one row.
        for (const metric of METRICS) expect(row, metric).toHaveProperty(metric);
        expect(row).toMatchObject({ impressions: sum("impressions"), clicks: sum("clicks"), videoCompletions: sum("videoCompletions"), opens: sum("opens") });
        expect(Math.round((row.costInLocalCurrency as number) * 100)).toBe(sum("costInLocalCurrency"));
      }
    }
    expect(pages.at(-1)!.state).toEqual({ cursor: today });

    const sent = apiCalls(await m.requests());
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.path).toBe("/rest/adAnalytics");
      expect(request.headers).toMatchObject({ "linkedin-version": "202603", "x-restli-protocol-version": "2.0.0" });
      expect(request.rawQuery).toContain(`dateRange=(start:${restliDate(start)},end:${restliDate(today)})`);
      expect(request.rawQuery).toContain(`accounts=List(${urn(account.id)})`);
      expect(request.rawQuery).toMatch(/^q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&/);
    }
    const fields = sent.map((r) => /(?:^|&)fields=([^&]*)/.exec(r.rawQuery)![1]!.split(","));
    for (const group of fields) {
      expect(group.length).toBeLessThanOrEqual(20);
      expect(group.slice(0, 2)).toEqual(["dateRange", "pivotValues"]);
    }
    expect(fields.flatMap((g) => g.slice(2)).sort()).toEqual([...METRICS].sort());
    // One refresh-token grant served both requests.
    expect(tokenCalls(await m.requests()).map((r) => [r.form?.grant_type, r.form?.refresh_token, r.status])).toEqual([["refresh_token", m.refreshToken, 200]]);
  });

  it("analytics by creative in date slices of analytics_days_per_request, one request group per slice, keyed by creative URN", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 1, creatives_per_campaign: 2 });
    const today = todayIn("UTC", new Date());
    const config = liConfig(m, [account], { start_date: addDays(today, -2), analytics_days_per_request: 2 });
    const rows = records(await readAll(context().ctx, config, liRequest("ad_analytics_by_creative", "incremental")));
    const creatives = creativesOf(account.shape);
    expect(rows.map((r) => `${r.date}|${r.pivot_value}`).sort()).toEqual(
      daysBetween(addDays(today, -2), today).flatMap((d) => creatives.map((c) => `${d}|${creativeUrn(c.creative)}`)).sort(),
    );
    for (const row of rows) expect(row.impressions).toBe(creativeMetric(Number(String(row.pivot_value).split(":").at(-1)), String(row.date), "impressions"));
    const ranges = apiCalls(await m.requests()).map((r) => /dateRange=([^&]*)/.exec(r.rawQuery)![1]);
    expect(ranges).toEqual([
      `(start:${restliDate(addDays(today, -2))},end:${restliDate(addDays(today, -1))})`,
      `(start:${restliDate(addDays(today, -2))},end:${restliDate(addDays(today, -1))})`,
      `(start:${restliDate(today)},end:${restliDate(today)})`,
      `(start:${restliDate(today)},end:${restliDate(today)})`,
    ]);
  });

  it("analytics of every account the member can see, one page per account and slice; a resumed chunk goes on with the next account", async () => {
    const m = await member({ rotate: false });
    const first = await m.account({ campaigns: 1, creatives_per_campaign: 1 });
    const second = await m.account({ campaigns: 2, creatives_per_campaign: 1 });
    const today = todayIn("UTC", new Date());
    const config = liConfig(m, [], { start_date: today });
    const pages = await readAll(context().ctx, config, liRequest("ad_analytics_by_campaign", "incremental"));
    const [low, high] = [first, second].sort((a, b) => Number(a.id) - Number(b.id));
    const rowsOf = (a: typeof first) => Array(a === first ? 1 : 2).fill(a.id);
    expect(pages.map((p) => p.records.map((r) => r.account_id))).toEqual([rowsOf(low!), rowsOf(high!)]);
    expect(pages[0]!.checkpoint).toMatchObject({ position: { accounts: [high!.id] } });
    const before = apiCalls(await m.requests()).length;
    const resumed = await readAll(context().ctx, config, liRequest("ad_analytics_by_campaign", "incremental", null, pages[0]!.checkpoint));
    expect(records(resumed).map((r) => r.account_id)).toEqual(rowsOf(high!));
    // No account listing when resuming inside a slice: the accounts travel in the checkpoint.
    expect(apiCalls(await m.requests()).slice(before).map((r) => r.path)).toEqual(["/rest/adAnalytics", "/rest/adAnalytics"]);
  });

  it("a range whose answer reaches the row cap (LinkedIn drops the rest silently) is read again in halves", async () => {
    const m = await member();
    // 5,000 campaigns: three days are 15,000 rows, LinkedIn's cap; two days fit.
    const account = await m.account({ campaigns: 5000, creatives_per_campaign: 1 });
    const today = todayIn("UTC", new Date());
    const start = addDays(today, -2);
    const config = liConfig(m, [account], { start_date: start, analytics_days_per_request: 3 });
    const rows = records(await readAll(context().ctx, config, liRequest("ad_analytics_by_campaign", "incremental")));
    expect(rows).toHaveLength(15_000);
    expect(new Set(rows.map((r) => `${r.date}|${r.pivot_value}`)).size).toBe(15_000);
    expect(rows.filter((r) => r.pivot_value === campaignUrn(campaignId(account.id, 5000))).map((r) => r.date).sort()).toEqual(daysBetween(start, today));
    const ranges = apiCalls(await m.requests()).map((r) => /dateRange=\(start:(\([^)]*\)),end:(\([^)]*\))/.exec(r.rawQuery)!.slice(1).join(".."));
    const day = (d: string) => `${restliDate(d)}..${restliDate(d)}`;
    // The first request of the three days reaches the cap and ends the range; its halves (two days, one) fit.
    expect(ranges).toEqual([
      `${restliDate(start)}..${restliDate(today)}`,
      `${restliDate(start)}..${restliDate(addDays(start, 1))}`,
      `${restliDate(start)}..${restliDate(addDays(start, 1))}`,
      day(today),
      day(today),
    ]);
  });

  it("entity finders: pageToken paging with the status search sent raw, start/count paging, the creatives FINDER header, every account listed when none is configured", async () => {
    // Several one-off reads from the same config: no token keeper here to hand a rotated token on.
    const m = await member({ rotate: false });
    const account = await m.account({ campaigns: 150, creatives_per_campaign: 1, conversions: 130 });
    const other = await m.account({ campaigns: 1, creatives_per_campaign: 1 });
    const config = liConfig(m, []);
    const campaigns = records(await readAll(context().ctx, config, liRequest("campaigns", "full_refresh")));
    expect(campaigns).toHaveLength(151);
    expect(campaigns[0]).toMatchObject({ account_id: account.id < other.id ? account.id : other.id, status: "ACTIVE", created: "2026-01-05T10:00:00.000Z", lastModified: expect.stringMatching(/^2026-01-05T/) });
    expect(campaigns[0]).not.toHaveProperty("changeAuditStamps");
    let sent = apiCalls(await m.requests());
    expect(sent[0]).toMatchObject({ path: "/rest/adAccounts", rawQuery: "q=search&pageSize=100" });
    const campaignCalls = sent.filter((r) => r.path.endsWith("/adCampaigns"));
    expect(campaignCalls).toHaveLength(3);
    const big = campaignCalls.filter((r) => r.path === `/rest/adAccounts/${account.id}/adCampaigns`);
    expect(big.map((r) => r.rawQuery.replace(/pageToken=[^&]*/, "pageToken=<t>"))).toEqual([
      "q=search&pageSize=100&search=(status:(values:List(ACTIVE,PAUSED,ARCHIVED,COMPLETED,CANCELED,DRAFT,PENDING_DELETION,REMOVED)))",
      "q=search&pageToken=<t>&pageSize=100&search=(status:(values:List(ACTIVE,PAUSED,ARCHIVED,COMPLETED,CANCELED,DRAFT,PENDING_DELETION,REMOVED)))",
    ]);

    const conversions = records(await readAll(context().ctx, liConfig(m, [account]), liRequest("conversions", "full_refresh")));
    expect(conversions).toHaveLength(130);
    expect(conversions[0]).toMatchObject({ account_id: account.id, type: "PURCHASE", created: "2026-01-05T10:00:00.000Z" });
    sent = apiCalls(await m.requests()).filter((r) => r.path === "/rest/conversions");
    expect(sent.map((r) => r.rawQuery)).toEqual([`q=account&start=0&count=100&account=${urn(account.id)}`, `q=account&start=100&count=100&account=${urn(account.id)}`]);

    const creatives = records(await readAll(context().ctx, liConfig(m, [other]), liRequest("creatives", "full_refresh")));
    expect(creatives).toEqual([expect.objectContaining({ id: expect.stringMatching(/^urn:li:sponsoredCreative:\d+$/), account_id: other.id, lastModifiedAt: "2026-01-05T10:00:00.000Z" })]);
    expect(apiCalls(await m.requests()).at(-1)).toMatchObject({ path: `/rest/adAccounts/${other.id}/creatives`, headers: { "x-restli-method": "FINDER" } });

    const users = records(await readAll(context().ctx, liConfig(m, [other]), liRequest("account_users", "full_refresh")));
    expect(users.map((u) => [u.account, u.role])).toEqual([[`urn:li:sponsoredAccount:${other.id}`, "ACCOUNT_MANAGER"], [`urn:li:sponsoredAccount:${other.id}`, "VIEWER"]]);
    expect(apiCalls(await m.requests()).at(-1)!.rawQuery).toBe(`q=accounts&start=0&count=100&accounts=${urn(other.id)}`);

    const accounts = records(await readAll(context().ctx, liConfig(m, [other]), liRequest("ad_accounts", "full_refresh")));
    expect(accounts).toEqual([expect.objectContaining({ id: Number(other.id), currency: "USD", status: "ACTIVE" })]);
    expect(apiCalls(await m.requests()).at(-1)!.rawQuery).toBe(`q=search&pageSize=100&search=(id:(values:List(${other.id})))`);
  });

  it("incremental entity reads keep what changed at or after the committed lastModified", async () => {
    const m = await member({ rotate: false });
    const account = await m.account({ campaigns: 4, creatives_per_campaign: 1 });
    const config = liConfig(m, [account]);
    const first = await readAll(context().ctx, config, liRequest("campaigns", "incremental"));
    expect(records(first)).toHaveLength(4);
    const state = first.at(-1)!.state!;
    expect(state.cursor).toBe(records(first).map((r) => String(r.lastModified)).sort().at(-1));
    const touched = Number(records(first)[1]!.id);
    await account.touch([touched], "PAUSED");
    const again = records(await readAll(context().ctx, config, liRequest("campaigns", "incremental", state)));
    // The touched one, and the one last modified at the committed millisecond itself (merged by id).
    expect(again.map((r) => [r.id, r.status]).sort()).toEqual([[touched, "PAUSED"], [Number(records(first)[3]!.id), "ACTIVE"]].sort());
  });

  it("the fake refuses what LinkedIn refuses: a missing version header, an encoded List(, a malformed tuple, more than 20 fields", async () => {
    const token = `AQV${crypto.randomUUID().replaceAll("-", "")}`;
    const m = await member({ access_token: token });
    const account = await m.account();
    const today = todayIn("UTC", new Date());
    const base = `${fakeBase("linkedin")}/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY`;
    const range = `dateRange=(start:${restliDate(today)},end:${restliDate(today)})`;
    const good = { authorization: `Bearer ${token}`, "linkedin-version": "202603", "x-restli-protocol-version": "2.0.0" };
    const call = async (query: string, headers: Record<string, string> = good) => {
      const response = await fetch(`${base}&${query}`, { headers });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=dateRange,pivotValues,impressions`)).toMatchObject({ status: 200 });
    const { "linkedin-version": _v, ...noVersion } = good;
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=impressions`, noVersion)).toEqual({
      status: 400,
      body: { status: 400, code: "VERSION_MISSING", message: "A version must be present. Please specify a version by adding the LinkedIn-Version header." },
    });
    const { "x-restli-protocol-version": _p, ...noProtocol } = good;
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=impressions`, noProtocol)).toMatchObject({ status: 400, body: { code: "ILLEGAL_ARGUMENT" } });
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=impressions`, { ...good, "linkedin-version": "202401" })).toMatchObject({ status: 426, body: { code: "NONEXISTENT_VERSION" } });
    expect(await call(`${range}&accounts=List%28${urn(account.id)}%29&fields=impressions`)).toMatchObject({ status: 400, body: { message: expect.stringContaining("Invalid query parameters passed to request") } });
    expect(await call(`${range}&accounts=List(urn:li:sponsoredAccount:${account.id})&fields=impressions`)).toMatchObject({ status: 400 });
    expect(await call(`dateRange=(start:(year:2026,month:1,day:1)&accounts=List(${urn(account.id)})&fields=impressions`)).toMatchObject({ status: 400 });
    expect(await call(`dateRange=(start:(year:2026;month:1))&accounts=List(${urn(account.id)})&fields=impressions`)).toMatchObject({ status: 400 });
    const tooMany = ["dateRange", "pivotValues", ...METRICS.slice(0, 19)].join(",");
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=${tooMany}`)).toMatchObject({ status: 400, body: { message: expect.stringContaining("maximum of 20") } });
    expect(await call(`${range}&accounts=List(${urn(account.id)})&fields=${tooMany.split(",").slice(0, 20).join(",")}`)).toMatchObject({ status: 200 });
  });

  it("a daily-limit 429 is waited out until 00:00 UTC with no call during the block", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 1, creatives_per_campaign: 1 });
    // The read's clock stands 2 s before midnight UTC; the fake blocks the member for those 2 s.
    const offset = Date.parse(`${todayIn("UTC", new Date())}T23:59:58Z`) - Date.now();
    const now = () => new Date(Date.now() + offset);
    const config = liConfig(m, [account], { start_date: todayIn("UTC", new Date()) });
    await m.faults({ throttle: { limit: "APPLICATION_DAY", seconds: 2 } });
    const { ctx } = context({ sleep: realSleep }, now);
    const rows = records(await readAll(ctx, config, liRequest("ad_analytics_by_campaign", "incremental")));
    expect(rows).toHaveLength(1);
    const sent = apiCalls(await m.requests());
    expect(sent[0]).toMatchObject({ status: 429, code: "TOO_MANY_REQUESTS" });
    expect(sent.filter((r) => r.blocked)).toEqual([]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(2000);
    expect(sent.slice(1).every((r) => r.status === 200)).toBe(true);
  });

  it("a daily-limit 429 far from midnight pauses every stream until then and hands the chunk back as ResumeLater", async () => {
    const m = await member();
    const account = await m.account({ campaigns: 1, creatives_per_campaign: 1 });
    await m.faults({ throttle: { limit: "MEMBER_DAY", seconds: 3600 } });
    const now = () => new Date(`${todayIn("UTC", new Date())}T18:00:00Z`);
    const calls: string[] = [];
    const budget: SharedBudget = {
      take: async (key, cost) => void calls.push(`take ${key} ${cost}`),
      observe: async () => {},
      slot: async () => ({ release: async () => {} }),
      pause: async (key, seconds) => void calls.push(`pause ${key} ${seconds}`),
    };
    const { ctx } = context({}, now);
    const error = await readAll({ ...ctx, budget }, liConfig(m, [account]), liRequest("ad_analytics_by_campaign", "incremental")).catch((e: unknown) => e);
    expect(isResumeLater(error)).toBe(true);
    expect((error as { seconds: number }).seconds).toBe(6 * 3600);
    expect(calls).toEqual([`take ${BUDGET_KEY} 1`, `pause ${BUDGET_KEY} ${6 * 3600}`]);
    // One call, not a retry loop against a spent daily limit.
    expect(apiCalls(await m.requests())).toHaveLength(1);
  });

  it("check names a configured ad account the member has no role on", async () => {
    const m = await member();
    const account = await m.account();
    const config = liConfig(m, [account], { account_ids: [account.id, "512345678"] });
    await expect(linkedinAdsConnector.check(context().ctx, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("no role on ad account(s) 512345678") });
    expect(apiCalls(await m.requests()).map((r) => r.rawQuery)).toEqual([`q=search&pageSize=2&search=(id:(values:List(${account.id},512345678)))`]);
  });

  it("a revoked refresh token is a configuration error that says to reconnect", async () => {
    const m = await member();
    const account = await m.account();
    await m.revoke();
    await expect(linkedinAdsConnector.check(context().ctx, liConfig(m, [account]))).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("reconnect LinkedIn: the refresh token was revoked or expired"),
    });
    expect(tokenCalls(await m.requests()).map((r) => [r.status, r.code])).toEqual([[400, "invalid_request"]]);
  });
});
