/**
 * The LinkedIn fake's data, derived deterministically from an ad account's shape: its campaign group, campaigns and
 * creatives, and every creative's metrics for a day from a hash, so tests compute the exact sums they expect from
 * the same functions. A campaign's row is the sum of its creatives'. No node: imports, so workerd tests import it.
 */
import { hashText } from "../shared/prng";

export interface AccountShape {
  id: string;
  campaigns: number;
  creativesPerCampaign: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const stem = (account: string) => account.slice(-5);

export const campaignGroupId = (account: string) => Number(`${stem(account)}7001`);
export const campaignId = (account: string, c: number) => Number(`${stem(account)}1${pad(c, 4)}`);
export const creativeId = (account: string, c: number, k: number) => Number(`${stem(account)}2${pad(c, 4)}${pad(k, 2)}`);

export const campaignUrn = (id: number) => `urn:li:sponsoredCampaign:${id}`;
export const creativeUrn = (id: number) => `urn:li:sponsoredCreative:${id}`;

export interface CreativeIds {
  campaign: number;
  creative: number;
}

/** Every creative of the account with its campaign, in id order. */
export function creativesOf(shape: AccountShape): CreativeIds[] {
  const out: CreativeIds[] = [];
  for (let c = 1; c <= shape.campaigns; c++) {
    for (let k = 1; k <= shape.creativesPerCampaign; k++) out.push({ campaign: campaignId(shape.id, c), creative: creativeId(shape.id, c, k) });
  }
  return out;
}

/** Money metrics LinkedIn answers as decimal strings; kept in cents here so sums are exact. */
export const MONEY_METRICS = new Set(["costInLocalCurrency", "costInUsd", "conversionValueInLocalCurrency"]);

/** Every adAnalytics metric the fake serves (LinkedIn's "Reporting" metric list; others answer 400). */
export const KNOWN_METRICS = new Set([
  ...MONEY_METRICS,
  "impressions", "clicks", "landingPageClicks", "externalWebsiteConversions", "externalWebsitePostClickConversions",
  "externalWebsitePostViewConversions", "oneClickLeads", "oneClickLeadFormOpens", "likes", "shares", "comments",
  "commentLikes", "reactions", "follows", "companyPageClicks", "otherEngagements", "totalEngagements", "actionClicks",
  "adUnitClicks", "textUrlClicks", "cardClicks", "cardImpressions", "viralImpressions", "viralClicks", "videoStarts",
  "videoViews", "videoFirstQuartileCompletions", "videoMidpointCompletions", "videoThirdQuartileCompletions",
  "videoCompletions", "fullScreenPlays", "sends", "opens", "approximateMemberReach", "jobApplications", "jobApplyClicks",
  "registrations", "documentCompletions", "downloadClicks", "qualifiedLeads", "leadGenerationMailContactInfoShares",
  "leadGenerationMailInterestedClicks",
]);

/** One creative's metric on a day (money in cents), before any restatement; `factor` is the restatement's multiplier. */
export function creativeMetric(creative: number, date: string, metric: string, factor = 1): number {
  const h = hashText(`${creative}|${date}|${metric}`);
  const base = metric === "impressions" ? 200 + (h % 1800) : MONEY_METRICS.has(metric) ? 100 + (h % 9000) : h % 60;
  return Math.round(base * factor);
}

export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function daysBetween(since: string, until: string): string[] {
  const out: string[] = [];
  for (let at = Date.parse(`${since}T00:00:00Z`); at <= Date.parse(`${until}T00:00:00Z`); at += 86_400_000) out.push(new Date(at).toISOString().slice(0, 10));
  return out;
}
