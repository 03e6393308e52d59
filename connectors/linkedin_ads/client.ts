/**
 * The Marketing API client of a linkedin_ads read (research/connectors-data.md §4): api.linkedin.com/rest with the
 * pinned `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` on every call, a bearer token (refreshed at
 * www.linkedin.com/oauth/v2/accessToken through the engine's token keeper, which saves a rotated refresh token into
 * the loader), LinkedIn's error bodies classified, and every call taken from the loader's shared budget, so a 429
 * told to one stream holds every stream until it is over (DESIGN §5.4).
 */
import { type AuthProvider, bearer, oauth2RefreshToken } from "../kit/auth";
import { type ConnectorContext, ResumeLater } from "../kit/contract";
import { ConnectorError, isConnectorError } from "../kit/errors";
import type { HttpClient, HttpRequest } from "../kit/http";
import { apiMessage } from "../kit/http-errors";
import { meteredClient, tokenMeter } from "../kit/metered";
import { parseRetryAfter } from "../kit/retry";
import type { LinkedinAdsConfig } from "./spec";

export const LINKEDIN_API = "https://api.linkedin.com/rest";
/** research §4 "Auth": the refresh-token grant, client id and secret in the form body. */
export const LINKEDIN_TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken";

/** The budget key of every call: LinkedIn's limits are per application and per member, one of each per loader. */
export const BUDGET_KEY = "linkedin:api";
/**
 * LinkedIn publishes no per-second limit (only daily caps per endpoint, research §4); the bucket only spreads a
 * burst of parallel streams, and carries the pauses a 429 sets.
 */
const BUCKET = { capacity: 20, refillPerSecond: 10 };
/** A 429 that is not the daily cap ("infrastructure protection", LinkedIn rate-limit docs) names no wait. */
const BURST_WAIT_SECONDS = 60;
/** The longest a 429 is waited for inside a request; longer, the chunk ends and comes back (ResumeLater). */
const MAX_IN_PROCESS_WAIT_SECONDS = 30;

export const REVOKED_REFRESH_TOKEN = "reconnect LinkedIn: the refresh token was revoked or expired";
const REVOKED_ACCESS_TOKEN = "reconnect LinkedIn: the access token was revoked or expired";

export const accountUrn = (id: string | number) => `urn:li:sponsoredAccount:${id}`;
/** A URN inside a Rest.li 2.0 query value: its reserved characters (`:`, `,`, `(`, `)`) percent-encoded. */
export const restliString = (value: string) => encodeURIComponent(value).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** Rest.li 2.0 `List(a,b)`, sent raw: the parentheses and commas are syntax, the items are encoded. */
export const restliList = (items: readonly string[]) => `List(${items.map(restliString).join(",")})`;

interface LinkedinErrorBody {
  status?: number;
  serviceErrorCode?: number;
  code?: string;
  message?: string;
}

function errorBody(body: string): LinkedinErrorBody {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as LinkedinErrorBody) : {};
  } catch {
    return {};
  }
}

/** Seconds from `now` to the next 00:00 UTC, when LinkedIn's daily application and member limits reset. */
export function secondsToUtcMidnight(now: Date): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

/** The wait a 429 asks for: Retry-After if sent, the next UTC midnight for a daily cap, else a minute. */
export function throttleWaitSeconds(status: number, body: string, headers: Headers, now: Date): { seconds: number; daily: boolean } {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), now.getTime());
  const daily = /\bDAY\b/.test(errorBody(body).message ?? "");
  if (retryAfter !== undefined) return { seconds: retryAfter, daily };
  return { seconds: daily ? secondsToUtcMidnight(now) : BURST_WAIT_SECONDS, daily };
}

export function classifyLinkedinError(status: number, body: string, headers: Headers, now: Date, onThrottle?: (seconds: number) => void): ConnectorError | undefined {
  const error = errorBody(body);
  const said = `LinkedIn ${status}${error.code ? ` ${error.code}` : ""}${error.serviceErrorCode ? ` (${error.serviceErrorCode})` : ""}: ${error.message ?? apiMessage(body) ?? ""}`;
  if (status === 429) {
    const { seconds, daily } = throttleWaitSeconds(status, body, headers, now);
    onThrottle?.(seconds);
    const what = daily ? "LinkedIn's daily limit for this endpoint is spent" : "LinkedIn throttled the application";
    return new ConnectorError("retryable", `${what} (${said}); waiting ${Math.ceil(seconds)} s${daily ? " for the reset at 00:00 UTC" : ""}`, { status, retryAfterSeconds: seconds });
  }
  if (status === 401) return new ConnectorError("configuration", `${REVOKED_ACCESS_TOKEN} (${said})`, { status });
  if (status === 403) {
    return new ConnectorError("configuration", `LinkedIn refused access (${said}). The member needs a role on the ad account, and the app the r_ads and r_ads_reporting scopes.`, { status });
  }
  if (status === 426) return new ConnectorError("configuration", `the api_version is no longer served (${said}). Set api_version to a current LinkedIn-Version (YYYYMM).`, { status });
  if (status === 400 && error.code === "VERSION_MISSING") return new ConnectorError("configuration", `LinkedIn asked for a version header (${said})`, { status });
  return undefined;
}

/** The refresh-token flow, or a fixed access token; a revoked or expired refresh token says to reconnect. */
function linkedinAuth(ctx: ConnectorContext, config: LinkedinAdsConfig): AuthProvider {
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, access_token: accessToken } = config;
  if (clientId && clientSecret && refreshToken) {
    return explainTokenFailures(oauth2RefreshToken({ tokenUrl: LINKEDIN_TOKEN_URL, clientId, clientSecret, refreshToken, clientAuth: "body", tokens: ctx.tokens }));
  }
  if (accessToken) return bearer(accessToken);
  throw new ConnectorError("configuration", "LinkedIn credentials are incomplete: give client_id, client_secret and refresh_token, or an access_token");
}

/**
 * LinkedIn answers a spent refresh token with 400 invalid_request "…refresh token is invalid, expired or revoked"
 * (refresh tokens live 365 days from the member's consent, and refreshing does not extend them), and wrong client
 * credentials with 401 invalid_client.
 */
function explainTokenFailures(auth: AuthProvider): AuthProvider {
  const explain = (error: unknown): never => {
    if (isConnectorError(error) && error.kind === "configuration" && error.message.startsWith("could not obtain an access token")) {
      if (/invalid_client|client authentication/i.test(error.message)) {
        throw new ConnectorError("configuration", `LinkedIn refused the client_id and client_secret (${error.message}). Copy them again from the app's Auth tab.`, error.details);
      }
      throw new ConnectorError("configuration", `${REVOKED_REFRESH_TOKEN} (${error.message})`, error.details);
    }
    throw error;
  };
  return {
    apply: (target, http) => auth.apply(target, http).catch(explain),
    ...(auth.refresh ? { refresh: (http: HttpClient) => auth.refresh!(http).catch(explain) } : {}),
    secretValues: () => auth.secretValues(),
  };
}

/**
 * The client every linkedin_ads request goes through. A throttle wait longer than the client waits in process is
 * handed to the engine as ResumeLater when it runs the read (the chunk ends and comes back when the limit resets,
 * spending none of its retries); the shared budget's pause keeps every other stream from calling meanwhile.
 */
export function linkedinClient(ctx: ConnectorContext, config: LinkedinAdsConfig): HttpClient {
  const budget = ctx.budget;
  const http = ctx.http.extend({
    baseUrl: LINKEDIN_API,
    auth: linkedinAuth(ctx, config),
    defaultHeaders: { "linkedin-version": config.api_version, "x-restli-protocol-version": "2.0.0" },
    maxWaitSeconds: MAX_IN_PROCESS_WAIT_SECONDS,
    classifyError: (status, body, headers) =>
      classifyLinkedinError(status, body, headers, ctx.now(), (seconds) => {
        if (budget) void budget.pause(BUDGET_KEY, seconds).catch(() => {});
      }),
  });
  return budget ? resumingLater(meteredClient(http, tokenMeter(budget, BUDGET_KEY, BUCKET))) : http;
}

function resumingLater(http: HttpClient): HttpClient {
  const handOver = (error: unknown): never => {
    const wait = isConnectorError(error) && error.kind === "retryable" && error.details.status === 429 ? error.details.retryAfterSeconds : undefined;
    if (wait !== undefined && wait > MAX_IN_PROCESS_WAIT_SECONDS) throw new ResumeLater(wait, error instanceof Error ? error.message : String(error));
    throw error;
  };
  return {
    request: (req: HttpRequest) => http.request(req).catch(handOver),
    getJson: <T>(req: HttpRequest) => http.getJson<T>(req).catch(handOver),
    stream: (req: HttpRequest) => http.stream(req).catch(handOver),
    extend: (overrides) => resumingLater(http.extend(overrides)),
    get requestsSent() {
      return http.requestsSent;
    },
  };
}

