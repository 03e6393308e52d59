/**
 * Per-workspace limits of the API (research/signalsmith.md §1.4): 100 requests a minute and 20 a second.
 * The Workers rate-limit binding only counts 10 s or 60 s periods and is approximate, so one Durable Object per
 * workspace keeps an exact sliding log in its own SQLite storage. Rejected requests are not counted.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export const LIMITS = [
  { windowMs: 1_000, max: 20 },
  { windowMs: 60_000, max: 100 },
] as const;

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export class WorkspaceRateLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)");
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS hits_at ON hits (at)");
  }

  hit(now: number = Date.now()): RateDecision {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE at <= ?", now - 60_000);
    let retryAfterMs = 0;
    for (const limit of LIMITS) {
      const row = sql
        .exec<{ n: number; oldest: number | null }>(
          "SELECT count(*) AS n, min(at) AS oldest FROM (SELECT at FROM hits WHERE at > ? ORDER BY at DESC LIMIT ?)",
          now - limit.windowMs,
          limit.max,
        )
        .one();
      if (row.n >= limit.max && row.oldest !== null) {
        retryAfterMs = Math.max(retryAfterMs, row.oldest + limit.windowMs - now);
      }
    }
    if (retryAfterMs > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    sql.exec("INSERT INTO hits (at) VALUES (?)", now);
    return { allowed: true, retryAfterSeconds: 0 };
  }
}
