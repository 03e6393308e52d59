/**
 * LinkedIn Marketing API, versioned Rest.li endpoints under /rest (research/connectors-data.md §4). Entity finders
 * have no server-side modified filter: incremental reads list everything and keep the records changed since the
 * cursor. The connector lifts `changeAuditStamps.created.time` / `.lastModified.time` (epoch ms) to ISO
 * `created` / `lastModified`; creatives carry `lastModifiedAt` instead. Analytics (adAnalytics, one pivot per
 * stream, DAILY) rows become {pivot_value, date, metrics…}, re-read over the lookback window.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
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
    start_date: startDateField("First day of analytics to read (YYYY-MM-DD). Empty starts two years ago."),
    lookback_window_days: lookbackDaysField({
      default: 7,
      max: 90,
      why: "conversions are credited late and demographic metrics settle after 12–24 hours.",
    }),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type LinkedinAdsConfig = z.infer<typeof config>;

/** Ad entities have numeric ids unless `fields` says otherwise. */
const entity = (name: string, cursor: "lastModified" | "lastModifiedAt", fields: Fields) =>
  stream(name, { primaryKey: ["id"], cursor, fields: { id: "integer", [cursor]: "date-time", ...fields } });

/** At most 20 metrics per request: the connector splits `fields` and joins the parts on pivot and date. */
const METRICS: Fields = {
  impressions: "integer",
  clicks: "integer",
  landingPageClicks: "integer",
  costInLocalCurrency: "number",
  costInUsd: "number",
  externalWebsiteConversions: "integer",
  oneClickLeads: "integer",
  likes: "integer",
  shares: "integer",
  comments: "integer",
  follows: "integer",
  videoViews: "integer",
  totalEngagements: "integer",
};

const analytics = (name: string) =>
  stream(name, {
    primaryKey: ["pivot_value", "date"],
    cursor: "date",
    fields: { pivot_value: "string", date: "date", ...METRICS },
  });

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
    entity("accounts", "lastModified", {
      name: "string",
      currency: "string",
      status: "string",
      type: "string",
      reference: "string",
      created: "date-time",
    }),
    entity("campaign_groups", "lastModified", {
      account: "string",
      name: "string",
      status: "string",
      runSchedule: "object",
      created: "date-time",
    }),
    entity("campaigns", "lastModified", {
      account: "string",
      campaignGroup: "string",
      name: "string",
      status: "string",
      type: "string",
      costType: "string",
      dailyBudget: "object",
      created: "date-time",
    }),
    // Creative ids are URNs (urn:li:sponsoredCreative:123), not numbers.
    entity("creatives", "lastModifiedAt", {
      id: "string",
      account: "string",
      campaign: "string",
      intendedStatus: "string",
      content: "object",
      createdAt: "date-time",
    }),
    // Role assignments have no id and no change stamps: keyed by account and user URNs, read whole.
    stream("account_users", {
      primaryKey: ["account", "user"],
      cursor: null,
      fields: { account: "string", user: "string", role: "string" },
    }),
    entity("conversions", "lastModified", {
      account: "string",
      name: "string",
      type: "string",
      enabled: "boolean",
      created: "date-time",
    }),
    analytics("ad_account_analytics"),
    analytics("ad_campaign_analytics"),
    analytics("ad_creative_analytics"),
  ],
} satisfies LoaderTypeSpec<LinkedinAdsConfig>;
