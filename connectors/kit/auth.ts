/**
 * How a request carries credentials. A provider decorates each outgoing request; providers that hold a short-lived
 * token also `refresh()` it, which the http client calls once when the API answers 401.
 */
import { base64FromText } from "./base64";
import { appendQueryParam, type HttpClient } from "./http";

export interface AuthTarget {
  /** The URL about to be fetched (query-string credentials are added here). */
  url: URL;
  headers: Headers;
}

/**
 * A request as a signer sees it, after HOST_OVERRIDES has chosen where it goes but over what the API will check:
 * the production (logical) URL, so a development fake reached on 127.0.0.1 verifies the same signature AWS would.
 */
export interface SigningRequest {
  method: string;
  /** The production URL with the exact query that is sent (raw query values included). */
  url: URL;
  /** The headers about to be sent; a signer adds its own (Authorization, x-amz-date, ...) here. */
  headers: Headers;
  /** The body as it is sent; undefined for none. */
  body: string | Uint8Array | undefined;
}

export interface AuthProvider {
  /** `http` is an unauthenticated client sharing the run's transport and budget, for token endpoints. */
  apply(target: AuthTarget, http: HttpClient): Promise<void>;
  /**
   * Signs the request over its method, production URL, headers and body (AWS SigV4); called on every attempt and
   * redirect hop to the original origin, after `apply`, so a retried request carries a fresh date.
   */
  sign?(request: SigningRequest, http: HttpClient): Promise<void>;
  /** Forces new credentials; present only where credentials can be renewed. */
  refresh?(http: HttpClient): Promise<void>;
  /** Secret values currently held, scrubbed from every error message the client raises. */
  secretValues(): string[];
}

export function noAuth(): AuthProvider {
  return { apply: async () => {}, secretValues: () => [] };
}

export function bearer(token: string): AuthProvider {
  return {
    apply: async ({ headers }) => headers.set("authorization", `Bearer ${token}`),
    secretValues: () => [token],
  };
}

export function apiKey(name: string, location: "header" | "query", value: string): AuthProvider {
  return {
    apply: async ({ url, headers }) => {
      if (location === "header") headers.set(name, value);
      // Appended as text: re-serializing searchParams would re-encode the request's raw query values.
      else appendQueryParam(url, name, value);
    },
    secretValues: () => [value],
  };
}

export function basic(username: string, password: string): AuthProvider {
  // RFC 7617 §2.1: the user-id and password are joined by a colon and encoded as UTF-8 before base64.
  const encoded = base64FromText(`${username}:${password}`);
  return {
    apply: async ({ headers }) => headers.set("authorization", `Basic ${encoded}`),
    secretValues: () => [password, encoded],
  };
}

export {
  type OAuth2ClientCredentialsOptions,
  type OAuth2RefreshTokenOptions,
  type TokenResponse,
  oauth2ClientCredentials,
  oauth2RefreshToken,
} from "./oauth2";
export { type AwsSigV4Options, awsSigV4 } from "./sigv4";
export { type GoogleServiceAccountOptions, googleServiceAccount, googleServiceAccountFromJson } from "./google-service-account";
