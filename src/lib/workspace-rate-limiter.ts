/**
 * Per-workspace limits of the API (research/signalsmith.md §1.4): 100 requests a minute and 20 a second.
 * The Workers rate-limit binding only counts 10 s or 60 s periods and is approximate, so one Durable Object per
 * workspace keeps an exact sliding log in its own SQLite storage. Rejected requests are not counted.
 *
 * An isolate may lease a few slots at once (an allowance it spends without asking again, src/api/middleware/rate-limit.ts).
 * A leased slot may be spent at any moment until the lease expires, so it is logged at the lease's expiry, the latest
 * moment it can be spent: every window that could hold the request then counts the slot, and a slot is counted by
 * every window check made while it could still fall in that window. So the log never admits more than a window's
 * limit of requests, whenever within their leases they are spent. Slots an isolate hands back unspent are deleted:
 * they never happened.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export const LIMITS = [
  { windowMs: 1_000, max: 20 },
  { windowMs: 60_000, max: 100 },
] as const;

/** How long a lease's slots may be spent: one second window, so a leased slot holds the 20/s budget 2 s at most. */
export const LEASE_MS = 1_000;

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface LeaseDecision extends RateDecision {
  /** Slots granted, the asking request's own included (0 when refused). */
  granted: number;
  /** Names the lease's slots when more than the asking request's own were granted, for handing unspent ones back. */
  lease: string | null;
}

/** Slots of an expired or displaced lease its isolate did not spend. */
export interface UnspentSlots {
  lease: string;
  unspent: number;
}

export class WorkspaceRateLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL, lease TEXT)");
    // Objects made before leases have the log without the lease column.
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('hits')").toArray();
    if (!columns.some((c) => c.name === "lease")) sql.exec("ALTER TABLE hits ADD COLUMN lease TEXT");
    sql.exec("CREATE INDEX IF NOT EXISTS hits_at ON hits (at)");
  }

  hit(now: number = Date.now()): RateDecision {
    const { allowed, retryAfterSeconds } = this.lease(1, [], now);
    return { allowed, retryAfterSeconds };
  }

  /**
   * Admits the asking request and up to `want - 1` more for the asker to spend within LEASE_MS, never more than half
   * of what the fuller window still has room for (other isolates of the workspace keep the other half). `returned`
   * hands back the unspent slots of the asker's earlier leases before the count is taken.
   */
  lease(want: number, returned: UnspentSlots[] = [], now: number = Date.now()): LeaseDecision {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE at <= ?", now - 60_000);
    for (const slots of returned) {
      if (slots.unspent > 0) sql.exec("DELETE FROM hits WHERE rowid IN (SELECT rowid FROM hits WHERE lease = ? LIMIT ?)", slots.lease, Math.floor(slots.unspent));
    }
    let room = Number.POSITIVE_INFINITY;
    let retryAfterMs = 0;
    for (const limit of LIMITS) {
      const counted = sql.exec<{ n: number }>("SELECT count(*) AS n FROM hits WHERE at > ?", now - limit.windowMs).one().n;
      room = Math.min(room, limit.max - counted);
      if (counted >= limit.max) {
        // The window has room again once the (counted - max + 1) oldest of its slots have left it.
        const freeing = sql.exec<{ at: number }>("SELECT at FROM hits WHERE at > ? ORDER BY at LIMIT 1 OFFSET ?", now - limit.windowMs, counted - limit.max).one().at;
        retryAfterMs = Math.max(retryAfterMs, freeing + limit.windowMs - now, 1);
      }
    }
    if (room <= 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), granted: 0, lease: null };
    const granted = Math.max(1, Math.min(Math.floor(want), Math.ceil(room / 2)));
    if (granted === 1) {
      sql.exec("INSERT INTO hits (at) VALUES (?)", now);
      return { allowed: true, retryAfterSeconds: 0, granted, lease: null };
    }
    const lease = crypto.randomUUID();
    for (let i = 0; i < granted; i++) sql.exec("INSERT INTO hits (at, lease) VALUES (?, ?)", now + LEASE_MS, lease);
    return { allowed: true, retryAfterSeconds: 0, granted, lease };
  }
}
