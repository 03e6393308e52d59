/**
 * The one http client a Klaviyo read uses: the engine's client with Klaviyo's host, the pinned `revision`, the
 * private key or OAuth token, Klaviyo's error shapes, and — where the engine provides a shared budget — the
 * endpoint's rate tier taken from it before each request (DESIGN §5.4).
 */
import { type AuthProvider, apiKey, oauth2RefreshToken } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { meteredClient, tokenMeter } from "../kit/metered";
import { parseRetryAfter } from "../kit/retry";
import { classifyKlaviyoError } from "./errors";
import type { KlaviyoConfig } from "./spec";

export const KLAVIYO_API = "https://a.klaviyo.com/api";
/** research §5 "Auth": refresh_token grant, client id and secret in HTTP Basic; a.klaviyo.com since 2025-03-31. */
export const KLAVIYO_TOKEN_URL = "https://a.klaviyo.com/oauth/token";

/** An endpoint's documented limits: burst per second, steady per minute. */
export interface RateTier {
  burst: number;
  steady: number;
}

export function klaviyoClient(ctx: ConnectorContext, config: KlaviyoConfig, tier?: { name: string; limits: RateTier }): HttpClient {
  const budget = ctx.budget;
  // Private keys share the account's quota; an OAuth install has its own (research §5).
  const quota = config.api_key ? "klaviyo:key" : `klaviyo:oauth:${config.client_id ?? ""}`;
  const key = tier ? `${quota}:${tier.name}` : quota;
  const http = ctx.http.extend({
    baseUrl: KLAVIYO_API,
    auth: klaviyoAuth(ctx, config),
    defaultHeaders: { revision: config.api_version, accept: "application/vnd.api+json" },
    classifyError: (status, body, headers) => {
      // A 429 told to one stream pauses every stream on this endpoint's quota until Retry-After has passed; the
      // kit's default classification then retries this request after exactly that wait.
      const wait = status === 429 ? parseRetryAfter(headers.get("retry-after"), Date.now()) : undefined;
      if (wait !== undefined && budget) void budget.pause(key, wait).catch(() => {});
      return classifyKlaviyoError(status, body, headers);
    },
  });
  if (!budget || !tier) return http;
  // The burst window is the bucket and the steady window refills it; non-429 answers tell how much of the steady
  // window is left, which other clients of the same account also spend.
  const bucket = { capacity: tier.limits.burst, refillPerSecond: tier.limits.steady / 60 };
  return meteredClient(
    http,
    tokenMeter(budget, key, bucket, (headers) => {
      const remaining = Number(headers.get("ratelimit-remaining") ?? Number.NaN);
      return Number.isFinite(remaining) ? { available: remaining } : undefined;
    }),
  );
}

function klaviyoAuth(ctx: ConnectorContext, config: KlaviyoConfig): AuthProvider {
  if (config.api_key) return apiKey("authorization", "header", `Klaviyo-API-Key ${config.api_key}`);
  const { client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = config;
  if (clientId && clientSecret && refreshToken) {
    return oauth2RefreshToken({ tokenUrl: KLAVIYO_TOKEN_URL, clientId, clientSecret, refreshToken, clientAuth: "basic", tokens: ctx.tokens });
  }
  throw new ConnectorError("configuration", "Klaviyo credentials are incomplete: give a private api_key (pk_…), or all of client_id, client_secret and refresh_token");
}
