/**
 * Meta Marketing API (research/connectors-data.md §2). Object streams (campaigns, adsets, ads) filter on
 * `<entity>.updated_time`; insights are reports per day (time_increment=1) keyed by date_start, account and object
 * ids plus breakdowns, re-read over a lookback window because Meta revises insights for up to 28 days.
 * Graph returns insight numbers as strings: the connector casts them to the types below.
 */
import { z } from "zod";
import type { LoaderTypeSpec, StreamSpec } from "../kit/contract";
import {
  apiVersionField,
  customStreamsField,
  endDateField,
  type Fields,
  lookbackDaysField,
  secretField,
  startDateField,
  stream,
  streamName,
} from "../kit/spec-helpers";

/** Released 2026-07-29; Marketing API versions expire about a year after release, so the pin is configurable. */
const API_VERSION = "v26.0";

const LEVELS = ["account", "campaign", "adset", "ad"] as const;
type Level = (typeof LEVELS)[number];

// (verify) Meta has retired several view/28-day windows; the API rejects a window the pinned version lacks.
const ATTRIBUTION_WINDOWS = ["1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view"] as const;

export type InsightDefinition = { level: Level; breakdowns: string[]; action_breakdowns: string[]; fields?: string[] };

export const facebookInsightsReports: Record<string, InsightDefinition> = {
  ads_insights: { level: "ad", breakdowns: [], action_breakdowns: ["action_type"] },
  ads_insights_age_and_gender: { level: "ad", breakdowns: ["age", "gender"], action_breakdowns: ["action_type"] },
  ads_insights_country: { level: "ad", breakdowns: ["country"], action_breakdowns: ["action_type"] },
  account_insights: { level: "account", breakdowns: [], action_breakdowns: ["action_type"] },
  campaigns_insights: { level: "campaign", breakdowns: [], action_breakdowns: ["action_type"] },
  campaigns_insights_country: { level: "campaign", breakdowns: ["country"], action_breakdowns: ["action_type"] },
  campaigns_insights_age_and_gender: { level: "campaign", breakdowns: ["age", "gender"], action_breakdowns: ["action_type"] },
  adsets_insights: { level: "adset", breakdowns: [], action_breakdowns: ["action_type"] },
  adsets_insights_country: { level: "adset", breakdowns: ["country"], action_breakdowns: ["action_type"] },
  ads_insights_platform_and_device: {
    level: "ad",
    breakdowns: ["publisher_platform", "platform_position", "impression_device"],
    action_breakdowns: ["action_type"],
  },
};

export const OBJECT_STREAMS = ["ad_account", "campaigns", "adsets", "ads", "adcreatives", "customconversions", "adimages", "advideos", "activities"];

const fieldName = z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a Marketing API field or breakdown name, e.g. spend or age");

const customInsight = z
  .object({
    name: streamName.describe("Stream name for this report (lower snake_case); becomes the warehouse table."),
    level: z.enum(LEVELS).default("ad").describe("Aggregation level: one row per account, campaign, adset or ad, per day."),
    fields: z.array(fieldName).min(1).describe('Insights fields to read, e.g. ["impressions", "clicks", "spend", "actions"].'),
    breakdowns: z.array(fieldName).default([]).describe('Breakdowns, e.g. ["age", "gender"]; each becomes part of the row key.'),
    action_breakdowns: z.array(fieldName).default([]).describe('Action breakdowns, e.g. ["action_type"]; they split the `actions` arrays.'),
  })
  .strict();

const config = z
  .object({
    account_ids: z
      .array(z.string().regex(/^(act_)?\d+$/, "must be an ad account id: digits, with or without the act_ prefix"))
      .min(1)
      .describe("Ad account ids to read (act_123… or 123…)."),
    access_token: secretField("Access token with ads_read: a system-user token (does not expire) or a long-lived user token (about 60 days)."),
    app_secret: secretField("App secret, only if your app requires appsecret_proof on every call."),
    api_version: apiVersionField(API_VERSION, /^v\d+\.0$/, "v26.0"),
    start_date: startDateField("First day of insights to read (YYYY-MM-DD, in each ad account's time zone). Meta keeps 37 months."),
    end_date: endDateField(),
    insights_days_per_job: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(7)
      .describe("Days of insights each async report job covers (rows stay daily). A job Meta fails, or refuses as too much data, is re-submitted for half its range."),
    insights_lookback_window_days: lookbackDaysField({ default: 28, max: 28, why: "Meta revises insights for up to 28 days." }),
    action_attribution_windows: z
      .array(z.enum(ATTRIBUTION_WINDOWS))
      .min(1)
      .default(["1d_click", "7d_click", "1d_view"])
      .describe("Attribution windows reported in `actions` and `action_values`."),
    include_deleted: z
      .boolean()
      .default(false)
      .describe("Also read campaigns, ad sets and ads whose effective_status is ARCHIVED or DELETED."),
    custom_insights: customStreamsField(customInsight, [...OBJECT_STREAMS, ...Object.keys(facebookInsightsReports)])
      .default([])
      .describe("Extra insights reports, each a stream of its own."),
  })
  .strict();

export type FacebookAdsConfig = z.infer<typeof config>;

/** Read on every default insights stream; `reach` with breakdowns is only kept for 13 months (since 2025-06). */
export const INSIGHT_FIELDS: Fields = {
  account_id: "string",
  account_name: "string",
  account_currency: "string",
  campaign_id: "string",
  campaign_name: "string",
  adset_id: "string",
  adset_name: "string",
  ad_id: "string",
  ad_name: "string",
  objective: "string",
  date_start: "date",
  date_stop: "date",
  impressions: "integer",
  reach: "integer",
  frequency: "number",
  clicks: "integer",
  unique_clicks: "integer",
  inline_link_clicks: "integer",
  spend: "number",
  cpc: "number",
  cpm: "number",
  ctr: "number",
  actions: "array",
  action_values: "array",
  cost_per_action_type: "array",
};

function insightStream(name: string, report: InsightDefinition): StreamSpec {
  const objectKey = report.level === "account" ? [] : [`${report.level}_id`];
  const fields: Fields = {};
  // A custom report's types are known only for the default fields it reuses; the warehouse infers the rest.
  for (const field of report.fields ?? Object.keys(INSIGHT_FIELDS)) {
    const type = INSIGHT_FIELDS[field];
    if (type) fields[field] = type;
  }
  Object.assign(fields, {
    date_start: "date",
    account_id: "string",
  }, Object.fromEntries(objectKey.map((key) => [key, "string"])));
  for (const breakdown of report.breakdowns) fields[breakdown] = "string";
  return stream(name, {
    primaryKey: ["date_start", "account_id", ...objectKey, ...report.breakdowns],
    cursor: "date_start",
    fields,
  });
}

const graphObject = (name: string, fields: Fields) =>
  stream(name, {
    primaryKey: ["id"],
    cursor: "updated_time",
    fields: {
      id: "string",
      account_id: "string",
      name: "string",
      status: "string",
      effective_status: "string",
      created_time: "date-time",
      updated_time: "date-time",
      ...fields,
    },
  });

const defaultStreams: StreamSpec[] = [
  // GET /act_{id}: one row per account, no change filter.
  stream("ad_account", {
    primaryKey: ["id"],
    cursor: null,
    fields: {
      id: "string",
      account_id: "string",
      name: "string",
      currency: "string",
      timezone_name: "string",
      account_status: "integer",
      amount_spent: "string",
    },
  }),
  graphObject("campaigns", {
    objective: "string",
    buying_type: "string",
    daily_budget: "string",
    lifetime_budget: "string",
    start_time: "date-time",
    stop_time: "date-time",
  }),
  graphObject("adsets", {
    campaign_id: "string",
    daily_budget: "string",
    lifetime_budget: "string",
    optimization_goal: "string",
    billing_event: "string",
    targeting: "object",
  }),
  graphObject("ads", { campaign_id: "string", adset_id: "string", creative: "object" }),
  // Creatives have no updated_time: read whole.
  stream("adcreatives", {
    primaryKey: ["id"],
    cursor: null,
    fields: {
      id: "string",
      account_id: "string",
      name: "string",
      status: "string",
      object_type: "string",
      title: "string",
      body: "string",
      thumbnail_url: "string",
    },
  }),
  // Custom conversions, images and videos have no change filter on their edges: read whole.
  stream("customconversions", {
    primaryKey: ["id"],
    cursor: null,
    fields: { id: "string", account_id: "string", name: "string", custom_event_type: "string", rule: "string", creation_time: "date-time", last_fired_time: "date-time", is_archived: "boolean" },
  }),
  stream("adimages", {
    primaryKey: ["id"],
    cursor: null,
    fields: { id: "string", account_id: "string", hash: "string", name: "string", url: "string", width: "integer", height: "integer", status: "string", created_time: "date-time", updated_time: "date-time" },
  }),
  stream("advideos", {
    primaryKey: ["id"],
    cursor: null,
    fields: { id: "string", account_id: "string", title: "string", description: "string", length: "number", created_time: "date-time", updated_time: "date-time" },
  }),
  // The account's change log: no id; an event is its object, time and type. Incremental with `since` on event_time.
  stream("activities", {
    primaryKey: ["object_id", "event_time", "event_type"],
    cursor: "event_time",
    fields: { account_id: "string", actor_id: "string", actor_name: "string", event_time: "date-time", event_type: "string", object_id: "string", object_name: "string", object_type: "string", extra_data: "string" },
  }),
  ...Object.entries(facebookInsightsReports).map(([name, report]) => insightStream(name, report)),
];

export const facebookAdsSpec = {
  type: "facebook_ads",
  title: "Facebook Ads",
  category: "advertising",
  auth_method: "oauth2_access_token",
  api_version: API_VERSION,
  config,
  secret_fields: ["access_token", "app_secret"],
  credential_sets: [["access_token"]],
  streams: defaultStreams,
  streamsFromConfig: (cfg: FacebookAdsConfig) => [
    ...defaultStreams,
    // `?? []`: callers may hold a stored config that predates the field's default.
    ...(cfg.custom_insights ?? []).map((report) => insightStream(report.name, report)),
  ],
} satisfies LoaderTypeSpec<FacebookAdsConfig>;
