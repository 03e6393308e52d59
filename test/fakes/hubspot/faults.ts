/**
 * Injectable failures and the rate-limit bookkeeping behind the X-HubSpot-RateLimit-* headers.
 * Probabilistic faults draw from a PRNG seeded per tenant, so a given request sequence always fails
 * at the same places.
 */
import { z } from "zod";
import { rateLimited, serverError, type RateLimitPolicy } from "./errors";
import type { Reply } from "./http-util";
import { createRng, type Rng } from "../shared/prng";

const serverStatus = z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]);

export const faultConfigSchema = z.strictObject({
  /** The next `count` API requests (optionally only those whose path contains `match`) fail with `status`. */
  fail_first: z
    .strictObject({
      count: z.number().int().min(0),
      status: z.union([z.literal(429), serverStatus]).default(429),
      match: z.string().optional(),
    })
    .optional(),
  rate_limit_rate: z.number().min(0).max(1).default(0),
  server_error_rate: z.number().min(0).max(1).default(0),
  server_error_status: serverStatus.default(500),
  /** Restricts the probabilistic faults to paths containing this text. */
  match: z.string().optional(),
  seed: z.string().optional(),
  rate_limit_policy: z.enum(["SECONDLY", "TEN_SECONDLY_ROLLING", "DAILY"]).default("SECONDLY"),
  /** Seconds for Retry-After on 429s; null never sends it; "alternate" sends it on every other 429. */
  retry_after: z.union([z.number().int().min(0), z.null(), z.literal("alternate")]).default("alternate"),
  /** Enforce this many requests per rolling 10 s (429 TEN_SECONDLY_ROLLING beyond it); off by default. */
  burst_limit: z.number().int().min(1).optional(),
  /** Every access token issued so far for this tenant counts as expired from now on. */
  expire_tokens: z.boolean().default(false),
  /** Scopes the installed app lacks: endpoints needing one of them answer 403 MISSING_SCOPES. */
  missing_scopes: z.array(z.string()).default([]),
});

export type FaultConfig = z.infer<typeof faultConfigSchema>;

export interface FaultState {
  config: FaultConfig;
  failFirstLeft: number;
  rng: Rng;
  rateLimitsSent: number;
}

export function createFaultState(tenant: string, config: FaultConfig = faultConfigSchema.parse({})): FaultState {
  return {
    config,
    failFirstLeft: config.fail_first?.count ?? 0,
    rng: createRng(`hubspot-faults:${config.seed ?? tenant}`),
    rateLimitsSent: 0,
  };
}

/** Default burst and daily caps of a Professional private app (research §2 "Rate limits"). */
const DEFAULT_BURST = 190;
const DAILY_LIMIT = 650_000;
const WINDOW_MS = 10_000;

const RETRY_AFTER_SECONDS: Readonly<Record<RateLimitPolicy, number | null>> = {
  SECONDLY: 1,
  TEN_SECONDLY_ROLLING: 10,
  DAILY: null,
};

export interface RateWindow {
  recent: number[];
  total: number;
}

function tooManyRequests(state: FaultState, policy: RateLimitPolicy): Reply {
  const reply = rateLimited(policy);
  const setting = state.config.retry_after;
  const sendHeader = setting === "alternate" ? state.rateLimitsSent % 2 === 0 : setting !== null;
  const seconds = typeof setting === "number" ? setting : RETRY_AFTER_SECONDS[policy];
  state.rateLimitsSent++;
  if (sendHeader && seconds !== null) reply.headers = { "Retry-After": String(seconds) };
  return reply;
}

const matches = (path: string, match: string | undefined) => match === undefined || path.includes(match);

/** Counts the request in the rolling window; returns the 429 to send when a configured burst cap is exceeded. */
export function recordRequest(window: RateWindow, state: FaultState, now: number): Reply | null {
  window.recent = window.recent.filter((at) => now - at < WINDOW_MS);
  const limit = state.config.burst_limit;
  if (limit !== undefined && window.recent.length >= limit) return tooManyRequests(state, "TEN_SECONDLY_ROLLING");
  window.recent.push(now);
  window.total++;
  return null;
}

export function injectedFault(state: FaultState, path: string): Reply | null {
  const { config } = state;
  if (config.fail_first && state.failFirstLeft > 0 && matches(path, config.fail_first.match)) {
    state.failFirstLeft--;
    const status = config.fail_first.status;
    return status === 429 ? tooManyRequests(state, config.rate_limit_policy) : serverError(status);
  }
  if (!matches(path, config.match)) return null;
  if (config.rate_limit_rate > 0 && state.rng.chance(config.rate_limit_rate)) {
    return tooManyRequests(state, config.rate_limit_policy);
  }
  if (config.server_error_rate > 0 && state.rng.chance(config.server_error_rate)) {
    return serverError(config.server_error_status);
  }
  return null;
}

/** HubSpot does not send the daily pair to OAuth-authenticated calls (research §2 "Rate limits"). */
export function rateLimitHeaders(window: RateWindow, state: FaultState, viaOAuth: boolean): Record<string, string> {
  const max = state.config.burst_limit ?? DEFAULT_BURST;
  const headers: Record<string, string> = {
    "X-HubSpot-RateLimit-Interval-Milliseconds": String(WINDOW_MS),
    "X-HubSpot-RateLimit-Max": String(max),
    "X-HubSpot-RateLimit-Remaining": String(Math.max(0, max - window.recent.length)),
  };
  if (!viaOAuth) {
    headers["X-HubSpot-RateLimit-Daily"] = String(DAILY_LIMIT);
    headers["X-HubSpot-RateLimit-Daily-Remaining"] = String(Math.max(0, DAILY_LIMIT - window.total));
  }
  return headers;
}
