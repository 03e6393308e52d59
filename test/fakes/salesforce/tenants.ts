/**
 * Tenancy: each tenant is one org with its own data, fault settings, API usage counter, tokens, query cursors
 * and request log. Tests pick a unique tenant name, so parallel tests never see each other's state.
 */
import { randomBytes } from "node:crypto";
import { type Dataset, DEFAULT_COUNTS, generateDataset } from "./dataset";
import { defaultFaults, type FaultSettings } from "./faults";
import { orgIdFor } from "./ids";
import { createRng, hashText, type Rng } from "../shared/prng";
import { floorToSecond } from "./records";
import type { JsonValue } from "./soql/values";

export const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface LogEntry {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased names, as Node delivers them. */
  headers: Record<string, string>;
  body: string | null;
  /** The `XX.X` of a `/services/data/vXX.X/...` path, when there is one. */
  api_version: string | null;
  status: number;
}

export interface TokenState {
  serial: number;
  uses: number;
  expired: boolean;
}

export interface Cursor {
  records: Array<Record<string, JsonValue>>;
  batchSize: number;
}

export interface Tenant {
  name: string;
  orgId: string;
  counts: Record<string, number>;
  /** When set (by seed), the token endpoint accepts only these connected-app credentials. */
  client: { id?: string; secret?: string };
  dataset: Dataset;
  mutationRng: Rng;
  faultRng: Rng;
  faults: FaultSettings;
  apiUsage: number;
  tokens: Map<string, TokenState>;
  tokenSerial: number;
  /** Bumped on every rotation; the valid refresh token is `refresh-<tenant>` then `refresh-<tenant>~<n>`. */
  refreshGeneration: number;
  cursors: Map<string, Cursor>;
  cursorSerial: number;
  log: LogEntry[];
}

/** Open cursors kept per tenant; the oldest is dropped beyond this (the real API also expires idle cursors). */
export const MAX_CURSORS = 200;

export function createTenant(name: string, counts: Record<string, number> = {}, client: Tenant["client"] = {}): Tenant {
  const merged = { ...DEFAULT_COUNTS, ...counts };
  const faults = defaultFaults();
  return {
    name,
    orgId: orgIdFor(hashText(name)),
    counts: merged,
    client,
    dataset: generateDataset(name, merged),
    mutationRng: createRng(`${name}:mutations`),
    faultRng: createRng(faults.seed),
    faults,
    apiUsage: 0,
    tokens: new Map(),
    tokenSerial: 0,
    refreshGeneration: 0,
    cursors: new Map(),
    cursorSerial: 0,
    log: [],
  };
}

/** "Now" for the tenant: wall-clock seconds, but never before the newest stamp already in its data. */
export function tenantNow(tenant: Tenant): number {
  return Math.max(floorToSecond(Date.now()), tenant.dataset.latestStamp);
}

export function currentRefreshToken(tenant: Tenant): string {
  return tenant.refreshGeneration === 0 ? `refresh-${tenant.name}` : `refresh-${tenant.name}~${tenant.refreshGeneration}`;
}

/** `refresh-<tenant>` (optionally `~<generation>` after rotation) → tenant name. */
export function tenantOfRefreshToken(token: string): string | undefined {
  const match = /^refresh-([A-Za-z0-9_-]{1,64})(?:~\d+)?$/.exec(token);
  return match?.[1];
}

/** Access tokens look like the real ones (`<orgId>!<opaque>`); the opaque part names the tenant. */
export function issueAccessToken(tenant: Tenant): string {
  tenant.tokenSerial += 1;
  const token = `${tenant.orgId}!${tenant.name}.${tenant.tokenSerial}.${randomBytes(12).toString("base64url")}`;
  tenant.tokens.set(token, { serial: tenant.tokenSerial, uses: 0, expired: false });
  return token;
}

export function tenantOfAccessToken(token: string): string | undefined {
  const opaque = token.split("!")[1];
  const name = opaque?.split(".")[0];
  return name && TENANT_NAME.test(name) ? name : undefined;
}

export interface TenantRegistry {
  /** Existing tenant, or a new one with the default dataset. */
  get(name: string): Tenant;
  find(name: string): Tenant | undefined;
  reset(name: string, counts: Record<string, number>, client: Tenant["client"]): Tenant;
  /** Requests no tenant could be attributed to (no or unreadable credentials, the versions list). */
  unattributed: LogEntry[];
}

export function createTenantRegistry(): TenantRegistry {
  const tenants = new Map<string, Tenant>();
  return {
    get(name) {
      let tenant = tenants.get(name);
      if (!tenant) {
        tenant = createTenant(name);
        tenants.set(name, tenant);
      }
      return tenant;
    },
    find: (name) => tenants.get(name),
    reset(name, counts, client) {
      const previous = tenants.get(name);
      const tenant = createTenant(name, counts, client);
      // Sessions survive a data reset, as they would survive data changes in a real org.
      if (previous) {
        tenant.tokens = previous.tokens;
        tenant.tokenSerial = previous.tokenSerial;
      }
      tenants.set(name, tenant);
      return tenant;
    },
    unattributed: [],
  };
}
