/**
 * Injectable failures, shaped exactly as the API sends them (https://docs.stripe.com/rate-limits,
 * https://docs.stripe.com/error-low-level): 429 `rate_limit` with `Stripe-Rate-Limited-Reason` and no Retry-After,
 * 429 `lock_timeout`, 5xx `api_error`, and 401 for a key that stopped working.
 */
import type { ObjectName } from "./catalog";
import { isObjectName } from "./catalog";
import type { ErrorFields } from "./errors";
import { ApiFailure, ControlError } from "./errors";
import type { Rng } from "../shared/prng";
import { createRng } from "../shared/prng";

export const FAULT_KINDS = ["rate_limit", "lock_timeout", "expired_key", "500", "502", "503", "504"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const RATE_LIMIT_REASONS = ["global-rate", "endpoint-rate", "global-concurrency", "endpoint-concurrency", "resource-specific"];

export interface FaultSettings {
  /** The next N API requests fail with `fail_with` (default `rate_limit`). */
  fail_first?: number;
  fail_with?: FaultKind;
  /** Exact outcomes for the next requests, in order; "ok" lets one through. Consumed before `fail_first`. */
  sequence?: (FaultKind | "ok")[];
  /** Per-request probabilities, drawn from a PRNG seeded by `seed` so a run is reproducible. */
  rates?: Partial<Record<FaultKind, number>>;
  seed?: number | string;
  rate_limited_reason?: string;
  /** `Stripe-Should-Retry` per kind: true/false sends the header, null omits it. Defaults below. */
  should_retry?: Partial<Record<FaultKind, boolean | null>>;
  /** Only requests whose path starts with one of these are subject to the faults above. */
  paths?: string[];
  /** Every request with this tenant's key answers 401 "Invalid API Key" until faults are reset. */
  revoke_key?: boolean;
  /** Objects a restricted key (`rk_test_…`) may not read: 403, as with a key lacking that permission. */
  forbid?: ObjectName[];
}

/**
 * Without the header the Node client retries 409 and 5xx but not 429, so a plain rate limit surfaces to the caller;
 * lock timeouts come with `Stripe-Should-Retry: true`, as the client's own comments describe.
 */
const DEFAULT_SHOULD_RETRY: Record<FaultKind, boolean | null> = {
  rate_limit: null,
  lock_timeout: true,
  expired_key: null,
  "500": null,
  "502": null,
  "503": null,
  "504": null,
};

const isKind = (value: unknown): value is FaultKind => (FAULT_KINDS as readonly string[]).includes(String(value));

function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new ControlError(`${name} must be a non-negative integer`);
  return value;
}

export function parseFaultSettings(body: unknown): FaultSettings {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ControlError("faults body must be an object");
  const input = body as Record<string, unknown>;
  const known = new Set(["fail_first", "fail_with", "sequence", "rates", "seed", "rate_limited_reason", "should_retry", "paths", "revoke_key", "forbid"]);
  for (const key of Object.keys(input)) if (!known.has(key)) throw new ControlError(`unknown fault setting ${key}`);
  const settings: FaultSettings = {};
  const failFirst = count(input.fail_first, "fail_first");
  if (failFirst !== undefined) settings.fail_first = failFirst;
  if (input.fail_with !== undefined) {
    if (!isKind(input.fail_with)) throw new ControlError(`fail_with must be one of ${FAULT_KINDS.join(", ")}`);
    settings.fail_with = input.fail_with;
  }
  if (input.sequence !== undefined) {
    if (!Array.isArray(input.sequence) || !input.sequence.every((item) => item === "ok" || isKind(item)))
      throw new ControlError(`sequence must list ok or ${FAULT_KINDS.join(", ")}`);
    settings.sequence = input.sequence as (FaultKind | "ok")[];
  }
  if (input.rates !== undefined) {
    const rates = input.rates as Record<string, unknown>;
    if (typeof rates !== "object" || rates === null) throw new ControlError("rates must be an object");
    settings.rates = {};
    for (const [kind, rate] of Object.entries(rates)) {
      if (!isKind(kind) || typeof rate !== "number" || rate < 0 || rate > 1)
        throw new ControlError("rates maps a fault kind to a probability in [0, 1]");
      settings.rates[kind] = rate;
    }
  }
  if (input.seed !== undefined) {
    if (typeof input.seed !== "number" && typeof input.seed !== "string") throw new ControlError("seed must be a number or string");
    settings.seed = input.seed;
  }
  if (input.rate_limited_reason !== undefined) {
    if (!RATE_LIMIT_REASONS.includes(String(input.rate_limited_reason)))
      throw new ControlError(`rate_limited_reason must be one of ${RATE_LIMIT_REASONS.join(", ")}`);
    settings.rate_limited_reason = String(input.rate_limited_reason);
  }
  if (input.should_retry !== undefined) {
    const overrides = input.should_retry as Record<string, unknown>;
    settings.should_retry = {};
    for (const [kind, value] of Object.entries(overrides ?? {})) {
      if (!isKind(kind) || (value !== null && typeof value !== "boolean"))
        throw new ControlError("should_retry maps a fault kind to true, false or null");
      settings.should_retry[kind] = value;
    }
  }
  if (input.paths !== undefined) {
    if (!Array.isArray(input.paths) || !input.paths.every((path) => typeof path === "string"))
      throw new ControlError("paths must be a list of path prefixes");
    settings.paths = input.paths as string[];
  }
  if (input.revoke_key !== undefined) settings.revoke_key = input.revoke_key === true;
  if (input.forbid !== undefined) {
    if (!Array.isArray(input.forbid) || !input.forbid.every((name) => typeof name === "string" && isObjectName(name)))
      throw new ControlError("forbid must list object names");
    settings.forbid = input.forbid as ObjectName[];
  }
  return settings;
}

/** Fault state for one tenant: settings plus how much of the scripted part has been used. */
export class FaultPlan {
  readonly settings: FaultSettings;
  private sequenceAt = 0;
  private failed = 0;
  private readonly rng: Rng;
  /** How many faults were served, by kind — lets a test check how many retries a client made. */
  readonly served: Partial<Record<FaultKind, number>> = {};

  constructor(settings: FaultSettings = {}) {
    this.settings = settings;
    this.rng = createRng(settings.seed ?? "faults");
  }

  private applies(path: string): boolean {
    const paths = this.settings.paths;
    return !paths || paths.some((prefix) => path.startsWith(prefix));
  }

  /** The fault for this request, if any; consumes scripted faults. */
  next(path: string): FaultKind | null {
    if (!this.applies(path)) return null;
    const kind = this.pick();
    if (kind) this.served[kind] = (this.served[kind] ?? 0) + 1;
    return kind;
  }

  private pick(): FaultKind | null {
    const sequence = this.settings.sequence ?? [];
    if (this.sequenceAt < sequence.length) {
      const step = sequence[this.sequenceAt++];
      return step === undefined || step === "ok" ? null : step;
    }
    if (this.failed < (this.settings.fail_first ?? 0)) {
      this.failed += 1;
      return this.settings.fail_with ?? "rate_limit";
    }
    const rates = this.settings.rates;
    if (!rates) return null;
    let roll = this.rng.next();
    for (const kind of FAULT_KINDS) {
      roll -= rates[kind] ?? 0;
      if (roll < 0) return kind;
    }
    return null;
  }

  shouldRetryHeader(kind: FaultKind): Record<string, string> {
    const override = this.settings.should_retry?.[kind];
    const value = override === undefined ? DEFAULT_SHOULD_RETRY[kind] : override;
    return value === null ? {} : { "Stripe-Should-Retry": String(value) };
  }

  failure(kind: FaultKind, redactedKey: string): ApiFailure {
    const headers = this.shouldRetryHeader(kind);
    if (kind === "rate_limit") {
      headers["Stripe-Rate-Limited-Reason"] = this.settings.rate_limited_reason ?? "global-rate";
      return new ApiFailure(
        429,
        {
          type: "invalid_request_error",
          code: "rate_limit",
          message: "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
        },
        headers,
      );
    }
    if (kind === "lock_timeout") {
      return new ApiFailure(
        429,
        {
          type: "invalid_request_error",
          code: "lock_timeout",
          message:
            "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate. See https://stripe.com/docs/rate-limits for more information.",
        },
        headers,
      );
    }
    if (kind === "expired_key") {
      // Keys rolled with an expiry answer "Expired API Key provided" once the grace period ends (verify wording).
      return new ApiFailure(401, { type: "invalid_request_error", message: `Expired API Key provided: ${redactedKey}` }, headers);
    }
    const fields: ErrorFields = {
      type: "api_error",
      message:
        "Sorry, something went wrong. We've already been notified of the problem. If you need any help, you can contact support at https://support.stripe.com/.",
    };
    return new ApiFailure(Number(kind), fields, headers);
  }
}
