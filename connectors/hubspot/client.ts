/**
 * The one http client a HubSpot read uses: the engine's client with HubSpot's host, credentials and error shapes.
 * HubSpot versions its APIs in the path (`/crm/v3/...`), not in a header, so the pinned version is spelled into
 * every path built here.
 */
import { type AuthProvider, bearer, oauth2RefreshToken } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { classifyHubspotError } from "./errors";
import { type HubspotConfig, hubspotSpec } from "./spec";

export const HUBSPOT_BASE_URL = "https://api.hubapi.com";
/** research/connectors-saas.md §2 "Auth": form body with client_id, client_secret and refresh_token. */
export const HUBSPOT_TOKEN_URL = "https://api.hubapi.com/oauth/v1/token";

/** `/crm/v3/<path>`: every CRM endpoint under the version the spec pins. */
export function crmPath(path: string): string {
  return `/crm/${hubspotSpec.api_version}/${path}`;
}

export function hubspotClient(ctx: ConnectorContext, config: HubspotConfig): HttpClient {
  return ctx.http.extend({ baseUrl: HUBSPOT_BASE_URL, auth: hubspotAuth(ctx, config), classifyError: classifyHubspotError });
}

function hubspotAuth(ctx: ConnectorContext, config: HubspotConfig): AuthProvider {
  if (config.access_token) return bearer(config.access_token);
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = config;
  if (clientId && clientSecret && refreshToken) {
    // HubSpot refresh tokens neither rotate nor expire; the keeper still saves a token request per chunk, since its
    // 30-minute access token outlives many chunks.
    return oauth2RefreshToken({ tokenUrl: HUBSPOT_TOKEN_URL, clientId, clientSecret, refreshToken, clientAuth: "body", tokens: ctx.tokens });
  }
  throw new ConnectorError(
    "configuration",
    "HubSpot credentials are incomplete: give a private app access_token, or all of client_id, client_secret and refresh_token",
  );
}
