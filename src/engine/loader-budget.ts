/**
 * LoaderBudget: one Durable Object per loader holding the limits of the account it reads (DESIGN §5.4), shared by
 * every stream of every run of that loader: token buckets, concurrency slots and pauses, keyed by the connector
 * (`"shopify:cost"`, `"hubspot:requests"`, `"mailchimp:connections"`).
 *
 * It sits beside TokenKeeper instead of inside it: a budget is asked before every request (hot, and the object's
 * ~500 writes/s is the ceiling for one loader's request rate), while the keeper serialises its calls behind token
 * renewals that await a chunk's HTTP call; a `take` queued behind a slow renewal would stall every stream. Budget
 * state is also not a secret: it needs none of the keeper's sealing, and a lost bucket costs at most one burst.
 *
 * Grants are reservations: `take` subtracts the cost at once (the level may go below zero) and answers how long
 * the caller must wait before sending, so grants are first come, first served and the object never holds a call
 * open. The caller sleeps on its side (budget-client.ts). State lives in the object's SQLite storage, so an
 * evicted object does not forget a spent bucket and hand out a fresh burst.
 */
import { DurableObject } from "cloudflare:workers";
import type { BucketReport, TokenBucket } from "../../connectors/kit/contract";
import type { Env } from "../env";

export type TakeAnswer = { granted: true; waitMs: number } | { granted: false; retryAfterMs: number };
export type SlotAnswer = { granted: true } | { granted: false; retryAfterMs: number };

/** How soon a caller refused a slot asks again when no lease runs out sooner. */
const SLOT_POLL_MS = 250;

type BucketRow = { key: string; level: number; capacity: number; refill: number; at: number; reported: number };

export class LoaderBudget extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, level REAL NOT NULL, capacity REAL NOT NULL, refill REAL NOT NULL, at INTEGER NOT NULL,
        reported INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS slots (key TEXT NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, holder));
      CREATE TABLE IF NOT EXISTS pauses (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
    `);
  }

  /**
   * Reserves `cost` tokens of bucket `key`. The answer says how long to wait before the request may go (0: now);
   * a grant further than `maxWaitMs` away is refused without reserving, with the time it would have taken.
   */
  take(key: string, cost: number, shape: TokenBucket, maxWaitMs: number, now: number = Date.now()): TakeAnswer {
    const bucket = this.bucket(key, shape, now, false);
    // A cost above the capacity could never be granted; it takes the whole bucket instead of waiting forever.
    const wanted = Math.min(Math.max(0, cost), bucket.capacity);
    const shortfall = wanted - bucket.level;
    const refilledAt = shortfall <= 0 ? now : bucket.refill > 0 ? now + Math.ceil((shortfall / bucket.refill) * 1000) : Number.POSITIVE_INFINITY;
    const grantAt = Math.max(refilledAt, this.pausedUntil(key));
    if (grantAt - now > maxWaitMs) {
      return { granted: false, retryAfterMs: Number.isFinite(grantAt) ? grantAt - now : maxWaitMs };
    }
    this.ctx.storage.sql.exec("UPDATE buckets SET level = ?, at = ? WHERE key = ?", bucket.level - wanted, now, key);
    return { granted: true, waitMs: grantAt - now };
  }

  /** See BucketReport: `available` only lowers the level, `refund` raises it, capacity and refill reshape it. */
  observe(key: string, report: BucketReport, now: number = Date.now()): void {
    const existing = this.row(key);
    const shape = {
      capacity: report.capacity ?? existing?.capacity ?? report.available ?? 0,
      refillPerSecond: report.refillPerSecond ?? existing?.refill ?? 0,
    };
    const bucket = this.bucket(key, shape, now, report.capacity !== undefined || report.refillPerSecond !== undefined);
    let level = bucket.level;
    if (report.refund !== undefined && report.refund > 0) level = Math.min(bucket.capacity, level + report.refund);
    if (report.available !== undefined) level = Math.min(level, report.available);
    this.ctx.storage.sql.exec("UPDATE buckets SET level = ?, at = ? WHERE key = ?", level, now, key);
  }

  /**
   * One of `limit` slots of `key` for `holder` until `now + leaseMs`; the same holder asking again renews its slot.
   * Expired leases (a holder that died) are freed first.
   */
  acquire(key: string, limit: number, holder: string, leaseMs: number, now: number = Date.now()): SlotAnswer {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM slots WHERE key = ? AND expires_at <= ?", key, now);
    const held = sql.exec("SELECT 1 FROM slots WHERE key = ? AND holder = ?", key, holder).toArray().length > 0;
    if (held) {
      sql.exec("UPDATE slots SET expires_at = ? WHERE key = ? AND holder = ?", now + leaseMs, key, holder);
      return { granted: true };
    }
    const paused = this.pausedUntil(key);
    if (paused > now) return { granted: false, retryAfterMs: paused - now };
    const { n, soonest } = sql.exec<{ n: number; soonest: number | null }>("SELECT count(*) AS n, min(expires_at) AS soonest FROM slots WHERE key = ?", key).one();
    if (n < Math.max(1, limit)) {
      sql.exec("INSERT INTO slots (key, holder, expires_at) VALUES (?, ?, ?)", key, holder, now + leaseMs);
      return { granted: true };
    }
    return { granted: false, retryAfterMs: Math.max(1, Math.min(SLOT_POLL_MS, (soonest ?? now + SLOT_POLL_MS) - now)) };
  }

  /** Extends a held slot; false when it was lost (expired and taken, or released). */
  renew(key: string, holder: string, leaseMs: number, now: number = Date.now()): boolean {
    const cursor = this.ctx.storage.sql.exec("UPDATE slots SET expires_at = ? WHERE key = ? AND holder = ? AND expires_at > ?", now + leaseMs, key, holder, now);
    return cursor.rowsWritten > 0;
  }

  release(key: string, holder: string): void {
    this.ctx.storage.sql.exec("DELETE FROM slots WHERE key = ? AND holder = ?", key, holder);
  }

  /** A pause only ever extends: two streams told to back off for different times wait for the later one. */
  pause(key: string, seconds: number, now: number = Date.now()): number {
    const until = now + Math.max(0, seconds) * 1000;
    this.ctx.storage.sql.exec(
      "INSERT INTO pauses (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)",
      key,
      until,
    );
    return this.pausedUntil(key);
  }

  /** For tests and diagnostics. */
  snapshot(now: number = Date.now()) {
    const sql = this.ctx.storage.sql;
    return {
      buckets: sql.exec<BucketRow>("SELECT * FROM buckets").toArray(),
      slots: sql.exec<{ key: string; holder: string; expires_at: number }>("SELECT * FROM slots WHERE expires_at > ?", now).toArray(),
      pauses: sql.exec<{ key: string; until: number }>("SELECT * FROM pauses").toArray(),
    };
  }

  private row(key: string): BucketRow | undefined {
    return this.ctx.storage.sql.exec<BucketRow>("SELECT * FROM buckets WHERE key = ?", key).toArray()[0];
  }

  /**
   * The bucket refilled up to `now`, created full on first use. Its shape is the caller's assumed one until an API
   * report (`reported`) replaces it; an assumed shape never overrides a reported one.
   */
  private bucket(key: string, shape: TokenBucket, now: number, reported: boolean): { level: number; capacity: number; refill: number } {
    const row = this.row(key);
    const sql = this.ctx.storage.sql;
    if (!row) {
      sql.exec("INSERT INTO buckets (key, level, capacity, refill, at, reported) VALUES (?, ?, ?, ?, ?, ?)", key, shape.capacity, shape.capacity, shape.refillPerSecond, now, reported ? 1 : 0);
      return { level: shape.capacity, capacity: shape.capacity, refill: shape.refillPerSecond };
    }
    const elapsed = Math.max(0, now - row.at) / 1000;
    const reshape = reported || row.reported === 0;
    const capacity = reshape ? shape.capacity : row.capacity;
    const refill = reshape ? shape.refillPerSecond : row.refill;
    const level = Math.min(capacity, row.level + elapsed * row.refill);
    sql.exec("UPDATE buckets SET level = ?, capacity = ?, refill = ?, at = ?, reported = max(reported, ?) WHERE key = ?", level, capacity, refill, now, reported ? 1 : 0, key);
    return { level, capacity, refill };
  }

  private pausedUntil(key: string): number {
    return this.ctx.storage.sql.exec<{ until: number }>("SELECT until FROM pauses WHERE key = ?", key).toArray()[0]?.until ?? 0;
  }
}
