/**
 * Tenancy: each bearer token maps to a tenant id, and each tenant owns its dataset, logical clock,
 * fault settings and request log, so tests running in parallel never see each other's state.
 */
import { DATA_END, DEFAULT_COUNTS, generateDataset } from "./dataset";
import { createFaultState, type FaultState, type RateWindow } from "./faults";
import { createRng, type Rng } from "../shared/prng";
import type { Counts, Dataset } from "./records";

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  /** "v3", "v4", "2026-03"…, from the path; null for non-versioned paths such as the control API. */
  api_version: string | null;
  status: number;
}

export interface Tenant {
  id: string;
  counts: Counts;
  /** Generated on first use, so a tenant that only ever sees 401s costs nothing. */
  data: Dataset | null;
  /** Logical "now" in epoch ms: starts at the dataset's end and only moves forward with writes. */
  clock: number;
  mutationRng: Rng;
  mutations: number;
  faults: FaultState;
  window: RateWindow;
  log: LoggedRequest[];
}

/** Requests whose credentials name no tenant are logged here. */
export const ANONYMOUS_TENANT = "_anonymous";

function newTenant(id: string, counts: Counts): Tenant {
  return {
    id,
    counts,
    data: null,
    clock: DATA_END,
    mutationRng: createRng(`hubspot-mutations:${id}`),
    mutations: 0,
    faults: createFaultState(id),
    window: { recent: [], total: 0 },
    log: [],
  };
}

export interface TenantRegistry {
  get(id: string): Tenant;
  reset(id: string, counts?: Partial<Counts>): Tenant;
}

export function createTenantRegistry(): TenantRegistry {
  const tenants = new Map<string, Tenant>();
  return {
    get(id) {
      let tenant = tenants.get(id);
      if (!tenant) {
        tenant = newTenant(id, { ...DEFAULT_COUNTS });
        tenants.set(id, tenant);
      }
      return tenant;
    },
    reset(id, counts = {}) {
      const tenant = newTenant(id, { ...DEFAULT_COUNTS, ...counts });
      tenants.set(id, tenant);
      return tenant;
    },
  };
}

export function dataset(tenant: Tenant): Dataset {
  tenant.data ??= generateDataset(tenant.id, tenant.counts);
  return tenant.data;
}

/**
 * Moves the tenant's clock forward and returns the new instant. Everything one write touches shares it,
 * which is how bulk edits look in HubSpot: many records with the very same modification timestamp.
 */
export function tick(tenant: Tenant, stepMs: number): number {
  tenant.clock += stepMs;
  return tenant.clock;
}
