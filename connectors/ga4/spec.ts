/**
 * Google Analytics 4 Data API, runReport (research/connectors-data.md §1). Every stream is a report: a set of
 * dimensions and metrics per property and day. A row's key is the property and all its dimensions; `date` is the
 * cursor, and each incremental run re-reads the last days because GA4 keeps processing data for 24–48 h.
 * The API sends `date` as YYYYMMDD and every value as a string: the connector writes `date` as YYYY-MM-DD and casts
 * metrics to the types below.
 */
import { z } from "zod";
import type { LoaderTypeSpec, StreamSpec } from "../kit/contract";
import { reportStreamSpec } from "../kit/report";
import {
  customStreamsField,
  endDateField,
  exclusiveCredentialSets,
  type Fields,
  lookbackDaysField,
  oauthRefreshFields,
  serviceAccountJsonField,
  startDateField,
  stream,
  streamName,
} from "../kit/spec-helpers";

/** runReport accepts at most 9 dimensions and 10 metrics per request. */
const MAX_DIMENSIONS = 9;
const MAX_METRICS = 10;

/** GA4 API names: a letter, then letters, digits, underscores; custom ones look like customEvent:name. */
const apiName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_]+)?$/, "must be a GA4 API name, e.g. sessionSource or customEvent:plan");

const customReport = z
  .object({
    name: streamName.describe("Stream name for this report (lower snake_case); becomes the warehouse table."),
    dimensions: z
      .array(apiName)
      .min(1)
      .max(MAX_DIMENSIONS)
      .describe('Dimension API names, e.g. ["date", "country"]. Include `date` to sync incrementally.'),
    metrics: z.array(apiName).min(1).max(MAX_METRICS).describe('Metric API names, e.g. ["sessions", "totalUsers"].'),
    dimension_filter: z
      .record(z.string(), z.json())
      .optional()
      .describe('A Data API FilterExpression sent as runReport\'s dimensionFilter, e.g. {"filter": {"fieldName": "country", "stringFilter": {"value": "Germany"}}}.'),
    metric_filter: z.record(z.string(), z.json()).optional().describe("A FilterExpression sent as runReport's metricFilter."),
  })
  .strict();

export type Ga4ReportDefinition = { dimensions: string[]; metrics: string[]; dimension_filter?: Record<string, unknown>; metric_filter?: Record<string, unknown> };

/**
 * The default reports, chosen for a usable traffic dashboard out of the box. Metric names are the Data API's
 * (`keyEvents` replaced `conversions` in 2024, so neither is used here).
 */
export const ga4DefaultReports: Record<string, Ga4ReportDefinition> = {
  website_overview: {
    dimensions: ["date"],
    metrics: [
      "totalUsers",
      "newUsers",
      "activeUsers",
      "sessions",
      "engagedSessions",
      "screenPageViews",
      "averageSessionDuration",
      "bounceRate",
      "eventCount",
    ],
  },
  daily_active_users: { dimensions: ["date"], metrics: ["active1DayUsers"] },
  weekly_active_users: { dimensions: ["date"], metrics: ["active7DayUsers"] },
  four_weekly_active_users: { dimensions: ["date"], metrics: ["active28DayUsers"] },
  traffic_sources: {
    dimensions: ["date", "sessionSource", "sessionMedium"],
    metrics: ["totalUsers", "newUsers", "sessions", "engagedSessions", "screenPageViews", "averageSessionDuration", "bounceRate"],
  },
  devices: {
    dimensions: ["date", "deviceCategory", "operatingSystem", "browser"],
    metrics: ["totalUsers", "newUsers", "sessions", "screenPageViews", "bounceRate"],
  },
  locations: { dimensions: ["date", "country", "region", "city"], metrics: ["totalUsers", "newUsers", "sessions", "bounceRate"] },
  pages: { dimensions: ["date", "hostName", "pagePath"], metrics: ["screenPageViews", "activeUsers", "bounceRate"] },
  events: { dimensions: ["date", "eventName"], metrics: ["eventCount", "totalUsers"] },
};

/** Types of the metrics above; GA4 sends TYPE_INTEGER/TYPE_FLOAT/TYPE_SECONDS values as strings. */
export const ga4MetricTypes: Record<string, "integer" | "number"> = {
  totalUsers: "integer",
  newUsers: "integer",
  activeUsers: "integer",
  active1DayUsers: "integer",
  active7DayUsers: "integer",
  active28DayUsers: "integer",
  sessions: "integer",
  engagedSessions: "integer",
  screenPageViews: "integer",
  eventCount: "integer",
  averageSessionDuration: "number",
  bounceRate: "number",
};

const credentialSets = [["service_account_json"], ["client_id", "client_secret", "refresh_token"]];

const config = z
  .object({
    property_ids: z
      .array(z.string().regex(/^\d+$/, "must be a numeric GA4 property id (Admin → Property details), not a G- measurement id"))
      .min(1)
      .describe("GA4 property ids to read; rows carry property_id, so several properties share one table."),
    service_account_json: serviceAccountJsonField(
      "Service-account key file (JSON); add its client_email as a Viewer of each property. Give this OR the OAuth fields.",
    ),
    ...oauthRefreshFields("Google Cloud"),
    start_date: startDateField("First day to report on (YYYY-MM-DD). Empty starts two years ago."),
    end_date: endDateField(),
    lookback_window_days: lookbackDaysField({ default: 3, max: 30, why: "GA4 keeps processing the last 24–48 hours of data (and longer for imported costs and key events), so recent days change after they are first read." }),
    page_size: z
      .number()
      .int()
      .min(1)
      .max(250_000)
      .default(100_000)
      .describe("Rows per runReport request (the Data API allows 250,000); larger pages cost fewer requests, each more tokens."),
    custom_reports: customStreamsField(customReport, Object.keys(ga4DefaultReports))
      .default([])
      .describe("Extra reports, each a stream of its own."),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type Ga4Config = z.infer<typeof config>;

/** GA4's quality signals (DESIGN §5.1), on every row, so a user can see why a figure differs from the GA4 UI. */
export const GA4_QUALITY_FIELDS: Fields = {
  /** Every dimension value of the row is "(other)": GA4 folded rows past its cardinality limit into this one. */
  is_other_row: "boolean",
  /** The answer's metadata.dataLossFromOtherRow: some rows of this report were folded into "(other)". */
  data_loss_from_other_row: "boolean",
  /** metadata.subjectToThresholding: GA4 may have withheld rows with few users (Google signals). */
  subject_to_thresholding: "boolean",
  /** metadata.samplingMetadatas was present: the figures come from a sample. */
  sampled: "boolean",
  /** samplesReadCount / samplingSpaceSize of the first sampling metadata; null when not sampled. */
  sampling_ratio: "number",
};

function metricFields(metrics: string[]): Fields {
  // Custom metrics' types are only known from the answer's metricHeaders; they are numbers in any case.
  return Object.fromEntries(metrics.map((metric) => [metric, ga4MetricTypes[metric] ?? "number"]));
}

export function ga4ReportStream(name: string, report: Ga4ReportDefinition): StreamSpec {
  const dimensions = report.dimensions.filter((d) => d !== "date");
  if (report.dimensions.includes("date")) {
    // The kit's report shape: key property_id, date, then the dimensions in order; cursor date.
    return reportStreamSpec({
      name,
      account: { field: "property_id", type: "string" },
      dimensions: Object.fromEntries(dimensions.map((d) => [d, "string"])),
      metrics: metricFields(report.metrics),
      attributes: GA4_QUALITY_FIELDS,
    });
  }
  // Without a date the report is one aggregate over the whole range: read in full every run.
  return stream(name, {
    primaryKey: ["property_id", ...dimensions],
    cursor: null,
    fields: { property_id: "string", ...Object.fromEntries(dimensions.map((d) => [d, "string"])), ...metricFields(report.metrics), ...GA4_QUALITY_FIELDS },
  });
}

/** The report a stream name stands for: a built-in one, or the config's custom report of that name. */
export function ga4ReportNamed(config: Ga4Config, name: string): Ga4ReportDefinition | undefined {
  return ga4DefaultReports[name] ?? (config.custom_reports ?? []).find((report) => report.name === name);
}

const defaultStreams = Object.entries(ga4DefaultReports).map(([name, report]) => ga4ReportStream(name, report));

export const ga4Spec = {
  type: "ga4",
  title: "Google Analytics 4",
  category: "analytics",
  auth_method: "service_account|oauth2_refresh_token",
  api_version: "v1beta",
  config,
  secret_fields: ["service_account_json", "client_secret", "refresh_token"],
  credential_sets: credentialSets,
  streams: defaultStreams,
  streamsFromConfig: (cfg: Ga4Config) => [
    ...defaultStreams,
    // `?? []`: callers may hold a stored config that predates the field's default.
    ...(cfg.custom_reports ?? []).map((report) => ga4ReportStream(report.name, report)),
  ],
} satisfies LoaderTypeSpec<Ga4Config>;
