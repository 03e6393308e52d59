/**
 * Per-type validation that the generic catalog suite cannot express: key shapes, URL rules, either-or credentials,
 * defaults a loader relies on, and the streams derived from user-defined reports and files.
 */
import { describe, expect, it } from "vitest";
import type { StreamSpec } from "../../connectors/kit/contract";
import { facebookAdsSpec } from "../../connectors/facebook_ads/spec";
import { ga4Spec } from "../../connectors/ga4/spec";
import { googleAdsSpec } from "../../connectors/google_ads/spec";
import { googleSheetsSpec, spreadsheetIdOf } from "../../connectors/google_sheets/spec";
import { hubspotSpec } from "../../connectors/hubspot/spec";
import { klaviyoSpec } from "../../connectors/klaviyo/spec";
import { linkedinAdsSpec } from "../../connectors/linkedin_ads/spec";
import { mailchimpSpec } from "../../connectors/mailchimp/spec";
import { mysqlSpec } from "../../connectors/mysql/spec";
import { postgresqlSpec } from "../../connectors/postgresql/spec";
import { s3Spec } from "../../connectors/s3/spec";
import { salesforceSpec } from "../../connectors/salesforce/spec";
import { shopifySpec } from "../../connectors/shopify/spec";
import { stripeSpec } from "../../connectors/stripe/spec";
import { type AnySpec, isComplete, serviceAccountJson } from "./fixtures";

const accepts = (spec: { config: AnySpec["config"] }, config: unknown) => spec.config.safeParse(config).success;

function issuesOf(spec: { config: AnySpec["config"] }, config: unknown) {
  const parsed = spec.config.safeParse(config);
  expect(parsed.success, "config should be rejected").toBe(false);
  return parsed.error!.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

const streamNamed = (streams: StreamSpec[], name: string) => {
  const found = streams.find((stream) => stream.name === name);
  expect(found, `stream ${name}`).toBeDefined();
  return found!;
};

describe("salesforce", () => {
  const seed = { instance_url: "https://mycompany.salesforce.com" };

  it("accepts the seed's example config as a draft and fills in the defaults", () => {
    const parsed = salesforceSpec.config.parse(seed);
    expect(parsed).toEqual({ ...seed, is_sandbox: false, api_version: "v66.0" });
    expect(isComplete(salesforceSpec as unknown as AnySpec, parsed)).toBe(false);
  });

  it("takes only https URLs of Salesforce's own domains", () => {
    const orgs = ["https://acme.my.salesforce.com", "https://acme--dev.sandbox.my.salesforce.com", "https://na1.salesforce.com/"];
    for (const url of orgs) {
      expect(accepts(salesforceSpec, { instance_url: url }), url).toBe(true);
    }
    const others = [
      "http://mycompany.salesforce.com",
      "https://mycompany.salesforce.com.evil.example",
      "https://example.com",
      "mycompany.salesforce.com",
    ];
    for (const url of others) {
      expect(issuesOf(salesforceSpec, { instance_url: url }), url).toEqual([
        { path: "instance_url", message: expect.stringMatching(/https:\/\/ URL of your Salesforce org/) },
      ]);
    }
  });

  it("requires the instance URL and a vNN.0 API version", () => {
    expect(issuesOf(salesforceSpec, {}).map((issue) => issue.path)).toEqual(["instance_url"]);
    const issues = issuesOf(salesforceSpec, { ...seed, api_version: "62.0" });
    expect(issues).toEqual([{ path: "api_version", message: "must look like v66.0" }]);
  });

  it("reads every catalog object by Id and SystemModstamp, with deletes except for User", () => {
    const objects = ["Account", "Contact", "Lead", "Opportunity", "User", "Case", "Campaign", "Task", "Event"];
    for (const name of [...objects, "OpportunityLineItem", "CampaignMember"]) {
      const stream = streamNamed(salesforceSpec.streams, name);
      expect(stream).toMatchObject({ primary_key: ["Id"], cursor_field: "SystemModstamp" });
      expect(stream.json_schema?.properties.SystemModstamp).toEqual({ type: "string", format: "date-time" });
      expect(stream.reports_deletes ?? false).toBe(name !== "User");
    }
  });
});

describe("stripe", () => {
  it("accepts secret and restricted keys, live and test, and nothing else", () => {
    for (const key of ["sk_live_51Hx0a", "sk_test_51Hx0a", "rk_live_51Hx0a", "rk_test_51Hx0a"]) {
      expect(accepts(stripeSpec, { api_key: key }), key).toBe(true);
    }
    for (const key of ["pk_live_51Hx0a", "pk_test_51Hx0a", "sk_51Hx0a", "whsec_51Hx0a", "sk_live_", "sk_prod_51Hx0a", ""]) {
      expect(issuesOf(stripeSpec, { api_key: key }), key).toEqual([
        { path: "api_key", message: expect.stringMatching(/secret \(sk_live_…, sk_test_…\) or restricted/) },
      ]);
    }
  });

  it("takes a connected account id and bounds the lookback by the events retention", () => {
    expect(accepts(stripeSpec, { account_id: "acct_1Hx0aBcD" })).toBe(true);
    const issues = issuesOf(stripeSpec, { account_id: "cus_1Hx0aBcD" });
    expect(issues).toEqual([{ path: "account_id", message: "must be a Stripe account id (acct_…)" }]);
    expect(stripeSpec.config.parse({}).lookback_window_days).toBe(0);
    expect(issuesOf(stripeSpec, { lookback_window_days: 31 }).map((issue) => issue.path)).toEqual(["lookback_window_days"]);
  });

  it("pins a dated Stripe-Version and reports deletes only for objects with *.deleted events", () => {
    expect(stripeSpec.api_version).toMatch(/^\d{4}-\d{2}-\d{2}\.[a-z]+$/);
    const deleting = stripeSpec.streams.filter((stream) => stream.reports_deletes).map((stream) => stream.name);
    expect(deleting.sort()).toEqual(["coupons", "customers", "invoices", "prices", "products"]);
    expect(streamNamed(stripeSpec.streams, "balance_transactions")).toMatchObject({ cursor_field: "created" });
    expect(streamNamed(stripeSpec.streams, "customers")).toMatchObject({ cursor_field: "updated", primary_key: ["id"] });
  });
});

describe("hubspot", () => {
  const spec = hubspotSpec as unknown as AnySpec;

  it("is complete with a private-app token alone or with the whole OAuth triple", () => {
    expect(isComplete(spec, hubspotSpec.config.parse({ access_token: "pat-na1-123" }))).toBe(true);
    expect(isComplete(spec, hubspotSpec.config.parse({ client_id: "c", client_secret: "s", refresh_token: "r" }))).toBe(true);
  });

  it("keeps a partial OAuth triple as a draft", () => {
    const parsed = hubspotSpec.config.parse({ client_id: "c" });
    expect(isComplete(spec, parsed)).toBe(false);
  });

  it("rejects a token together with OAuth fields, naming both", () => {
    expect(issuesOf(hubspotSpec, { access_token: "pat-na1-123", refresh_token: "r" })).toEqual([
      { path: "refresh_token", message: "give one set of credentials, not several: access_token conflicts with refresh_token" },
    ]);
  });

  it("rejects empty secrets rather than treating them as absent", () => {
    expect(issuesOf(hubspotSpec, { access_token: "" }).map((issue) => issue.path)).toEqual(["access_token"]);
  });

  it("marks CRM objects and owners as reporting deletes (archived), pipelines as full refresh", () => {
    expect(streamNamed(hubspotSpec.streams, "contacts")).toMatchObject({ cursor_field: "updatedAt", reports_deletes: true });
    expect(streamNamed(hubspotSpec.streams, "owners")).toMatchObject({ cursor_field: "updatedAt", reports_deletes: true });
    expect(streamNamed(hubspotSpec.streams, "deal_pipelines")).toMatchObject({
      cursor_field: null,
      supported_sync_modes: ["full_refresh"],
    });
  });
});

describe("shopify", () => {
  it("takes the shop's myshopify name with or without the domain, not a URL or custom domain", () => {
    expect(accepts(shopifySpec, { shop: "my-store" })).toBe(true);
    expect(accepts(shopifySpec, { shop: "my-store.myshopify.com" })).toBe(true);
    for (const shop of ["https://my-store.myshopify.com", "shop.example.com", "my store"]) {
      expect(issuesOf(shopifySpec, { shop }).map((issue) => issue.path), shop).toEqual(["shop"]);
    }
  });

  it("pins a quarterly version", () => {
    expect(shopifySpec.config.parse({ shop: "s" }).api_version).toBe("2026-07");
    const issues = issuesOf(shopifySpec, { shop: "s", api_version: "2026-08" });
    expect(issues).toEqual([{ path: "api_version", message: "must look like 2026-07" }]);
  });
});

describe("klaviyo and mailchimp keys", () => {
  it("takes Klaviyo private keys only", () => {
    expect(accepts(klaviyoSpec, { api_key: "pk_abc123" })).toBe(true);
    expect(issuesOf(klaviyoSpec, { api_key: "AbC123" }).map((issue) => issue.path)).toEqual(["api_key"]);
  });

  it("takes Mailchimp keys that name their data center", () => {
    expect(accepts(mailchimpSpec, { api_key: "0123456789abcdef0123456789abcdef-us21" })).toBe(true);
    expect(issuesOf(mailchimpSpec, { api_key: "0123456789abcdef0123456789abcdef" })[0]?.message).toMatch(/ending with its data center/);
  });
});

describe("google_sheets", () => {
  const id = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

  it("accepts a spreadsheet id or its browser URL, and extracts the id", () => {
    const url = `https://docs.google.com/spreadsheets/d/${id}/edit#gid=0`;
    expect(accepts(googleSheetsSpec, { spreadsheet_id: url })).toBe(true);
    expect(spreadsheetIdOf(url)).toBe(id);
    expect(spreadsheetIdOf(id)).toBe(id);
    expect(issuesOf(googleSheetsSpec, { spreadsheet_id: "https://example.com/sheet" }).map((issue) => issue.path)).toEqual(["spreadsheet_id"]);
  });

  it("rejects a service-account field that is not a service-account key", () => {
    const oauthClientFile = JSON.stringify({ installed: { client_id: "x", client_secret: "y" } });
    for (const value of ["not json", oauthClientFile, JSON.stringify({ type: "service_account", client_email: "a@b" })]) {
      expect(issuesOf(googleSheetsSpec, { spreadsheet_id: id, service_account_json: value })[0]).toMatchObject({
        path: "service_account_json",
        message: expect.stringMatching(/service-account key file/),
      });
    }
    expect(accepts(googleSheetsSpec, { spreadsheet_id: id, service_account_json: serviceAccountJson })).toBe(true);
  });
});

describe("ga4", () => {
  const base = { property_ids: ["123456789"] };

  it("turns custom reports into streams keyed by property and dimensions", () => {
    const config = ga4Spec.config.parse({
      ...base,
      custom_reports: [
        { name: "country_sessions", dimensions: ["date", "country"], metrics: ["sessions"] },
        { name: "all_time_browsers", dimensions: ["browser"], metrics: ["totalUsers"] },
      ],
    });
    const streams = ga4Spec.streamsFromConfig(config);
    expect(streamNamed(streams, "country_sessions")).toMatchObject({
      primary_key: ["property_id", "date", "country"],
      cursor_field: "date",
      supported_sync_modes: ["full_refresh", "incremental"],
    });
    expect(streamNamed(streams, "all_time_browsers")).toMatchObject({
      cursor_field: null,
      supported_sync_modes: ["full_refresh"],
    });
    expect(streamNamed(streams, "website_overview").json_schema?.properties.date).toEqual({ type: "string", format: "date" });
  });

  it("rejects custom reports that shadow a default, repeat a name, or exceed the API's limits", () => {
    const report = (name: string, metrics = ["sessions"]) => ({ name, dimensions: ["date"], metrics });
    expect(issuesOf(ga4Spec, { ...base, custom_reports: [report("devices")] })).toEqual([
      { path: "custom_reports.0.name", message: '"devices" is a built-in stream of this type' },
    ]);
    expect(issuesOf(ga4Spec, { ...base, custom_reports: [report("a_report"), report("a_report")] })).toEqual([
      { path: "custom_reports.1.name", message: '"a_report" is defined twice' },
    ]);
    const elevenMetrics = Array.from({ length: 11 }, (_, i) => `metric${i}`);
    expect(issuesOf(ga4Spec, { ...base, custom_reports: [report("wide", elevenMetrics)] }).map((issue) => issue.path)).toEqual([
      "custom_reports.0.metrics",
    ]);
  });

  it("rejects measurement ids where property ids belong", () => {
    expect(issuesOf(ga4Spec, { property_ids: ["G-ABC123"] })[0]?.message).toMatch(/not a G- measurement id/);
  });
});

describe("google_ads", () => {
  const base = { customer_ids: ["1234567890"] };

  it("lets the developer token serve either credential set", () => {
    const spec = googleAdsSpec as unknown as AnySpec;
    expect(isComplete(spec, googleAdsSpec.config.parse({
      ...base,
      developer_token: "d",
      service_account_json: serviceAccountJson,
    }))).toBe(true);
    expect(isComplete(spec, googleAdsSpec.config.parse({ ...base, service_account_json: serviceAccountJson }))).toBe(false);
    // developer_token belongs to both sets, so only refresh_token vs service_account_json conflicts.
    expect(issuesOf(googleAdsSpec, {
      ...base,
      developer_token: "d",
      service_account_json: serviceAccountJson,
      refresh_token: "r",
    })).toEqual([
      {
        path: "service_account_json",
        message: "give one set of credentials, not several: refresh_token conflicts with service_account_json",
      },
    ]);
  });

  it("keys reports by resource ids and date, and derives custom queries the same way", () => {
    expect(streamNamed(googleAdsSpec.streams, "keyword_performance_report")).toMatchObject({
      primary_key: ["customer_id", "campaign_id", "ad_group_id", "ad_group_criterion_criterion_id", "segments_date"],
      cursor_field: "segments_date",
    });
    expect(streamNamed(googleAdsSpec.streams, "campaign")).toMatchObject({
      primary_key: ["customer_id", "campaign_id"],
      cursor_field: null,
    });
    const config = googleAdsSpec.config.parse({
      ...base,
      custom_queries: [
        {
          name: "geo",
          query: "SELECT campaign.id, segments.date, segments.device, metrics.clicks FROM campaign WHERE campaign.status = 'ENABLED'",
        },
      ],
    });
    expect(streamNamed(googleAdsSpec.streamsFromConfig(config), "geo")).toMatchObject({
      primary_key: ["campaign_id", "segments_date", "segments_device"],
      cursor_field: "segments_date",
    });
  });

  it("rejects custom queries that are not GAQL or filter the date themselves", () => {
    const query = (text: string) => ({ ...base, custom_queries: [{ name: "q", query: text }] });
    expect(issuesOf(googleAdsSpec, query("campaign.id, metrics.clicks")).map((issue) => issue.path)).toEqual(["custom_queries.0.query"]);
    expect(issuesOf(googleAdsSpec, query("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_7_DAYS"))[0]?.message).toMatch(
      /leave the segments.date filter out/,
    );
  });

  it("takes customer ids with or without dashes", () => {
    const ids = { customer_ids: ["123-456-7890", "1234567890"], login_customer_id: "999-888-7777" };
    expect(accepts(googleAdsSpec, ids)).toBe(true);
    expect(issuesOf(googleAdsSpec, { customer_ids: ["12345"] }).map((issue) => issue.path)).toEqual(["customer_ids.0"]);
  });
});

describe("facebook_ads", () => {
  const base = { account_ids: ["act_123"] };

  it("keys custom insights by date, account, the level's object id and the breakdowns", () => {
    const config = facebookAdsSpec.config.parse({
      ...base,
      custom_insights: [
        { name: "campaign_by_region", level: "campaign", fields: ["spend", "clicks", "custom_metric"], breakdowns: ["region"] },
      ],
    });
    const stream = streamNamed(facebookAdsSpec.streamsFromConfig(config), "campaign_by_region");
    expect(stream).toMatchObject({
      primary_key: ["date_start", "account_id", "campaign_id", "region"],
      cursor_field: "date_start",
    });
    expect(stream.json_schema?.properties.spend).toEqual({ type: ["number", "null"] });
    expect(stream.json_schema?.properties.custom_metric).toBeUndefined();
  });

  it("defaults the insights lookback to Meta's 28-day revision window and checks attribution windows", () => {
    const parsed = facebookAdsSpec.config.parse(base);
    expect(parsed.insights_lookback_window_days).toBe(28);
    expect(parsed.action_attribution_windows).toEqual(["1d_click", "7d_click", "1d_view"]);
    expect(issuesOf(facebookAdsSpec, { ...base, action_attribution_windows: ["2d_click"] }).map((issue) => issue.path)).toEqual([
      "action_attribution_windows.0",
    ]);
  });
});

describe("linkedin_ads", () => {
  it("takes monthly versions, patch releases included", () => {
    expect(linkedinAdsSpec.config.parse({}).api_version).toBe("202603");
    expect(accepts(linkedinAdsSpec, { api_version: "202508.02" })).toBe(true);
    expect(accepts(linkedinAdsSpec, { api_version: "2025-08" })).toBe(false);
  });
});

describe("databases", () => {
  const base = { host: "db.example.com", database: "app", user: "loader" };

  it("fills PostgreSQL defaults: port, TLS required, public schema, updated_at cursor", () => {
    expect(postgresqlSpec.config.parse(base)).toEqual({
      ...base,
      port: 5432,
      sslmode: "require",
      schemas: ["public"],
      replication_method: "cursor",
      cursor_field: "updated_at",
    });
    expect(issuesOf(postgresqlSpec, { ...base, sslmode: "prefer" }).map((issue) => issue.path)).toEqual(["sslmode"]);
    expect(issuesOf(postgresqlSpec, { ...base, tables: ["a.b.c"] }).map((issue) => issue.path)).toEqual(["tables.0"]);
  });

  it("fills MySQL defaults and rejects a host given as a URL", () => {
    expect(mysqlSpec.config.parse(base)).toMatchObject({ port: 3306, ssl_mode: "required", cursor_field: "updated_at" });
    expect(issuesOf(mysqlSpec, { ...base, host: "mysql://db.example.com:3306" }).map((issue) => issue.path)).toEqual(["host"]);
  });
});

describe("s3", () => {
  const base = { bucket: "acme-exports", access_key_id: "AKIA", secret_access_key: "s" };

  it("keys rows by file and row unless the stream names a key, with LastModified as the cursor", () => {
    const config = s3Spec.config.parse({
      ...base,
      streams: [
        { name: "orders", glob: "orders/**/*.csv", format: "csv" },
        { name: "events", format: "jsonl", primary_key: ["event_id"] },
      ],
    });
    const streams = s3Spec.streamsFromConfig(config);
    expect(streamNamed(streams, "orders")).toMatchObject({
      primary_key: ["_s3_key", "_s3_row"],
      cursor_field: "_s3_last_modified",
    });
    expect(streamNamed(streams, "events")).toMatchObject({
      primary_key: ["event_id"],
      supported_sync_modes: ["full_refresh", "incremental"],
    });
    expect(config.streams[1]).toMatchObject({ glob: "**", csv_delimiter: "," });
  });

  it("needs at least one uniquely named stream of a known format", () => {
    expect(issuesOf(s3Spec, { ...base, streams: [] }).map((issue) => issue.path)).toEqual(["streams"]);
    expect(issuesOf(s3Spec, { ...base }).map((issue) => issue.path)).toEqual(["streams"]);
    const twice = [
      { name: "a", format: "csv" },
      { name: "a", format: "jsonl" },
    ];
    expect(issuesOf(s3Spec, { ...base, streams: twice })).toEqual([{ path: "streams.1.name", message: '"a" is defined twice' }]);
    const xlsx = [{ name: "a", format: "xlsx" }];
    expect(issuesOf(s3Spec, { ...base, streams: xlsx }).map((issue) => issue.path)).toEqual(["streams.0.format"]);
  });

  it("takes an http(s) endpoint for S3-compatible stores only", () => {
    const streams = [{ name: "a", format: "csv" }];
    expect(accepts(s3Spec, { ...base, streams, endpoint: "https://acct.r2.cloudflarestorage.com", region: "auto" })).toBe(true);
    const ftp = { ...base, streams, endpoint: "ftp://files.example.com" };
    expect(issuesOf(s3Spec, ftp).map((issue) => issue.path)).toEqual(["endpoint"]);
  });
});
