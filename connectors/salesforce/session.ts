/**
 * One authenticated Salesforce session per call of check/discover/read: an access token from the refresh-token
 * grant, and the kit http client derived from the engine's, addressed to the org's instance.
 *
 * The token response names the instance (`instance_url`) and has no `expires_in` (research §1): the token is cached
 * until the API answers 401 INVALID_SESSION_ID, which the kit answers with one refresh. The first token is fetched
 * before the client is built, because its `instance_url` is the base URL every later request goes to.
 */
import { oauth2RefreshToken } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError, isConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { redact } from "../kit/http-errors";
import { classifySalesforceError } from "./errors";
import { type SalesforceConfig, salesforceSpec } from "./spec";

/** Login hosts are fixed (never taken from the config), so the refresh token only ever goes to Salesforce itself. */
const LOGIN_HOSTS = { production: "https://login.salesforce.com", sandbox: "https://test.salesforce.com" } as const;

export interface SalesforceSession {
  http: HttpClient;
  /** The versioned REST path of a resource: `data("sobjects/")` → `/services/data/v66.0/sobjects/`. */
  data(resource: string): string;
}

export function tokenUrl(config: Pick<SalesforceConfig, "is_sandbox">): string {
  return `${config.is_sandbox ? LOGIN_HOSTS.sandbox : LOGIN_HOSTS.production}/services/oauth2/token`;
}

export async function openSession(ctx: ConnectorContext, config: SalesforceConfig): Promise<SalesforceSession> {
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = config;
  if (!clientId || !clientSecret || !refreshToken) {
    const missing = Object.entries({ client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken })
      .filter(([, value]) => !value)
      .map(([name]) => name);
    throw new ConnectorError("configuration", `the Salesforce credentials are incomplete: ${missing.join(", ")} not set`);
  }

  let instanceUrl = config.instance_url;
  const auth = oauth2RefreshToken({
    tokenUrl: tokenUrl(config),
    clientId,
    clientSecret,
    refreshToken,
    tokens: ctx.tokens,
    onToken: (token) => {
      // The org's own answer wins over the configured URL (an org moved to another instance or My Domain). The
      // token endpoint is Salesforce's fixed login host, and the kit's host rules still apply to this URL.
      if (typeof token.instance_url === "string" && URL.canParse(token.instance_url)) instanceUrl = token.instance_url;
    },
  });
  try {
    await auth.refresh?.(ctx.http);
  } catch (error) {
    if (!isConnectorError(error)) throw error;
    // This call runs on the engine's client, which knows nothing of these secrets; an endpoint may echo them.
    const message = redact(error.message, auth.secretValues());
    if (error.kind !== "configuration") throw new ConnectorError(error.kind, message, error.details);
    throw new ConnectorError(
      "configuration",
      `Salesforce sign-in failed (${message}): check client_id, client_secret and refresh_token, and is_sandbox for a sandbox org`,
      error.details,
    );
  }

  const version = config.api_version ?? salesforceSpec.api_version;
  const http = ctx.http.extend({ baseUrl: new URL(instanceUrl).origin, auth, classifyError: classifySalesforceError });
  return { http, data: (resource) => `/services/data/${version}/${resource}` };
}
