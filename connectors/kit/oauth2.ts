/**
 * Short-lived bearer tokens obtained from an OAuth 2.0 token endpoint: the refresh-token grant (Salesforce, HubSpot,
 * Google user credentials), the client-credentials grant (Shopify, Databricks M2M) and, through `cachedBearerToken`,
 * any other grant (Google service accounts).
 */
import type { AuthProvider } from "./auth";
import { base64FromText } from "./base64";
import type { TokenStore } from "./contract";
import { ConnectorError, isConnectorError } from "./errors";
import type { HttpClient } from "./http";

/** RFC 6749 §5.1, plus whatever the provider adds (Salesforce `instance_url`). */
export interface TokenResponse {
  access_token: string;
  expires_in?: number | string;
  refresh_token?: string;
  token_type?: string;
  [extra: string]: unknown;
}

/** Where a token goes on each request: `Authorization: Bearer …` unless the API names its own header. */
export interface TokenHeader {
  name: string;
  prefix?: string;
}
const BEARER: TokenHeader = { name: "authorization", prefix: "Bearer " };

/** Renew this long before the announced expiry, so a token never dies between being applied and being checked. */
const EXPIRY_MARGIN_SECONDS = 60;

/**
 * A bearer token fetched on demand and cached until `expires_in` minus a minute. An endpoint that announces no
 * expiry (Salesforce: the lifetime is the org's session timeout) is cached until the API answers 401.
 * Concurrent requests share one token request.
 */
export function cachedBearerToken(
  obtain: (http: HttpClient, rejected: string | undefined) => Promise<TokenResponse>,
  options: { now?: () => number; secrets: () => string[]; header?: TokenHeader | undefined },
): AuthProvider {
  const now = options.now ?? Date.now;
  const header = options.header ?? BEARER;
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const renew = (http: HttpClient, rejected?: string): Promise<string> => {
    pending ??= obtain(http, rejected)
      .then((response) => {
        const expiresIn = Number(response.expires_in);
        const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? Math.max(expiresIn - EXPIRY_MARGIN_SECONDS, expiresIn / 2) : Infinity;
        token = { value: response.access_token, expiresAt: now() + lifetime * 1000 };
        return token.value;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return {
    async apply({ headers }, http) {
      const value = token && now() < token.expiresAt ? token.value : await renew(http);
      headers.set(header.name, `${header.prefix ?? ""}${value}`);
    },
    async refresh(http) {
      const rejected = token?.value;
      token = undefined;
      await renew(http, rejected);
    },
    secretValues: () => [...options.secrets(), ...(token ? [token.value] : [])],
  };
}

/** POSTs a form to a token endpoint; a rejection is a configuration error carrying the endpoint's error_description. */
export async function requestToken(http: HttpClient, tokenUrl: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenResponse> {
  let body: unknown;
  try {
    body = await http.getJson({ method: "POST", url: tokenUrl, form, headers });
  } catch (error) {
    if (isConnectorError(error) && error.kind === "configuration") {
      throw new ConnectorError("configuration", `could not obtain an access token: ${error.message}`, error.details);
    }
    throw error;
  }
  const response = body as Partial<TokenResponse> | null;
  if (!response || typeof response.access_token !== "string" || !response.access_token) {
    throw new ConnectorError("configuration", `the token endpoint ${new URL(tokenUrl).host} answered without an access_token`);
  }
  return response as TokenResponse;
}

export interface OAuth2RefreshTokenOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Where the client credentials go (RFC 6749 §2.3.1): the form body, or an HTTP Basic header. */
  clientAuth?: "body" | "basic";
  extraParams?: Record<string, string>;
  /**
   * The engine's token keeper (`ConnectorContext.tokens`). With it, tokens are shared by every chunk of the loader
   * and a rotated refresh token is saved into the loader's config at `refreshTokenField`; without it (a one-off
   * call), a rotated token lives only as long as this provider.
   */
  tokens?: TokenStore | undefined;
  /** The config field holding the refresh token; `refresh_token` unless a connector names it otherwise. */
  refreshTokenField?: string;
  /** Sees every token response, for provider extras such as Salesforce's `instance_url`. */
  onToken?: (response: TokenResponse) => void;
  now?: () => number;
}

export function oauth2RefreshToken(options: OAuth2RefreshTokenOptions): AuthProvider {
  let refreshToken = options.refreshToken;
  // Every refresh token this provider has sent or received, for redaction: a rotated one is as secret as the first.
  const seen = new Set([refreshToken]);
  const grant = async (http: HttpClient, current: string): Promise<TokenResponse> => {
    seen.add(current);
    const client = clientAuthentication(options);
    const form: Record<string, string> = { grant_type: "refresh_token", refresh_token: current, ...client.form, ...options.extraParams };
    const response = await requestToken(http, options.tokenUrl, form, client.headers);
    if (typeof response.refresh_token === "string" && response.refresh_token) seen.add(response.refresh_token);
    return response;
  };
  return cachedBearerToken(
    async (http, rejected) => {
      let response: TokenResponse;
      if (options.tokens) {
        const request = { field: options.refreshTokenField ?? "refresh_token", refreshToken: options.refreshToken, ...(rejected ? { rejected } : {}) };
        response = await options.tokens.token(request, (current) => grant(http, current));
      } else {
        response = await grant(http, refreshToken);
        if (typeof response.refresh_token === "string" && response.refresh_token) refreshToken = response.refresh_token;
      }
      options.onToken?.(response);
      return response;
    },
    { ...(options.now ? { now: options.now } : {}), secrets: () => [options.clientSecret, ...seen] },
  );
}

/** RFC 6749 §2.3.1: client credentials in the form body, or in a Basic header (id and secret form-urlencoded first). */
function clientAuthentication(options: { clientId: string; clientSecret: string; clientAuth?: "body" | "basic" | undefined }): {
  form: Record<string, string>;
  headers: Record<string, string>;
} {
  if (options.clientAuth === "basic") {
    const pair = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    return { form: {}, headers: { authorization: `Basic ${base64FromText(pair)}` } };
  }
  return { form: { client_id: options.clientId, client_secret: options.clientSecret }, headers: {} };
}

export interface OAuth2ClientCredentialsOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes (Databricks `all-apis`); omitted when the app's configured scopes apply (Shopify). */
  scope?: string;
  /** Databricks M2M wants `basic`; Shopify takes the credentials in the body. */
  clientAuth?: "body" | "basic";
  extraParams?: Record<string, string>;
  /** Where the token goes: `Authorization: Bearer` by default; Shopify: `{ name: "x-shopify-access-token" }`. */
  tokenHeader?: TokenHeader;
  onToken?: (response: TokenResponse) => void;
  now?: () => number;
}

/**
 * The client-credentials grant (RFC 6749 §4.4): machine credentials exchanged for a short-lived token, cached until
 * shortly before `expires_in` and renewed on a 401, with no refresh token (Shopify Dev Dashboard apps, ~24 h;
 * Databricks OAuth M2M, 1 h).
 */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsOptions): AuthProvider {
  const issued = new Set<string>();
  return cachedBearerToken(
    async (http) => {
      const client = clientAuthentication(options);
      const form: Record<string, string> = {
        grant_type: "client_credentials",
        ...client.form,
        ...(options.scope ? { scope: options.scope } : {}),
        ...options.extraParams,
      };
      const response = await requestToken(http, options.tokenUrl, form, client.headers);
      issued.add(response.access_token);
      options.onToken?.(response);
      return response;
    },
    { ...(options.now ? { now: options.now } : {}), header: options.tokenHeader, secrets: () => [options.clientSecret, ...issued] },
  );
}
