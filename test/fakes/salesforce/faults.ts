/**
 * Injectable misbehaviour, per tenant. Everything that is probabilistic draws from a PRNG seeded by `seed`, so a
 * test that sets the same faults on a freshly seeded tenant sees the same sequence of failures every run.
 */
import { ControlError } from "./control-error";

export interface FaultSettings {
  /** DailyApiRequests.Max: once the org's usage reaches it, API calls get 403 REQUEST_LIMIT_EXCEEDED. */
  daily_limit: number;
  /** The next N authenticated API requests fail with `fail_status`. */
  fail_first: number;
  fail_status: 500 | 503;
  /** Per-request probabilities, each rolled independently in this order. */
  rates: {
    /** 401 INVALID_SESSION_ID, and the token stays dead (a session timeout mid-sync). */
    session_expired: number;
    /** 403 REQUEST_LIMIT_EXCEEDED for the concurrent long-running request cap (transient, unlike the daily cap). */
    concurrent_limit: number;
    /** 500 UNKNOWN_EXCEPTION. */
    server_error: number;
    /** 503 SERVER_UNAVAILABLE. */
    unavailable: number;
  };
  seed: number;
  /** Each access token serves this many API requests and then expires; null = never. */
  token_ttl_requests: number | null;
  /** The refresh token stops working: the token endpoint answers 400 invalid_grant. */
  revoke_refresh_token: boolean;
  /** Refresh-token rotation: every refresh returns a new refresh token and invalidates the old one. */
  rotate_refresh_token: boolean;
}

/** Salesforce's default Enterprise allocation base (100,000 per 24 h before licence adders). */
export const DEFAULT_DAILY_LIMIT = 100_000;

export function defaultFaults(): FaultSettings {
  return {
    daily_limit: DEFAULT_DAILY_LIMIT,
    fail_first: 0,
    fail_status: 503,
    rates: { session_expired: 0, concurrent_limit: 0, server_error: 0, unavailable: 0 },
    seed: 1,
    token_ttl_requests: null,
    revoke_refresh_token: false,
    rotate_refresh_token: false,
  };
}

/** What a control request may change besides the settings themselves. */
export interface FaultActions {
  /** Set the org's current API usage counter. */
  api_usage?: number;
  /** Expire every access token issued so far (new ones work): forces the client to refresh. */
  expire_tokens?: boolean;
  /** Restart the fault dice from `seed`. */
  reseed: boolean;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isRate = (v: unknown): v is number => typeof v === "number" && v >= 0 && v <= 1;

/** Merges a partial update into the settings; keys not given keep their value. */
export function applyFaultUpdate(settings: FaultSettings, body: Record<string, unknown>): FaultActions {
  const actions: FaultActions = { reseed: false };
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case "daily_limit":
      case "fail_first":
        if (!isCount(value)) throw new ControlError(`${key} must be a non-negative integer`);
        settings[key] = value;
        break;
      case "fail_status":
        if (value !== 500 && value !== 503) throw new ControlError("fail_status must be 500 or 503");
        settings.fail_status = value;
        break;
      case "rates":
        if (typeof value !== "object" || value === null) throw new ControlError("rates must be an object");
        for (const [rate, p] of Object.entries(value)) {
          if (!(rate in settings.rates) || !isRate(p)) throw new ControlError(`rates.${rate} must be a known rate in [0, 1]`);
          settings.rates[rate as keyof FaultSettings["rates"]] = p;
        }
        break;
      case "seed":
        if (!isCount(value)) throw new ControlError("seed must be a non-negative integer");
        settings.seed = value;
        actions.reseed = true;
        break;
      case "token_ttl_requests":
        if (value !== null && !(isCount(value) && value > 0)) throw new ControlError("token_ttl_requests must be a positive integer or null");
        settings.token_ttl_requests = value;
        break;
      case "revoke_refresh_token":
      case "rotate_refresh_token":
        if (typeof value !== "boolean") throw new ControlError(`${key} must be a boolean`);
        settings[key] = value;
        break;
      case "api_usage":
        if (!isCount(value)) throw new ControlError("api_usage must be a non-negative integer");
        actions.api_usage = value;
        break;
      case "expire_tokens":
        if (typeof value !== "boolean") throw new ControlError("expire_tokens must be a boolean");
        actions.expire_tokens = value;
        break;
      default:
        throw new ControlError(`unknown fault setting ${key}`);
    }
  }
  return actions;
}
