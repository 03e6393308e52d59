/**
 * Tenancy: the API key names the tenant, and each tenant is a sandbox of its own — a platform account, any
 * connected accounts selected with `Stripe-Account`, fault settings, a clock and a request log — so tests running
 * in parallel never see each other's data.
 */
import { OBJECT_NAMES } from "./catalog";
import { Dataset } from "./dataset";
import { FaultPlan } from "./faults";
import { createRng } from "../shared/prng";
import type { Counts, SeedReport } from "./seed";
import { CONNECTED_DIVISOR, DEFAULT_COUNTS, seedDataset } from "./seed";

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Lowercased names, as received. */
  headers: Record<string, string>;
  body: string;
  /** Filled in once the fake has answered. */
  status: number;
  request_id: string;
}

/** A stable `acct_…` id for a tenant's platform account. */
const accountIdFor = (tenant: string) => `acct_1${createRng(`account:${tenant}`).chars(15)}`;

function withDefaults(counts: Counts | undefined, divisor: number): Counts {
  const out: Counts = {};
  for (const name of OBJECT_NAMES) out[name] = counts?.[name] ?? Math.ceil(DEFAULT_COUNTS[name] / divisor);
  return out;
}

export interface SeedOptions {
  counts?: Counts;
  /** A connected account to (re)seed instead of the whole tenant. */
  account?: string;
  /** Freezes the tenant's clock at this second (unix), so timestamps are reproducible too; otherwise it is the wall clock. */
  now?: number;
}

export class Tenant {
  readonly id: string;
  readonly accountId: string;
  /** A frozen clock (`seed {now}`), or null for the wall clock; `clock {advance_seconds}` moves either forward. */
  private frozenAt: number | null = null;
  private clockOffset = 0;
  platform: Dataset;
  readonly connected = new Map<string, Dataset>();
  faults = new FaultPlan();
  log: LoggedRequest[] = [];
  lastSeed: SeedReport;

  constructor(id: string, options: SeedOptions = {}) {
    this.id = id;
    this.accountId = accountIdFor(id);
    this.setClock(options.now);
    const { dataset, report } = this.build(undefined, options.counts);
    this.platform = dataset;
    this.lastSeed = report;
  }

  private setClock(now: number | undefined) {
    this.frozenAt = now ?? null;
    this.clockOffset = 0;
  }

  advanceClock(seconds: number) {
    if (this.frozenAt === null) this.clockOffset += seconds;
    else this.frozenAt += seconds;
  }

  now(): number {
    return this.frozenAt ?? Math.floor(Date.now() / 1000) + this.clockOffset;
  }

  private build(account: string | undefined, counts: Counts | undefined) {
    const dataset = new Dataset({
      seed: account ? `${this.id}/${account}` : this.id,
      accountId: account ?? this.accountId,
      connected: account !== undefined,
      clock: () => this.now(),
    });
    const report = seedDataset(dataset, withDefaults(counts, account ? CONNECTED_DIVISOR : 1));
    return { dataset, report };
  }

  /** The platform dataset, or a connected account's (created with default data on first use). */
  dataset(account: string | undefined): Dataset {
    if (account === undefined || account === this.accountId) return this.platform;
    let dataset = this.connected.get(account);
    if (!dataset) {
      dataset = this.build(account, undefined).dataset;
      this.connected.set(account, dataset);
    }
    return dataset;
  }

  /** Without an account: a fresh tenant (data, connected accounts, faults, log, clock). With one: only that account's data. */
  reseed(options: SeedOptions): SeedReport {
    if (options.account !== undefined && options.account !== this.accountId) {
      const { dataset, report } = this.build(options.account, options.counts);
      this.connected.set(options.account, dataset);
      return report;
    }
    this.setClock(options.now);
    this.connected.clear();
    this.faults = new FaultPlan();
    this.log = [];
    const { dataset, report } = this.build(undefined, options.counts);
    this.platform = dataset;
    this.lastSeed = report;
    return report;
  }
}

export class TenantRegistry {
  private readonly tenants = new Map<string, Tenant>();

  /** Tenants come into being on first use, seeded with the default dataset. */
  get(id: string): Tenant {
    let tenant = this.tenants.get(id);
    if (!tenant) {
      tenant = new Tenant(id);
      this.tenants.set(id, tenant);
    }
    return tenant;
  }

  /** Seeds a tenant, creating it straight from the options when it does not exist yet (one generation, not two). */
  seed(id: string, options: SeedOptions): SeedReport {
    const existing = this.tenants.get(id);
    if (existing) return existing.reseed(options);
    const tenant = new Tenant(id, options.account === undefined ? options : {});
    this.tenants.set(id, tenant);
    return options.account === undefined ? tenant.lastSeed : tenant.reseed(options);
  }

  drop(id: string): boolean {
    return this.tenants.delete(id);
  }
}
