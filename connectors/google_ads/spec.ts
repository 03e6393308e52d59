/**
 * Google Ads API over REST with GAQL (research/connectors-data.md §3). Every stream is a GAQL query over one
 * resource; the connector runs it per customer with googleAds:searchStream. Rows are nested camelCase objects; the
 * connector flattens each selected field path to one column named by the GAQL path with dots as underscores
 * (`campaign.id` → campaign_id, `metrics.cost_micros` → metrics_cost_micros), converting int64 strings to
 * numbers. Report streams are keyed by resource ids and `segments.date`, the cursor, and are re-read over the
 * conversion window because conversions are attributed retroactively.
 */
import { z } from "zod";
import type { LoaderTypeSpec, StreamSpec } from "../kit/contract";
import {
  apiVersionField,
  credentialField,
  customStreamsField,
  endDateField,
  exclusiveCredentialSets,
  type FieldType,
  lookbackDaysField,
  oauthRefreshFields,
  secretField,
  serviceAccountJsonField,
  startDateField,
  stream,
  streamName,
} from "../kit/spec-helpers";

/** Released 2026-04-22; Google keeps about four versions live and retires each about a year after release. */
const API_VERSION = "v24";

/** A customer id as Google Ads shows it (123-456-7890) or as the API takes it (1234567890). */
const customerId = z.string().regex(/^\d{3}-?\d{3}-?\d{4}$/, "must be a 10-digit customer id, e.g. 123-456-7890");

const GAQL = /^\s*SELECT\s+(.+?)\s+FROM\s+([a-z_]+)\b/is;

export interface GoogleAdsQuery {
  resource: string;
  /** GAQL field paths; their column types where known (ids stay strings: int64 can exceed JSON's safe integers). */
  fields: Record<string, FieldType>;
}

const METRICS: Record<string, FieldType> = {
  "metrics.impressions": "integer",
  "metrics.clicks": "integer",
  "metrics.cost_micros": "integer",
  "metrics.conversions": "number",
  "metrics.conversions_value": "number",
  "metrics.all_conversions": "number",
  "metrics.interactions": "integer",
};

const report = (resource: string, fields: Record<string, FieldType>): GoogleAdsQuery => ({
  resource,
  fields: { "customer.id": "string", ...fields, "segments.date": "date", ...METRICS },
});

export const googleAdsQueries: Record<string, GoogleAdsQuery> = {
  customer: {
    resource: "customer",
    fields: {
      "customer.id": "string",
      "customer.descriptive_name": "string",
      "customer.currency_code": "string",
      "customer.time_zone": "string",
      "customer.manager": "boolean",
      "customer.test_account": "boolean",
      "customer.status": "string",
    },
  },
  campaign: {
    resource: "campaign",
    fields: {
      "customer.id": "string",
      "campaign.id": "string",
      "campaign.name": "string",
      "campaign.status": "string",
      "campaign.advertising_channel_type": "string",
      "campaign.bidding_strategy_type": "string",
      "campaign_budget.amount_micros": "integer",
    },
  },
  ad_group: {
    resource: "ad_group",
    fields: {
      "customer.id": "string",
      "campaign.id": "string",
      "ad_group.id": "string",
      "ad_group.name": "string",
      "ad_group.status": "string",
      "ad_group.type": "string",
    },
  },
  ad_group_ad: {
    resource: "ad_group_ad",
    fields: {
      "customer.id": "string",
      "campaign.id": "string",
      "ad_group.id": "string",
      "ad_group_ad.ad.id": "string",
      "ad_group_ad.ad.name": "string",
      "ad_group_ad.ad.type": "string",
      "ad_group_ad.ad.final_urls": "array",
      "ad_group_ad.status": "string",
    },
  },
  account_performance_report: report("customer", { "customer.descriptive_name": "string", "customer.currency_code": "string" }),
  campaign_performance_report: report("campaign", {
    "campaign.id": "string",
    "campaign.name": "string",
    "campaign.status": "string",
  }),
  ad_group_performance_report: report("ad_group", {
    "campaign.id": "string",
    "ad_group.id": "string",
    "ad_group.name": "string",
  }),
  ad_performance_report: report("ad_group_ad", {
    "campaign.id": "string",
    "ad_group.id": "string",
    "ad_group_ad.ad.id": "string",
  }),
  keyword_performance_report: report("keyword_view", {
    "campaign.id": "string",
    "ad_group.id": "string",
    "ad_group_criterion.criterion_id": "string",
    "ad_group_criterion.keyword.text": "string",
    "ad_group_criterion.keyword.match_type": "string",
  }),
};

export const columnOf = (gaqlField: string) => gaqlField.replaceAll(".", "_");

/** Key: every selected resource id plus every segment, so a row per (object, day, segment) merges in place. */
function isKeyField(field: string): boolean {
  return field.startsWith("segments.") || field.endsWith(".id") || field.endsWith(".criterion_id");
}

function queryStream(name: string, query: GoogleAdsQuery): StreamSpec {
  const fields = Object.fromEntries(Object.entries(query.fields).map(([field, type]) => [columnOf(field), type]));
  const paths = Object.keys(query.fields);
  return stream(name, {
    primaryKey: paths.filter(isKeyField).map(columnOf),
    cursor: paths.includes("segments.date") ? columnOf("segments.date") : null,
    fields,
  });
}

/** The SELECT list and FROM resource of a custom query; it has been validated by the config schema. */
export function parseGaql(query: string): GoogleAdsQuery {
  const match = GAQL.exec(query);
  const selected = (match?.[1] ?? "").split(",").map((field) => field.trim()).filter(Boolean);
  // Types of custom fields are unknown until the first rows (GoogleAdsFieldService could tell; not read here).
  return {
    resource: match?.[2] ?? "",
    fields: Object.fromEntries(selected.map((field) => [field, field === "segments.date" ? "date" : "string"])),
  };
}

const customQuery = z
  .object({
    name: streamName.describe("Stream name for this query (lower snake_case); becomes the warehouse table."),
    query: z
      .string()
      .regex(GAQL, "must be a GAQL query: SELECT <fields> FROM <resource> …")
      .refine((query) => !/\bWHERE\b[\s\S]*\bsegments\.date\b/i.test(query), {
        message: "leave the segments.date filter out: the connector adds the date range of each run",
      })
      .describe(
        "GAQL query without a date filter, e.g. SELECT campaign.id, segments.date, metrics.clicks FROM campaign. Selecting segments.date makes it incremental.",
      ),
  })
  .strict();

const credentialSets = [
  ["developer_token", "client_id", "client_secret", "refresh_token"],
  ["developer_token", "service_account_json"],
];

const config = z
  .object({
    customer_ids: z.array(customerId).min(1).describe("Google Ads customer ids to read (123-456-7890)."),
    login_customer_id: customerId
      .optional()
      .describe("Manager (MCC) account id through which the customers are accessed; empty when you access them directly."),
    developer_token: secretField("Developer token of your Google Ads API access (API Center of a manager account)."),
    ...oauthRefreshFields("Google Cloud"),
    service_account_json: serviceAccountJsonField(
      "Service-account key file (JSON) whose client_email was added as a user of the Google Ads account. Give this OR the OAuth fields.",
    ),
    api_version: apiVersionField(API_VERSION, /^v\d+$/, "v24"),
    start_date: startDateField("First day to report on (YYYY-MM-DD). Empty starts two years ago."),
    end_date: endDateField(),
    conversion_window_days: lookbackDaysField({
      default: 14,
      max: 90,
      why: "conversions are attributed to the day of the click for as long as the account's conversion window.",
    }),
    custom_queries: customStreamsField(customQuery, Object.keys(googleAdsQueries))
      .default([])
      .describe("Extra GAQL queries, each a stream of its own."),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type GoogleAdsConfig = z.infer<typeof config>;

const defaultStreams = Object.entries(googleAdsQueries).map(([name, query]) => queryStream(name, query));

export const googleAdsSpec = {
  type: "google_ads",
  title: "Google Ads",
  category: "advertising",
  auth_method: "oauth2_refresh_token|service_account",
  api_version: API_VERSION,
  config,
  secret_fields: ["developer_token", "client_secret", "refresh_token", "service_account_json"],
  credential_sets: credentialSets,
  streams: defaultStreams,
  streamsFromConfig: (cfg: GoogleAdsConfig) => [
    ...defaultStreams,
    // `?? []`: callers may hold a stored config that predates the field's default.
    ...(cfg.custom_queries ?? []).map((custom) => queryStream(custom.name, parseGaql(custom.query))),
  ],
} satisfies LoaderTypeSpec<GoogleAdsConfig>;
