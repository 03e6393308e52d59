/**
 * The cron tick (`* * * * *`). Due loaders are claimed with a conditional UPDATE on next_run_at, so overlapping
 * or duplicated ticks never start one loader twice; next_run_at moves to the first occurrence after this tick,
 * so missed ticks run once, not once per miss (DESIGN §3). A loader with a live run is skipped by the run's
 * unique index. Runs left pending (a dispatch that failed) are dispatched again; start is idempotent.
 */
import { and, asc, eq, isNotNull, lte, lt, sql } from "drizzle-orm";
import { d1Statement } from "../db/client";
import { loaderRuns, loaders } from "../db/schema";
import { dispatchRun } from "../engine/dispatch";
import type { Env } from "../env";
import { log } from "../lib/log";
import { isoSeconds } from "../lib/time";
import { serviceContext } from "../services/context";
import { createScheduledRuns } from "../services/runs/trigger-run";
import type { RunRef } from "../engine/messages";
import { nextRunAt } from "../services/loaders/schedule";
import { deliverDueWebhooks } from "../services/webhooks/deliver";

// One claim round: due rows read at once, claimed by one D1 batch of conditional UPDATEs (one round trip).
const CLAIM_BATCH = 100;
// A Worker invocation may make 10,000 subrequests (Workers Paid; each Durable Object call and D1 call is one): 5,000
// starts, ~150 D1 calls and the stuck-run and webhook work stay under it, so 10,000 due loaders start within two ticks.
const MAX_STARTS_PER_TICK = 5_000;
// Durable Object starts in flight at once: each start reads the run's plan from D1 and sends its queue batch, so
// this many runs start in about the time of one.
const START_CONCURRENCY = 50;
const STUCK_BATCH = 100;
const STUCK_PENDING_MS = 2 * 60_000;

export interface TickResult {
  started: string[];
  skipped: string[];
  redispatched: string[];
}

type DueLoader = { id: string; workspaceId: string; schedule: string | null; nextRunAt: string | null };

/**
 * Starts Durable Objects with at most `limit` in flight, in the order given. A start that fails leaves its run
 * pending; the stuck-run pass of a later tick dispatches it again (start is idempotent).
 */
function startPool(env: Env, limit: number) {
  const waiting: RunRef[] = [];
  let active = 0;
  let done: () => void = () => {};
  let idle = Promise.resolve();
  const pump = () => {
    while (active < limit && waiting.length > 0) {
      const ref = waiting.shift()!;
      active++;
      dispatchRun(env, ref)
        .catch((error) => log("error", "scheduled run failed to start", { run_id: ref.runId, loader_id: ref.loaderId, error: String(error) }))
        .finally(() => {
          active--;
          if (active === 0 && waiting.length === 0) done();
          else pump();
        });
    }
  };
  return {
    add(refs: RunRef[]) {
      if (refs.length === 0) return;
      if (active === 0 && waiting.length === 0) idle = new Promise<void>((resolve) => (done = resolve));
      waiting.push(...refs);
      pump();
    },
    drained: () => idle,
  };
}

/** One claim round: the due loaders read, then each claimed by moving next_run_at on only if nobody else has. */
async function claimDue(ctx: ReturnType<typeof serviceContext>, tickAt: Date, now: string, limit: number) {
  const due: DueLoader[] = await ctx.db
    .select({ id: loaders.id, workspaceId: loaders.workspaceId, schedule: loaders.schedule, nextRunAt: loaders.nextRunAt })
    .from(loaders)
    .where(and(eq(loaders.status, "active"), isNotNull(loaders.schedule), lte(loaders.nextRunAt, now)))
    .orderBy(asc(loaders.nextRunAt))
    .limit(limit);
  const claims = due.flatMap((loader) => {
    let next: string;
    try {
      next = nextRunAt(loader.schedule, tickAt)!;
    } catch (error) {
      log("error", "loader schedule unreadable", { loader_id: loader.id, error: String(error) });
      return [];
    }
    return [
      d1Statement(
        ctx.env.DB,
        sql`UPDATE ${loaders} SET next_run_at = ${next} WHERE id = ${loader.id} AND status = 'active' AND next_run_at = ${loader.nextRunAt} RETURNING id, workspace_id`,
      ),
    ];
  });
  const results = claims.length > 0 ? await ctx.env.DB.batch<{ id: string; workspace_id: string }>(claims) : [];
  const claimed = results.flatMap((r) => r.results.map((row) => ({ id: row.id, workspaceId: row.workspace_id })));
  return { read: due.length, claimed };
}

export async function runSchedulerTick(env: Env, scheduledTime: number): Promise<TickResult> {
  const ctx = serviceContext(env, { kind: "system", reason: "schedule" });
  const tickAt = new Date(scheduledTime);
  const now = isoSeconds(tickAt);
  const result: TickResult = { started: [], skipped: [], redispatched: [] };

  // Claims and run inserts go round by round while the Durable Objects of earlier rounds start.
  const pool = startPool(env, START_CONCURRENCY);
  const began = Date.now();
  for (;;) {
    const room = MAX_STARTS_PER_TICK - result.started.length - result.skipped.length;
    if (room <= 0) break;
    const { read, claimed } = await claimDue(ctx, tickAt, now, Math.min(CLAIM_BATCH, room));
    if (read === 0) break;
    const { created, skipped } = await createScheduledRuns(ctx, claimed);
    result.skipped.push(...skipped);
    result.started.push(...created.map((run) => run.loaderId));
    pool.add(created);
  }
  const claimedMs = Date.now() - began;

  // The literal `status = 'pending'` (not a bound value) lets SQLite use the partial index loader_runs_pending_created.
  const stuck = await ctx.db
    .select({ id: loaderRuns.id, loaderId: loaderRuns.loaderId, workspaceId: loaderRuns.workspaceId })
    .from(loaderRuns)
    .where(and(sql`${loaderRuns.status} = 'pending'`, lt(loaderRuns.createdAt, isoSeconds(new Date(scheduledTime - STUCK_PENDING_MS)))))
    .limit(STUCK_BATCH);
  pool.add(stuck.map((run) => ({ runId: run.id, loaderId: run.loaderId, workspaceId: run.workspaceId })));
  result.redispatched.push(...stuck.map((run) => run.id));
  await pool.drained();
  const startedMs = Date.now() - began;
  // Webhook deliveries due (first attempts that failed, retries): the outbox is in D1, so a restart loses none.
  const webhooks = await deliverDueWebhooks(ctx, tickAt);
  if (result.started.length + result.skipped.length + result.redispatched.length > 0) log("info", "scheduler tick", { started: result.started.length, skipped: result.skipped.length, redispatched: result.redispatched.length, claimed_ms: claimedMs, started_ms: startedMs, webhooks });
  return result;
}
