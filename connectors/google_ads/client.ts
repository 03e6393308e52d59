/**
 * The Google Ads REST client (research/connectors-data.md §3): googleads.googleapis.com/<pinned version>, the
 * loader's Google credentials with the adwords scope (kit/google.ts), the `developer-token` header on every request
 * and `login-customer-id` (digits) when the customers are reached through a manager account, and the GoogleAdsFailure
 * codes a user has to act on turned into configuration errors that say what to fix. Quota errors
 * (RESOURCE_TEMPORARILY_EXHAUSTED) wait for their `quotaErrorDetails.retryDelay` through the kit's classification.
 */
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { type GoogleError, googleClient } from "../kit/google";
import type { HttpClient } from "../kit/http";
import type { GoogleAdsConfig } from "./spec";

export const ADS_SCOPES = ["https://www.googleapis.com/auth/adwords"];

export const digits = (id: string) => id.replaceAll("-", "");

interface AdsFailureError {
  errorCode?: Record<string, string>;
  message?: string;
}

/** The GoogleAdsFailure errors of a Google error body (details[@type=…GoogleAdsFailure].errors). */
export function adsErrors(error: GoogleError): AdsFailureError[] {
  const envelope = (Array.isArray(error.body) ? error.body[0] : error.body) as { error?: { details?: Array<Record<string, unknown>> } } | undefined;
  const out: AdsFailureError[] = [];
  for (const detail of envelope?.error?.details ?? []) {
    if (String(detail["@type"] ?? "").endsWith("errors.GoogleAdsFailure") && Array.isArray(detail.errors)) out.push(...(detail.errors as AdsFailureError[]));
  }
  return out;
}

function adsConfigurationError(status: number, error: GoogleError, config: GoogleAdsConfig): ConnectorError | undefined {
  const errors = adsErrors(error);
  const codes = new Map(errors.flatMap((e) => Object.values(e.errorCode ?? {}).map((code) => [code, e.message ?? ""] as const)));
  const said = (code: string) => (codes.get(code) ? ` (Google Ads: ${codes.get(code)})` : "");
  const fail = (message: string) => new ConnectorError("configuration", message, { status });
  if (codes.has("DEVELOPER_TOKEN_NOT_APPROVED")) {
    return fail(`DEVELOPER_TOKEN_NOT_APPROVED: the developer token is approved for test accounts only${said("DEVELOPER_TOKEN_NOT_APPROVED")}. Apply for Basic or Standard access in the API Center of your manager account, or read a test account.`);
  }
  if (codes.has("CUSTOMER_NOT_ENABLED")) {
    return fail(`CUSTOMER_NOT_ENABLED: a customer in customer_ids is canceled, suspended or not yet set up${said("CUSTOMER_NOT_ENABLED")}. Remove it from customer_ids, or reactivate it in Google Ads.`);
  }
  if (codes.has("USER_PERMISSION_DENIED")) {
    const manager = config.login_customer_id ? ` through manager ${config.login_customer_id}` : "";
    return fail(
      `PERMISSION_DENIED: the credentials may not read this customer${manager}${said("USER_PERMISSION_DENIED")}. Add the Google account (or the service account's client_email) as a user of the Google Ads account, or set login_customer_id to the manager account it is reached through.`,
    );
  }
  for (const code of ["DEVELOPER_TOKEN_PARAMETER_MISSING", "DEVELOPER_TOKEN_INVALID", "DEVELOPER_TOKEN_PROHIBITED"]) {
    if (codes.has(code)) return fail(`${code}: check developer_token (Google Ads → Tools → API Center of the manager account)${said(code)}.`);
  }
  if (codes.has("OAUTH_TOKEN_HAS_INSUFFICIENT_SCOPE")) return fail(`the credentials lack the adwords scope${said("OAUTH_TOKEN_HAS_INSUFFICIENT_SCOPE")}. Authorize again with https://www.googleapis.com/auth/adwords.`);
  const query = errors.find((e) => e.errorCode?.queryError);
  if (query) return fail(`Google Ads refused the query (${query.errorCode!.queryError}): ${query.message ?? ""}. Fix the custom query's GAQL.`);
  return undefined;
}

export function adsClient(ctx: ConnectorContext, config: GoogleAdsConfig): HttpClient {
  return googleClient(ctx, {
    baseUrl: `https://googleads.googleapis.com/${config.api_version}`,
    scopes: ADS_SCOPES,
    credentials: config,
    product: "Google Ads API",
    permissionHint: "Give the credentials access to the Google Ads account.",
    notFoundHint: `Check api_version (${config.api_version}): Google retires a version about a year after its release.`,
    special: (status, error) => adsConfigurationError(status, error, config),
    defaultHeaders: {
      "developer-token": config.developer_token ?? "",
      ...(config.login_customer_id ? { "login-customer-id": digits(config.login_customer_id) } : {}),
    },
  });
}
