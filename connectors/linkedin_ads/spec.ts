/**
 * LinkedIn Marketing API, versioned Rest.li endpoints under /rest (research/connectors-data.md §4). Entity finders
 * have no server-side modified filter: incremental reads list everything and keep the records changed since the
 * cursor. The connector lifts `changeAuditStamps.created.time` / `.lastModified.time` (epoch ms) to ISO
 * `created` / `lastModified`; creatives carry `createdAt` / `lastModifiedAt` instead. Analytics (adAnalytics, one
 * pivot per stream, DAILY) rows become {date, pivot_value, account_id, metrics…}, re-read over the lookback window.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { reportStreamSpec } from "../kit/report";
import {
  apiVersionField,
  exclusiveCredentialSets,
  type Fields,
  lookbackDaysField,
  oauthRefreshFields,
  secretField,
  startDateField,
  stream,
} from "../kit/spec-helpers";

/**
 * Monthly versions (YYYYMM, sometimes YYYYMM.NN), each supported about a year; 202603 sunsets 2027-03-16 per
 * LinkedIn's migrations table. A sunset version answers 426.
 */
const API_VERSION = "202603";

const credentialSets = [["client_id", "client_secret", "refresh_token"], ["access_token"]];

const config = z
  .object({
    account_ids: z
      .array(z.string().regex(/^\d+$/, "must be a numeric ad account id"))
      .default([])
      .describe("Ad account ids to read; empty reads every account the token can access."),
    ...oauthRefreshFields("LinkedIn (Marketing Developer Platform, scopes r_ads and r_ads_reporting)"),
    access_token: secretField("Access token (60-day lifetime) with r_ads and r_ads_reporting, if you do not use the refresh-token flow."),
    api_version: apiVersionField(API_VERSION, /^\d{6}(\.\d{2})?$/, "202603"),
    start_date: startDateField("First day of analytics to read (YYYY-MM-DD, UTC). Empty starts two years ago."),
    lookback_window_days: lookbackDaysField({
      default: 30,
      max: 90,
      why: "conversions are credited up to 30 days after the click (LinkedIn's default attribution window) and demographic metrics settle after 12–24 hours.",
    }),
    analytics_days_per_request: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(30)
      .describe(
        "Days of daily analytics each adAnalytics request covers. LinkedIn answers at most 15,000 rows a request and drops the rest silently; a range that reaches the cap is read again in halves.",
      ),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type LinkedinAdsConfig = z.infer<typeof config>;

/** Ad entities have numeric ids unless `fields` says otherwise. */
const entity = (name: string, cursor: "lastModified" | "lastModifiedAt", fields: Fields) =>
  stream(name, { primaryKey: ["id"], cursor, fields: { id: "integer", [cursor]: "date-time", ...fields } });

/**
 * The adAnalytics metrics every analytics stream reads (LinkedIn's "Reporting" metric list). More than a request may
 * ask for (20 fields, dateRange and pivotValues among them), so they are read in groups joined on date and pivot.
 */
export const ANALYTICS_METRICS: Fields = {
  impressions: "integer",
  clicks: "integer",
  landingPageClicks: "integer",
  costInLocalCurrency: "number",
  costInUsd: "number",
  conversionValueInLocalCurrency: "number",
  externalWebsiteConversions: "integer",
  externalWebsitePostClickConversions: "integer",
  externalWebsitePostViewConversions: "integer",
  oneClickLeads: "integer",
  oneClickLeadFormOpens: "integer",
  likes: "integer",
  shares: "integer",
  comments: "integer",
  commentLikes: "integer",
  reactions: "integer",
  follows: "integer",
  companyPageClicks: "integer",
  otherEngagements: "integer",
  totalEngagements: "integer",
  actionClicks: "integer",
  adUnitClicks: "integer",
  textUrlClicks: "integer",
  cardClicks: "integer",
  cardImpressions: "integer",
  viralImpressions: "integer",
  viralClicks: "integer",
  videoStarts: "integer",
  videoViews: "integer",
  videoFirstQuartileCompletions: "integer",
  videoMidpointCompletions: "integer",
  videoThirdQuartileCompletions: "integer",
  videoCompletions: "integer",
  fullScreenPlays: "integer",
  sends: "integer",
  opens: "integer",
};

/** adAnalytics `pivot` of each analytics stream. */
export const ANALYTICS_PIVOTS: Record<string, "CAMPAIGN" | "CREATIVE"> = {
  ad_analytics_by_campaign: "CAMPAIGN",
  ad_analytics_by_creative: "CREATIVE",
};

/** Keyed by the day and the pivot's URN (urn:li:sponsoredCampaign:… or urn:li:sponsoredCreative:…), unique across accounts. */
const analytics = (name: string) =>
  reportStreamSpec({
    name,
    dimensions: { pivot_value: "string" },
    metrics: ANALYTICS_METRICS,
    attributes: { account_id: "string" },
  });

export const ENTITY_STREAMS = ["ad_accounts", "account_users", "campaign_groups", "campaigns", "creatives", "conversions"];

export const linkedinAdsSpec = {
  type: "linkedin_ads",
  title: "LinkedIn Ads",
  category: "advertising",
  auth_method: "oauth2_refresh_token|oauth2_access_token",
  api_version: API_VERSION,
  config,
  secret_fields: ["client_secret", "refresh_token", "access_token"],
  credential_sets: credentialSets,
  streams: [
    entity("ad_accounts", "lastModified", {
      name: "string",
      currency: "string",
      status: "string",
      type: "string",
      reference: "string",
      test: "boolean",
      created: "date-time",
    }),
    // Role assignments have no id: keyed by account and user URNs, read whole.
    stream("account_users", {
      primaryKey: ["account", "user"],
      cursor: null,
      fields: { account: "string", user: "string", role: "string", account_id: "string" },
    }),
    entity("campaign_groups", "lastModified", {
      account: "string",
      name: "string",
      status: "string",
      runSchedule: "object",
      totalBudget: "object",
      created: "date-time",
      account_id: "string",
    }),
    entity("campaigns", "lastModified", {
      account: "string",
      campaignGroup: "string",
      name: "string",
      status: "string",
      type: "string",
      costType: "string",
      objectiveType: "string",
      dailyBudget: "object",
      unitCost: "object",
      runSchedule: "object",
      created: "date-time",
      account_id: "string",
    }),
    // Creative ids are URNs (urn:li:sponsoredCreative:123), not numbers.
    entity("creatives", "lastModifiedAt", {
      id: "string",
      account: "string",
      campaign: "string",
      intendedStatus: "string",
      isServing: "boolean",
      content: "object",
      createdAt: "date-time",
      account_id: "string",
    }),
    entity("conversions", "lastModified", {
      account: "string",
      name: "string",
      type: "string",
      attributionType: "string",
      postClickAttributionWindowSize: "integer",
      viewThroughAttributionWindowSize: "integer",
      enabled: "boolean",
      created: "date-time",
      account_id: "string",
    }),
    ...Object.keys(ANALYTICS_PIVOTS).map(analytics),
  ],
} satisfies LoaderTypeSpec<LinkedinAdsConfig>;
