/**
 * The Facebook fake's data, generated deterministically and cheaply from an account's shape: its campaign, ad set and
 * ad ids, and every ad's metrics for a day and a breakdown combination computed from a hash, so 150,000 rows cost
 * nothing to keep and tests compute the exact sums they expect from the same functions. No node: imports, so
 * workerd tests import it too.
 */
import { hashText } from "../shared/prng";

export interface AccountShape {
  /** Digits, without act_. */
  id: string;
  campaigns: number;
  adsetsPerCampaign: number;
  adsPerAdset: number;
}

export interface AdIds {
  campaign_id: string;
  adset_id: string;
  ad_id: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export const campaignId = (account: string, c: number) => `${account.slice(-6)}1${pad(c, 3)}`;
export const adsetId = (account: string, c: number, a: number) => `${account.slice(-6)}2${pad(c, 3)}${pad(a, 2)}`;
export const adId = (account: string, c: number, a: number, d: number) => `${account.slice(-6)}3${pad(c, 3)}${pad(a, 2)}${pad(d, 2)}`;

/** Every ad of the account with its parents, in id order. */
export function adsOf(shape: AccountShape): AdIds[] {
  const out: AdIds[] = [];
  for (let c = 1; c <= shape.campaigns; c++) {
    for (let a = 1; a <= shape.adsetsPerCampaign; a++) {
      for (let d = 1; d <= shape.adsPerAdset; d++) {
        out.push({ campaign_id: campaignId(shape.id, c), adset_id: adsetId(shape.id, c, a), ad_id: adId(shape.id, c, a, d) });
      }
    }
  }
  return out;
}

/** The values each breakdown the fake knows takes (Meta's names and spellings). */
export const BREAKDOWN_VALUES: Record<string, string[]> = {
  age: ["18-24", "25-34", "35-44"],
  gender: ["female", "male", "unknown"],
  country: ["US", "GB", "DE"],
  region: ["California", "Texas"],
  publisher_platform: ["facebook", "instagram"],
  platform_position: ["feed", "story"],
  impression_device: ["android_smartphone", "iphone"],
  device_platform: ["mobile", "desktop"],
};
export const ACTION_BREAKDOWNS = ["action_type", "action_target_id", "action_destination", "action_device"];

/** Every combination of the breakdowns' values, in order ([] gives one empty combination). */
export function combinations(breakdowns: readonly string[]): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const name of breakdowns) {
    const values = BREAKDOWN_VALUES[name] ?? [];
    out = out.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return out;
}

export type InsightMetric = "impressions" | "clicks" | "spend_cents" | "reach";

/**
 * One ad's metric for a day and a breakdown combination, before any restatement (`factor` is the restatement's
 * multiplier for that day, 1 for none). Spend is kept in cents so sums are exact; the API answers it in currency.
 */
export function insightMetric(ad: string, date: string, combo: Record<string, string>, metric: InsightMetric, factor = 1): number {
  const h = hashText(`${ad}|${date}|${Object.values(combo).join("/")}`);
  const impressions = 100 + (h % 900);
  switch (metric) {
    case "impressions":
      return Math.round(impressions * factor);
    case "reach":
      return Math.round((impressions - (h % 50)) * factor);
    case "clicks":
      return Math.round((1 + ((h >>> 10) % 50)) * factor);
    case "spend_cents":
      return Math.round((50 + ((h >>> 5) % 5000)) * factor);
  }
}

export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function daysBetween(since: string, until: string): string[] {
  const out: string[] = [];
  for (let at = Date.parse(`${since}T00:00:00Z`); at <= Date.parse(`${until}T00:00:00Z`); at += 86_400_000) out.push(new Date(at).toISOString().slice(0, 10));
  return out;
}
