/**
 * Google APIs, once for every Google reader (Sheets, GA4, Ads): credentials and error bodies.
 * - Credentials: a service-account key file (the JWT-bearer grant, kit/google-service-account.ts on the one RS256
 *   signer) or OAuth user credentials (client id/secret + refresh token at oauth2.googleapis.com/token). Either way
 *   the access token comes through the loader's token keeper (ctx.tokens), so every chunk of every run shares one
 *   token instead of each minting its own (Google caps the live tokens per account and per client).
 * - Errors: Google's JSON error (AIP-193: `{"error":{"code","message","status","details":[...]}}`), its
 *   `google.rpc.RetryInfo.retryDelay`, `QuotaFailure` violations and `ErrorInfo.reason`, and the token endpoint's
 *   `invalid_grant`, classified in one place so each reader adds only the sentence that says what to fix.
 */
import type { AuthProvider } from "./auth";
import type { ConnectorContext, TokenStore } from "./contract";
import { ConnectorError } from "./errors";
import { GOOGLE_TOKEN_URL, googleServiceAccount } from "./google-service-account";
import type { ErrorClassifier, HttpClient } from "./http";
import { oauth2RefreshToken, type TokenResponse } from "./oauth2";
import { retryDelayInBody } from "./retry-info";

export { GOOGLE_TOKEN_URL };

/** The credential fields every Google loader type's config has (spec-helpers oauthRefreshFields + serviceAccountJsonField). */
export interface GoogleCredentials {
  service_account_json?: string | undefined;
  client_id?: string | undefined;
  client_secret?: string | undefined;
  refresh_token?: string | undefined;
}

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** The key file's fields the grant needs; a wrong paste is a configuration error naming what is missing. */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ConnectorError("configuration", "service_account_json is not valid JSON: paste the key file Google Cloud downloaded");
  }
  const { client_email, private_key, private_key_id, token_uri } = parsed ?? {};
  if (typeof client_email !== "string" || typeof private_key !== "string") {
    throw new ConnectorError("configuration", "service_account_json needs client_email and private_key: paste the whole key file");
  }
  return {
    client_email,
    private_key,
    ...(typeof private_key_id === "string" ? { private_key_id } : {}),
    ...(typeof token_uri === "string" ? { token_uri } : {}),
  };
}

/** Who spends the quota: Google's per-user quotas belong to the service account or to the OAuth client's user. */
export function googlePrincipal(credentials: GoogleCredentials): string {
  if (credentials.service_account_json) return `sa:${parseServiceAccountKey(credentials.service_account_json).client_email}`;
  return `oauth:${credentials.client_id ?? ""}`;
}

/**
 * The AuthProvider for a Google loader's credentials and scopes. With a token keeper, a service account's token is
 * kept under the `service_account_json` field, keyed by a digest of the key (so the keeper never holds the private
 * key, and a replaced key file starts afresh).
 */
export function googleAuth(ctx: Pick<ConnectorContext, "tokens">, credentials: GoogleCredentials, scopes: string[]): AuthProvider {
  if (credentials.service_account_json) {
    const key = parseServiceAccountKey(credentials.service_account_json);
    const direct = googleServiceAccount({
      clientEmail: key.client_email,
      privateKey: key.private_key,
      scopes,
      ...(key.private_key_id ? { privateKeyId: key.private_key_id } : {}),
      ...(key.token_uri ? { tokenUrl: key.token_uri } : {}),
    });
    return ctx.tokens ? keptServiceAccount(ctx.tokens, direct, credentials.service_account_json, key.private_key) : direct;
  }
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = credentials;
  if (clientId && clientSecret && refreshToken) {
    // Google takes the client credentials in the form body (its token endpoint also accepts Basic, the body is what its docs show).
    return oauth2RefreshToken({ tokenUrl: GOOGLE_TOKEN_URL, clientId, clientSecret, refreshToken, clientAuth: "body", tokens: ctx.tokens });
  }
  throw new ConnectorError("configuration", "Google credentials are incomplete: give service_account_json, or all of client_id, client_secret and refresh_token");
}

/**
 * A service account's access token through the token keeper: the keeper calls back for a new one only when the one
 * it holds is near its end or was refused, and hands the same token to every chunk meanwhile.
 */
function keptServiceAccount(tokens: TokenStore, direct: AuthProvider, keyJson: string, privateKey: string): AuthProvider {
  let digest: Promise<string> | undefined;
  let token: string | undefined;
  let rejected: string | undefined;
  const obtain = async (http: HttpClient): Promise<string> => {
    digest ??= sha256(keyJson);
    const request = { field: "service_account_json", refreshToken: await digest, ...(rejected ? { rejected } : {}) };
    const response = await tokens.token(request, async (): Promise<TokenResponse> => {
      // Always a fresh grant: the keeper asks only when the token it holds is near its end or was refused, and
      // `direct` may still cache that very token.
      await direct.refresh?.(http);
      const headers = new Headers();
      await direct.apply({ url: new URL(GOOGLE_TOKEN_URL), headers }, http);
      const value = /^Bearer (.+)$/.exec(headers.get("authorization") ?? "")?.[1] ?? "";
      // Google's service-account tokens live an hour (expires_in 3599); the provider does not hand the figure on.
      return { access_token: value, expires_in: 3599, token_type: "Bearer" };
    });
    token = response.access_token;
    rejected = undefined;
    return token;
  };
  return {
    async apply({ headers }, http) {
      headers.set("authorization", `Bearer ${token ?? (await obtain(http))}`);
    },
    async refresh(http) {
      rejected = token;
      token = undefined;
      await obtain(http);
    },
    secretValues: () => [privateKey, ...direct.secretValues(), ...(token ? [token] : [])],
  };
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** What a Google error body says, parsed once. */
export interface GoogleError {
  /** HTTP code inside the body (equals the status). */
  code?: number;
  /** The canonical gRPC status name: RESOURCE_EXHAUSTED, PERMISSION_DENIED, UNAUTHENTICATED, ... */
  status?: string;
  message?: string;
  /** `ErrorInfo.reason` values (RATE_LIMIT_EXCEEDED, SERVICE_DISABLED, ACCESS_TOKEN_SCOPE_INSUFFICIENT) and v1 `errors[].reason`. */
  reasons: string[];
  /** `QuotaFailure.violations[].description` (or subject), the quota that ran out. */
  quotaViolations: string[];
  /** `RetryInfo.retryDelay` in seconds, where the body names one. */
  retryDelaySeconds?: number;
  /** The OAuth token endpoint's `error` (invalid_grant, invalid_client, unauthorized_client) and description. */
  oauthError?: string;
  oauthDescription?: string;
  /** The whole parsed body, for readers with error shapes of their own (Google Ads' GoogleAdsFailure). */
  body?: unknown;
}

export function parseGoogleError(body: string): GoogleError {
  const out: GoogleError = { reasons: [], quotaViolations: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return out;
  }
  // searchStream answers its errors as a one-element array of the same envelope.
  const envelope = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | null;
  out.body = parsed;
  if (!envelope || typeof envelope !== "object") return out;
  const error = envelope.error;
  if (typeof error === "string") {
    out.oauthError = error;
    if (typeof envelope.error_description === "string") out.oauthDescription = envelope.error_description;
    return out;
  }
  if (!error || typeof error !== "object") return out;
  const e = error as Record<string, unknown>;
  if (typeof e.code === "number") out.code = e.code;
  if (typeof e.status === "string") out.status = e.status;
  if (typeof e.message === "string") out.message = e.message;
  for (const item of Array.isArray(e.errors) ? e.errors : []) {
    const reason = (item as { reason?: unknown })?.reason;
    if (typeof reason === "string") out.reasons.push(reason);
  }
  for (const detail of Array.isArray(e.details) ? (e.details as Array<Record<string, unknown>>) : []) {
    const type = String(detail?.["@type"] ?? "");
    if (type.endsWith("google.rpc.ErrorInfo") && typeof detail.reason === "string") out.reasons.push(detail.reason);
    if (type.endsWith("google.rpc.QuotaFailure")) {
      for (const v of Array.isArray(detail.violations) ? (detail.violations as Array<Record<string, unknown>>) : []) {
        const said = v?.description ?? v?.subject;
        if (typeof said === "string") out.quotaViolations.push(said);
      }
    }
  }
  const delay = retryDelayInBody(parsed);
  if (delay !== undefined) out.retryDelaySeconds = delay;
  return out;
}

export interface GoogleErrorOptions {
  /** The product, for messages: "Google Sheets", "Google Analytics Data API". */
  product: string;
  /** What the user does about a PERMISSION_DENIED (share the spreadsheet with the service account, add the user to the property). */
  permissionHint: string;
  /** What the user does about a NOT_FOUND. */
  notFoundHint?: string;
  /** A reader's own shapes (Google Ads' GoogleAdsFailure codes), asked first. */
  special?: (status: number, error: GoogleError) => ConnectorError | undefined;
  /**
   * Told of every RESOURCE_EXHAUSTED with the wait it names (or a default), so the loader's shared budget pauses all
   * streams on that quota rather than each finding out with a refused request (DESIGN §5.4).
   */
  onQuotaExhausted?: (waitSeconds: number | undefined, error: GoogleError) => void;
}

/**
 * The one classification of Google error answers (https://cloud.google.com/apis/design/errors, AIP-193), in the
 * kit's ErrorClassifier shape; undefined leaves the answer to the kit's default (which already quotes the message).
 */
export function googleErrorClassifier(options: GoogleErrorOptions): ErrorClassifier {
  return (status, body) => {
    const error = parseGoogleError(body);
    const special = options.special?.(status, error);
    if (special) return special;
    const said = error.message ? `: ${error.message}` : error.oauthDescription ? `: ${error.oauthDescription}` : "";
    const details = { status };
    if (error.oauthError) {
      // The token endpoint (400/401): invalid_grant is a revoked or expired refresh token, a deleted or disabled
      // service-account key, or a JWT signed by a key Google does not know — all for the user to fix.
      const fix =
        error.oauthError === "invalid_grant"
          ? "The refresh token was revoked or has expired, or the service-account key was deleted or disabled: authorize again, or create a new key and paste it."
          : error.oauthError === "invalid_client" || error.oauthError === "unauthorized_client"
            ? "Check client_id and client_secret (an OAuth client of type Web or Desktop from the same Google Cloud project)."
            : "Check the credentials.";
      return new ConnectorError("configuration", `Google refused the credentials (${error.oauthError})${said}. ${fix}`, details);
    }
    const reasons = new Set(error.reasons);
    if (status === 429 || error.status === "RESOURCE_EXHAUSTED") {
      options.onQuotaExhausted?.(error.retryDelaySeconds, error);
      const quota = error.quotaViolations.length ? ` (${error.quotaViolations.join("; ")})` : "";
      return new ConnectorError("retryable", `${options.product} quota exhausted${quota}${said}`, {
        ...details,
        ...(error.retryDelaySeconds !== undefined ? { retryAfterSeconds: error.retryDelaySeconds } : {}),
      });
    }
    if (status === 401 || error.status === "UNAUTHENTICATED") {
      return new ConnectorError("configuration", `${options.product} rejected the access token (UNAUTHENTICATED)${said}. Authorize again or paste a new key.`, details);
    }
    if (status === 403 || error.status === "PERMISSION_DENIED") {
      if (reasons.has("SERVICE_DISABLED") || reasons.has("accessNotConfigured")) {
        return new ConnectorError("configuration", `${options.product} is not enabled in the Google Cloud project of these credentials${said}. Enable the API in the console (APIs & Services → Library), then retry.`, details);
      }
      if (reasons.has("ACCESS_TOKEN_SCOPE_INSUFFICIENT") || reasons.has("insufficientPermissions")) {
        return new ConnectorError("configuration", `the credentials lack the OAuth scope ${options.product} needs${said}. Authorize again granting read access.`, details);
      }
      return new ConnectorError("configuration", `${options.product} denied access (PERMISSION_DENIED)${said}. ${options.permissionHint}`, details);
    }
    if (status === 404 || error.status === "NOT_FOUND") {
      return new ConnectorError("configuration", `${options.product}: not found${said}. ${options.notFoundHint ?? "Check the id in the config."}`, details);
    }
    if (status === 400 || error.status === "INVALID_ARGUMENT" || error.status === "FAILED_PRECONDITION" || error.status === "OUT_OF_RANGE") {
      return new ConnectorError("configuration", `${options.product} rejected the request (${error.status ?? `HTTP ${status}`})${said}`, details);
    }
    if (status >= 500 || error.status === "UNAVAILABLE" || error.status === "INTERNAL" || error.status === "DEADLINE_EXCEEDED" || error.status === "ABORTED") {
      return new ConnectorError("retryable", `${options.product} server error (${error.status ?? `HTTP ${status}`})${said}`, {
        ...details,
        ...(error.retryDelaySeconds !== undefined ? { retryAfterSeconds: error.retryDelaySeconds } : {}),
      });
    }
    return undefined;
  };
}

export interface GoogleClientOptions extends GoogleErrorOptions {
  baseUrl: string;
  scopes: string[];
  credentials: GoogleCredentials;
  defaultHeaders?: Record<string, string>;
}

/**
 * The engine's client with a Google API's base, credentials and error classification. The token request goes through
 * the same classification: an invalid_grant there is a configuration error that ends the stream (and puts the loader
 * in error), never a retry.
 */
export function googleClient(ctx: ConnectorContext, options: GoogleClientOptions): HttpClient {
  return ctx.http.extend({
    baseUrl: options.baseUrl,
    auth: googleAuth(ctx, options.credentials, options.scopes),
    classifyError: googleErrorClassifier(options),
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
  });
}
