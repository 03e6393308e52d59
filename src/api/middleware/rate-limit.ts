import type { Context, Next } from "hono";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { LEASE_MS, type LeaseDecision, type UnspentSlots } from "../../lib/workspace-rate-limiter";
import type { AppEnv } from "../types";

// Slots asked for at once: a quarter of the 20/s window, so an isolate serving a workspace's steady trickle asks the
// object about once in five requests, and a lease left unspent holds little of the 100/min budget until handed back.
const LEASE_WANT = 5;
const MAX_LEASE_WANT = 20;
// An isolate's clock only moves on I/O, so it may lag the object's: stop spending a lease this long before it ends.
const LEASE_MARGIN_MS = 100;
// Workspaces whose allowance an isolate keeps; past this, those with nothing left to spend or hand back are dropped.
const MAX_ALLOWANCES = 1_000;

interface Lease {
  id: string;
  left: number;
  spendableUntil: number;
}

/** One isolate's allowance for one workspace: leases to spend, slots to hand back, the object's call in flight. */
interface Allowance {
  leases: Lease[];
  unspent: UnspentSlots[];
  asking: Promise<LeaseDecision> | null;
  waiting: number;
}

type Limiter = { lease(want: number, returned: UnspentSlots[]): Promise<LeaseDecision> };

/**
 * The workspace's limit as one isolate sees it: a request spends a slot of a lease the isolate holds, or asks the
 * workspace's object, which admits it and may lease a few more slots (src/lib/workspace-rate-limiter.ts logs them so
 * the limit holds whenever they are spent). A refusal is the object's, never counted; a lease's unspent slots go back
 * with the isolate's next call. One call for a workspace is in flight at a time: the isolate's other requests wait for its
 * lease (or its refusal) instead of asking too.
 */
export class RateAllowances {
  private readonly allowances = new Map<string, Allowance>();

  constructor(private readonly clock: () => number = Date.now) {}

  async admit(workspaceId: string, limiter: () => Limiter): Promise<LeaseDecision> {
    let allowance = this.allowances.get(workspaceId);
    if (!allowance) {
      this.prune();
      allowance = { leases: [], unspent: [], asking: null, waiting: 0 };
      this.allowances.set(workspaceId, allowance);
    }
    for (;;) {
      if (this.spend(allowance)) return { allowed: true, retryAfterSeconds: 0, granted: 1, lease: null };
      if (!allowance.asking) break;
      allowance.waiting++;
      const answered = await allowance.asking.catch(() => null);
      allowance.waiting--;
      // Arrived while the object refused the workspace: refused alike (a refusal is not counted either way).
      if (answered && !answered.allowed) return answered;
    }
    const returned = allowance.unspent.splice(0);
    const askedAt = this.clock();
    // Enough for the requests already waiting behind this one; the object grants at most half of its room.
    const asking = limiter().lease(Math.min(LEASE_WANT + allowance.waiting, MAX_LEASE_WANT), returned);
    allowance.asking = asking;
    try {
      const decision = await asking;
      if (decision.lease && decision.granted > 1) {
        allowance.leases.push({ id: decision.lease, left: decision.granted - 1, spendableUntil: askedAt + LEASE_MS - LEASE_MARGIN_MS });
      }
      return decision;
    } finally {
      if (allowance.asking === asking) allowance.asking = null;
    }
  }

  /** Spends one slot of a live lease; expired leases' unspent slots are kept to hand back. */
  private spend(allowance: Allowance): boolean {
    const now = this.clock();
    allowance.leases = allowance.leases.filter((lease) => {
      if (now < lease.spendableUntil) return true;
      if (lease.left > 0) allowance.unspent.push({ lease: lease.id, unspent: lease.left });
      return false;
    });
    const lease = allowance.leases.find((l) => l.left > 0);
    if (!lease) return false;
    lease.left--;
    return true;
  }

  /** Unspent slots of a dropped workspace are never handed back: the object counts them until they age out. */
  private prune(): void {
    if (this.allowances.size < MAX_ALLOWANCES) return;
    const now = this.clock();
    for (const [id, allowance] of this.allowances) {
      if (!allowance.asking && allowance.leases.every((l) => now >= l.spendableUntil)) this.allowances.delete(id);
    }
    if (this.allowances.size >= MAX_ALLOWANCES) this.allowances.clear();
  }
}

const isolateAllowances = new RateAllowances();

export async function enforceRateLimit(env: Env, workspaceId: string): Promise<void> {
  const decision = await isolateAllowances.admit(workspaceId, () => env.RATE_LIMITER.getByName(`workspace:${workspaceId}`));
  if (!decision.allowed) {
    throw new AppError("rate_limited", "rate limit exceeded: 20 requests per second and 100 per minute per workspace", undefined, {
      "Retry-After": String(decision.retryAfterSeconds),
    });
  }
}

const READS = new Set(["GET", "HEAD"]);

/**
 * Runs the rest of the request under the workspace's limit, decided by the isolate's allowance or, past it, by the
 * workspace's Durable Object (its exact sliding log). When the object is asked, a read (GET, HEAD: no side effect) does not wait for the decision before it starts: it runs
 * alongside the limiter's call and is answered only once that allowed it, so the call's round trip overlaps the read's
 * own work instead of adding to it. A refused read's own answer is dropped (its body cancelled, which stops an event
 * stream) for the 429. Every other method waits for the decision before it does anything. `allowed` runs once the
 * request is allowed (the key's last-used stamp).
 */
export async function underRateLimit(c: Context<AppEnv>, workspaceId: string, next: Next, allowed: () => void = () => {}): Promise<void> {
  const decision = enforceRateLimit(c.env, workspaceId);
  if (!READS.has(c.req.method)) {
    await decision;
    allowed();
    return next();
  }
  // Awaited below; handled here so a refusal that lands while the read runs is not an unhandled rejection meanwhile.
  decision.catch(() => undefined);
  try {
    await next();
  } finally {
    try {
      await decision;
    } catch (error) {
      await c.res.body?.cancel().catch(() => undefined);
      throw error;
    }
  }
  allowed();
}
