/**
 * Tenancy of the Klaviyo fake: the private key `pk_<tenant>` names an account; OAuth installations of the tenant
 * (registered through the control API) get their own rate-limit quota, as Klaviyo gives each installed app one.
 * Each tenant has its data, fault settings, rate windows, key scopes and request log.
 */
import { randomBytes } from "node:crypto";
import { Account, type Counts } from "./data";
import type { Tier } from "./api";
import { ApiError, ControlError } from "./errors";

export interface LoggedRequest {
  /** Wall-clock milliseconds when the request arrived: tests compare retries with Retry-After by it. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  status: number;
  /** The quota the request counted against: `private` or the OAuth client id. */
  quota?: string;
  retry_after?: number;
}

export const FAULT_KINDS = ["throttled", "500", "502", "503", "504"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSettings {
  sequence?: (FaultKind | "ok")[];
  fail_first?: number;
  fail_with?: FaultKind;
  /** Retry-After of injected 429s (default 1). */
  retry_after?: number;
  /** Only requests whose path starts with one of these are subject to the faults above. */
  paths?: string[];
  /** Every request with the tenant's credentials answers 401 until faults are reset. */
  revoke?: boolean;
  /** Holds each API response this long (ms), to test cancellation and concurrency. */
  slow_ms?: number;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  refreshTokens: Set<string>;
  expiresIn: number;
}

export class Tenant {
  account: Account;
  faults: FaultSettings = {};
  private sequenceAt = 0;
  private failed = 0;
  served: Partial<Record<FaultKind, number>> = {};
  log: LoggedRequest[] = [];
  /** Endpoint name → tier, replacing the documented one (tests shrink tiers to reach 429s with small data). */
  limits = new Map<string, Tier>();
  /** quota|endpoint|window → count. */
  private windows = new Map<string, number>();
  /** A key restricted to these scopes (absent: a full-access private key). */
  scopes: string[] | null = null;
  oauth = new Map<string, OAuthClient>();
  /** Access token → { client, expires (ms) }. */
  tokens = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(
    readonly id: string,
    counts: Counts = {},
    now?: number,
  ) {
    this.account = new Account(id, counts, now);
  }

  reseed(counts: Counts, now: number | undefined) {
    this.account = new Account(this.id, counts, now);
    this.faults = {};
    this.sequenceAt = 0;
    this.failed = 0;
    this.served = {};
    this.log = [];
    this.limits.clear();
    this.windows.clear();
    this.scopes = null;
  }

  setFaults(settings: FaultSettings) {
    this.faults = settings;
    this.sequenceAt = 0;
    this.failed = 0;
    this.served = {};
  }

  nextFault(path: string): FaultKind | null {
    const paths = this.faults.paths;
    if (paths && !paths.some((p) => path.startsWith(p))) return null;
    const sequence = this.faults.sequence ?? [];
    let kind: FaultKind | null = null;
    if (this.sequenceAt < sequence.length) {
      const step = sequence[this.sequenceAt++]!;
      kind = step === "ok" ? null : step;
    } else if (this.failed < (this.faults.fail_first ?? 0)) {
      this.failed++;
      kind = this.faults.fail_with ?? "throttled";
    }
    if (kind) this.served[kind] = (this.served[kind] ?? 0) + 1;
    return kind;
  }

  /**
   * Counts a request against the burst (1 s) and steady (1 min) fixed windows of its endpoint and quota, or
   * throws the 429 the API answers, with Retry-After = whole seconds until the exhausted window ends.
   * Returns the steady window's headers for a request that passes.
   */
  admit(quota: string, endpoint: string, documented: Tier, nowMs: number): Record<string, string> {
    const tier = this.limits.get(endpoint) ?? documented;
    const burstWindow = Math.floor(nowMs / 1000);
    const steadyWindow = Math.floor(nowMs / 60_000);
    const burstKey = `${quota}|${endpoint}|b${burstWindow}`;
    const steadyKey = `${quota}|${endpoint}|s${steadyWindow}`;
    const burst = this.windows.get(burstKey) ?? 0;
    const steady = this.windows.get(steadyKey) ?? 0;
    if (steady >= tier.steady) throw ApiError.throttled(Math.ceil(((steadyWindow + 1) * 60_000 - nowMs) / 1000));
    if (burst >= tier.burst) throw ApiError.throttled(Math.ceil(((burstWindow + 1) * 1000 - nowMs) / 1000));
    this.windows.set(burstKey, burst + 1);
    this.windows.set(steadyKey, steady + 1);
    return {
      "RateLimit-Limit": String(tier.steady),
      "RateLimit-Remaining": String(tier.steady - steady - 1),
      "RateLimit-Reset": String(Math.ceil(((steadyWindow + 1) * 60_000 - nowMs) / 1000)),
    };
  }

  registerOAuth(body: Record<string, unknown>) {
    const clientId = String(body.client_id ?? "");
    const clientSecret = String(body.client_secret ?? "");
    const refreshToken = String(body.refresh_token ?? "");
    if (!clientId || !clientSecret || !refreshToken) throw new ControlError("oauth needs client_id, client_secret and refresh_token");
    const existing = this.oauth.get(clientId);
    const client = existing ?? { clientId, clientSecret, refreshTokens: new Set<string>(), expiresIn: 3600 };
    client.refreshTokens.add(refreshToken);
    if (typeof body.expires_in === "number") client.expiresIn = body.expires_in;
    this.oauth.set(clientId, client);
    return { client_id: clientId };
  }

  issueToken(clientId: string, nowMs: number, expiresIn: number): string {
    const token = `kat_${this.id}_${randomBytes(9).toString("base64url")}`;
    this.tokens.set(token, { clientId, expiresAt: nowMs + expiresIn * 1000 });
    return token;
  }
}

export class TenantRegistry {
  private readonly tenants = new Map<string, Tenant>();

  get(id: string): Tenant {
    let tenant = this.tenants.get(id);
    if (!tenant) {
      tenant = new Tenant(id);
      this.tenants.set(id, tenant);
    }
    return tenant;
  }

  seed(id: string, counts: Counts, now: number | undefined): Tenant {
    const existing = this.tenants.get(id);
    if (existing) {
      existing.reseed(counts, now);
      return existing;
    }
    const tenant = new Tenant(id, counts, now);
    this.tenants.set(id, tenant);
    return tenant;
  }

  drop(id: string) {
    return this.tenants.delete(id);
  }

  /** The tenant and OAuth client an access token belongs to. */
  byToken(token: string): { tenant: Tenant; clientId: string; expiresAt: number } | undefined {
    const match = /^kat_([A-Za-z0-9]+)_/.exec(token);
    const tenant = match ? this.tenants.get(match[1]!) : undefined;
    const entry = tenant?.tokens.get(token);
    return tenant && entry ? { tenant, ...entry } : undefined;
  }

  /** The tenant holding an OAuth client with this id and secret. */
  byClient(clientId: string): { tenant: Tenant; client: OAuthClient } | undefined {
    for (const tenant of this.tenants.values()) {
      const client = tenant.oauth.get(clientId);
      if (client) return { tenant, client };
    }
    return undefined;
  }
}
