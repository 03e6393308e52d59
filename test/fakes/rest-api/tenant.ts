import type { AuthRule } from "./auth";
import { Dataset, DEFAULT_ITEM_COUNT } from "./dataset";
import { Faults } from "./faults";

export interface LoggedRequest {
  method: string;
  /** The path without the query string, tenant prefix included. */
  path: string;
  /** A repeated parameter keeps its last value. */
  query: Record<string, string>;
  /** Names lowercased. */
  headers: Record<string, string>;
}

/** Keeps a long benchmark from growing the log without bound; the newest entries are the ones tests look at. */
const MAX_LOGGED_REQUESTS = 50_000;

/** Everything one tenant owns, so that test files running in parallel never see each other's data or faults. */
export class Tenant {
  dataset = new Dataset(DEFAULT_ITEM_COUNT);
  auth: AuthRule = { type: "none" };
  readonly faults = new Faults();
  private log: LoggedRequest[] = [];

  seed(count: number, auth: AuthRule): void {
    this.dataset = new Dataset(count);
    this.auth = auth;
    this.faults.reset();
    this.clearRequests();
  }

  record(request: LoggedRequest): void {
    this.log.push(request);
    if (this.log.length > MAX_LOGGED_REQUESTS) this.log.splice(0, this.log.length - MAX_LOGGED_REQUESTS);
  }

  requests(): LoggedRequest[] {
    return this.log;
  }

  clearRequests(): number {
    const cleared = this.log.length;
    this.log = [];
    return cleared;
  }
}

export class Tenants {
  private byName = new Map<string, Tenant>();

  /** Tenants come into being on first use, with the default dataset. */
  get(name: string): Tenant {
    let tenant = this.byName.get(name);
    if (!tenant) {
      tenant = new Tenant();
      this.byName.set(name, tenant);
    }
    return tenant;
  }
}
