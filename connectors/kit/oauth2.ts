/**
 * Short-lived bearer tokens obtained from an OAuth 2.0 token endpoint: the refresh-token grant (Salesforce, HubSpot,
 * Google user credentials) and, through `cachedBearerToken`, any other grant (Google service accounts).
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

/** Renew this long before the announced expiry, so a token never dies between being applied and being checked. */
const EXPIRY_MARGIN_SECONDS = 60;

/**
 * A bearer token fetched on demand and cached until `expires_in` minus a minute. An endpoint that announces no
 * expiry (Salesforce: the lifetime is the org's session timeout) is cached until the API answers 401.
 * Concurrent requests share one token request.
 */
export function cachedBearerToken(
  obtain: (http: HttpClient, rejected: string | undefined) => Promise<TokenResponse>,
  options: { now?: () => number; secrets: () => string[] },
): AuthProvider {
  const now = options.now ?? Date.now;
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
      headers.set("authorization", `Bearer ${value}`);
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
  const viaBasic = options.clientAuth === "basic";
  const grant = async (http: HttpClient, current: string): Promise<TokenResponse> => {
    seen.add(current);
    const form: Record<string, string> = {
      grant_type: "refresh_token",
      refresh_token: current,
      ...(viaBasic ? {} : { client_id: options.clientId, client_secret: options.clientSecret }),
      ...options.extraParams,
    };
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined for Basic auth.
    const headers: Record<string, string> = viaBasic
      ? { authorization: `Basic ${base64FromText(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`)}` }
      : {};
    const response = await requestToken(http, options.tokenUrl, form, headers);
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
