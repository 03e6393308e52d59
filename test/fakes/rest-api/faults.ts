import { createRng } from "../shared/prng";
import { HttpError, rejectUnknownKeys } from "./http";

/**
 * Injectable failures of item requests. Probabilistic faults draw from a seeded PRNG (one draw per request), so a
 * run with the same seed and the same request sequence fails the same requests.
 */
export interface FaultConfig {
  rate_429: number;
  rate_500: number;
  /** Seconds, or "date" for an HTTP-date, on 429 and 503 answers; null sends no Retry-After. */
  retry_after: number | "date" | null;
  slow_ms: number;
  rate_reset: number;
  rate_malformed: number;
  /** Item requests answered normally before `fail_first` begins. */
  pass_first: number;
  fail_first: number;
  status_first: number;
  /** Injected error bodies quote the request's URL, as many APIs' do ("invalid request GET …?…"). */
  echo_url: boolean;
  seed: number;
}

export type Fault =
  | { kind: "status"; status: number }
  | { kind: "reset" }
  | { kind: "malformed" };

const NO_FAULTS: FaultConfig = {
  rate_429: 0,
  rate_500: 0,
  retry_after: null,
  slow_ms: 0,
  rate_reset: 0,
  rate_malformed: 0,
  pass_first: 0,
  fail_first: 0,
  status_first: 500,
  echo_url: false,
  seed: 1,
};

const MAX_SLOW_MS = 60_000;

export class Faults {
  config: FaultConfig = { ...NO_FAULTS };
  private failuresLeft = 0;
  private passesLeft = 0;
  private random = createRng(NO_FAULTS.seed).next;

  /** Replaces the whole configuration (absent fields fall back to "no fault") and restarts the PRNG and fail_first. */
  configure(body: Record<string, unknown>): FaultConfig {
    rejectUnknownKeys(body, Object.keys(NO_FAULTS), "faults");
    const config: FaultConfig = {
      rate_429: rate(body, "rate_429"),
      rate_500: rate(body, "rate_500"),
      retry_after: retryAfter(body.retry_after),
      slow_ms: integer(body, "slow_ms", 0, MAX_SLOW_MS, NO_FAULTS.slow_ms),
      rate_reset: rate(body, "rate_reset"),
      rate_malformed: rate(body, "rate_malformed"),
      pass_first: integer(body, "pass_first", 0, Number.MAX_SAFE_INTEGER, NO_FAULTS.pass_first),
      fail_first: integer(body, "fail_first", 0, Number.MAX_SAFE_INTEGER, NO_FAULTS.fail_first),
      status_first: integer(body, "status_first", 400, 599, NO_FAULTS.status_first),
      echo_url: flag(body, "echo_url"),
      seed: integer(body, "seed", 0, 0xffffffff, NO_FAULTS.seed),
    };
    if (config.rate_429 + config.rate_500 + config.rate_reset + config.rate_malformed > 1) {
      throw new HttpError(400, "the fault rates must add up to at most 1");
    }
    this.config = config;
    this.failuresLeft = config.fail_first;
    this.passesLeft = config.pass_first;
    this.random = createRng(config.seed).next;
    return config;
  }

  reset(): void {
    this.configure({});
  }

  /** Decides the fate of one item request: fail_first first, then one PRNG draw against the cumulative rates. */
  next(): Fault | undefined {
    if (this.passesLeft > 0) {
      this.passesLeft -= 1;
      return undefined;
    }
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      return { kind: "status", status: this.config.status_first };
    }
    const { rate_429, rate_500, rate_reset, rate_malformed } = this.config;
    if (rate_429 + rate_500 + rate_reset + rate_malformed === 0) return undefined;
    const draw = this.random();
    if (draw < rate_429) return { kind: "status", status: 429 };
    if (draw < rate_429 + rate_500) return { kind: "status", status: 500 };
    if (draw < rate_429 + rate_500 + rate_reset) return { kind: "reset" };
    if (draw < rate_429 + rate_500 + rate_reset + rate_malformed) return { kind: "malformed" };
    return undefined;
  }

  /** Retry-After for a failing status when configured; only 429 (RFC 6585 §4) and 503 (RFC 9110 §10.2.3) carry it. */
  retryAfterHeader(status: number): Record<string, string> {
    const { retry_after } = this.config;
    if ((status !== 429 && status !== 503) || retry_after === null) return {};
    if (retry_after !== "date") return { "retry-after": String(retry_after) };
    // An HTTP-date has whole seconds; one second past the next whole second is always at least 1 s ahead.
    const at = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    return { "retry-after": new Date(at).toUTCString() };
  }
}

function rate(body: Record<string, unknown>, key: string): number {
  const value = body[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new HttpError(400, `${key} must be a number from 0 to 1`);
  }
  return value;
}

function flag(body: Record<string, unknown>, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new HttpError(400, `${key} must be true or false`);
  return value;
}

function integer(body: Record<string, unknown>, key: string, min: number, max: number, fallback: number): number {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function retryAfter(value: unknown): FaultConfig["retry_after"] {
  if (value === undefined || value === null) return null;
  if (value === "date") return "date";
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new HttpError(400, 'retry_after must be a non-negative integer, "date" or null');
}
