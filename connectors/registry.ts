/**
 * Every loader type the API offers (the seed's fifteen), and the connectors whose `read` is built. A type listed
 * here without a connector is served by /loader-types and can be configured, but its runs fail with a clear
 * error naming that its reader is not built yet — never silently.
 */
import type { Connector, JsonObject, LoaderTypeSpec, StreamSpec } from "./kit/contract";
import { facebookAdsSpec } from "./facebook_ads/spec";
import { ga4Spec } from "./ga4/spec";
import { googleAdsSpec } from "./google_ads/spec";
import { googleSheetsSpec } from "./google_sheets/spec";
import { hubspotSpec } from "./hubspot/spec";
import { klaviyoSpec } from "./klaviyo/spec";
import { linkedinAdsSpec } from "./linkedin_ads/spec";
import { mailchimpSpec } from "./mailchimp/spec";
import { mysqlSpec } from "./mysql/spec";
import { postgresqlSpec } from "./postgresql/spec";
import { hubspotConnector } from "./hubspot";
import { klaviyoConnector } from "./klaviyo";
import { mailchimpConnector } from "./mailchimp";
import { mysqlConnector } from "./mysql";
import { postgresqlConnector } from "./postgresql";
import { restApiConnector } from "./rest_api";
import { s3Connector } from "./s3";
import { salesforceConnector } from "./salesforce";
import { shopifyConnector } from "./shopify";
import { stripeConnector } from "./stripe";
import { googleSheetsConnector } from "./google_sheets";
import { ga4Connector } from "./ga4";
import { googleAdsConnector } from "./google_ads";
import { facebookAdsConnector } from "./facebook_ads";
import { linkedinAdsConnector } from "./linkedin_ads";
import { s3Spec } from "./s3/spec";
import { salesforceSpec } from "./salesforce/spec";
import { shopifySpec } from "./shopify/spec";
import { stripeSpec } from "./stripe/spec";

type AnySpec = LoaderTypeSpec<JsonObject>;
type AnyConnector = Connector<JsonObject>;

const connectors = [restApiConnector, salesforceConnector, hubspotConnector, stripeConnector, postgresqlConnector, mysqlConnector, s3Connector, klaviyoConnector, mailchimpConnector, shopifyConnector, googleSheetsConnector, ga4Connector, googleAdsConnector, facebookAdsConnector, linkedinAdsConnector] as unknown as AnyConnector[];

const specs: AnySpec[] = [
  salesforceSpec,
  hubspotSpec,
  stripeSpec,
  shopifySpec,
  ga4Spec,
  facebookAdsSpec,
  googleAdsSpec,
  linkedinAdsSpec,
  klaviyoSpec,
  mailchimpSpec,
  postgresqlSpec,
  mysqlSpec,
  restApiConnector,
  googleSheetsSpec,
  s3Spec,
] as unknown as AnySpec[];

const connectorByType = new Map(connectors.map((c) => [c.type, c]));
const specByType = new Map(specs.map((s) => [s.type, connectorByType.get(s.type) ?? s]));

export function listLoaderTypes(): AnySpec[] {
  return [...specByType.values()];
}

export function loaderType(type: string): AnySpec | undefined {
  return specByType.get(type);
}

export function connectorFor(type: string): AnyConnector | undefined {
  return connectorByType.get(type);
}

/** The streams a config can select, or null when only a live discovery (database, sheet, bucket) can tell. */
export function catalogFor(spec: AnySpec, config: JsonObject): StreamSpec[] | null {
  // A config can add streams to a static catalog (custom reports), so its own list wins when the type has one.
  if (spec.streamsFromConfig) return spec.streamsFromConfig(config);
  return Array.isArray(spec.streams) ? spec.streams : null;
}
