/**
 * One row per loader type: the smallest config the type accepts without credentials (a draft), and sample values
 * that satisfy each credential field's own validation, so every credential set can be filled in generically.
 */
import type { JsonObject, LoaderTypeSpec } from "../../connectors/kit/contract";
import { facebookAdsSpec } from "../../connectors/facebook_ads/spec";
import { ga4Spec } from "../../connectors/ga4/spec";
import { googleAdsSpec } from "../../connectors/google_ads/spec";
import { googleSheetsSpec } from "../../connectors/google_sheets/spec";
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
import { hasValue } from "../../src/lib/config-paths";

export type AnySpec = LoaderTypeSpec<JsonObject>;

export const serviceAccountJson = JSON.stringify({
  type: "service_account",
  project_id: "loaders-test",
  private_key_id: "k1",
  private_key: "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n",
  client_email: "loader@loaders-test.iam.gserviceaccount.com",
});

/** Valid values for credential fields, by field name; a row may override one (each API has its own key shape). */
const credentialSamples: Record<string, string> = {
  client_id: "client-id-123",
  client_secret: "client-secret-456",
  refresh_token: "refresh-token-789",
  access_token: "access-token-abc",
  developer_token: "developer-token-def",
  service_account_json: serviceAccountJson,
  password: "s3cret",
  access_key_id: "AKIAIOSFODNN7EXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

export interface CatalogRow {
  spec: AnySpec;
  /** Valid without any credential: the loader would be created as a draft. */
  draft: Record<string, unknown>;
  samples?: Record<string, string>;
}

const asSpec = (spec: unknown) => spec as AnySpec;

export const rows: CatalogRow[] = [
  // The seed's example config, verbatim.
  { spec: asSpec(salesforceSpec), draft: { instance_url: "https://mycompany.salesforce.com" } },
  { spec: asSpec(hubspotSpec), draft: {} },
  { spec: asSpec(stripeSpec), draft: {}, samples: { api_key: "sk_test_51HxAbCdEf" } },
  { spec: asSpec(shopifySpec), draft: { shop: "my-store" } },
  { spec: asSpec(ga4Spec), draft: { property_ids: ["123456789"] } },
  { spec: asSpec(facebookAdsSpec), draft: { account_ids: ["act_1234567890"] } },
  { spec: asSpec(googleAdsSpec), draft: { customer_ids: ["123-456-7890"] } },
  { spec: asSpec(linkedinAdsSpec), draft: {} },
  { spec: asSpec(klaviyoSpec), draft: {}, samples: { api_key: "pk_0123456789abcdef" } },
  { spec: asSpec(mailchimpSpec), draft: {}, samples: { api_key: "0123456789abcdef0123456789abcdef-us21" } },
  { spec: asSpec(postgresqlSpec), draft: { host: "db.example.com", database: "app", user: "loader" } },
  { spec: asSpec(mysqlSpec), draft: { host: "db.example.com", database: "app", user: "loader" } },
  { spec: asSpec(googleSheetsSpec), draft: { spreadsheet_id: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms" } },
  { spec: asSpec(s3Spec), draft: { bucket: "acme-exports", streams: [{ name: "orders", glob: "orders/*.csv", format: "csv" }] } },
];

export function sampleFor(row: CatalogRow, field: string): string {
  const value = row.samples?.[field] ?? credentialSamples[field];
  if (value === undefined) throw new Error(`no sample value for credential field ${field} of ${row.spec.type}`);
  return value;
}

export function withCredentials(row: CatalogRow, set: readonly string[]): Record<string, unknown> {
  return { ...row.draft, ...Object.fromEntries(set.map((field) => [field, sampleFor(row, field)])) };
}

/** The API's rule (DESIGN §2): complete when every field of at least one credential set holds a value. */
export function isComplete(spec: AnySpec, config: unknown): boolean {
  return spec.credential_sets.some((set) => set.every((path) => hasValue(config, path)));
}
