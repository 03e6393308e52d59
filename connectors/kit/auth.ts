/**
 * How a request carries credentials. A provider decorates each outgoing request; providers that hold a short-lived
 * token also `refresh()` it, which the http client calls once when the API answers 401.
 */
import { base64FromText } from "./base64";
import type { HttpClient } from "./http";

export interface AuthTarget {
  /** The URL about to be fetched (query-string credentials are added here). */
  url: URL;
  headers: Headers;
}

export interface AuthProvider {
  /** `http` is an unauthenticated client sharing the run's transport and budget, for token endpoints. */
  apply(target: AuthTarget, http: HttpClient): Promise<void>;
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
      else url.searchParams.set(name, value);
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

export { type OAuth2RefreshTokenOptions, type TokenResponse, oauth2RefreshToken } from "./oauth2";
export { type GoogleServiceAccountOptions, googleServiceAccount, googleServiceAccountFromJson } from "./google-service-account";
