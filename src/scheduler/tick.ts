/**
 * The cron tick (`* * * * *`). Due loaders are claimed with a conditional UPDATE on next_run_at, so overlapping
 * or duplicated ticks never start one loader twice; next_run_at moves to the first occurrence after this tick,
 * so missed ticks run once, not once per miss (DESIGN §3). A loader with a live run is skipped by the run's
 * unique index. Each run's start goes to the queue (start-messages.ts); runs left pending (a start lost or failed)
 * are sent again; start is idempotent.
 */
import { and, asc, eq, isNotNull, lte, lt, sql } from "drizzle-orm";
import { d1Statement } from "../db/client";
import { loaderRuns, loaders } from "../db/schema";
import type { Env } from "../env";
import { log } from "../lib/log";
import { isoSeconds } from "../lib/time";
import { serviceContext } from "../services/context";
import { createScheduledRuns } from "../services/runs/trigger-run";
import { nextRunAt } from "../services/loaders/schedule";
import { deliverDueWebhooks } from "../services/webhooks/deliver";
import type { RunRef } from "../engine/messages";
import { sendStartMessages } from "./start-messages";

// One claim round: due rows read at once, claimed by one D1 batch of conditional UPDATEs (one round trip).
const CLAIM_BATCH = 100;
// A Worker invocation may make 10,000 subrequests (Workers Paid) and a D1 batch's statements count as queries: 5,000
// runs are 50 claim rounds, 50 insert batches and 50 queue sends, so 10,000 due loaders start within two ticks.
const MAX_STARTS_PER_TICK = 5_000;
const STUCK_BATCH = 100;
const STUCK_PENDING_MS = 2 * 60_000;

export interface TickResult {
  started: string[];
  skipped: string[];
  redispatched: string[];
}

type DueLoader = { id: string; workspaceId: string; schedule: string | null; nextRunAt: string | null };

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

/** A send that fails leaves its runs pending: the stuck-run pass of a later tick sends them again. */
async function handOff(env: Env, refs: RunRef[]): Promise<void> {
  try {
    await sendStartMessages(env, refs);
  } catch (error) {
    log("error", "run starts not handed to the queue; the stuck-run pass sends them again", { runs: refs.length, error: String(error) });
  }
}

export async function runSchedulerTick(env: Env, scheduledTime: number): Promise<TickResult> {
  const ctx = serviceContext(env, { kind: "system", reason: "schedule" });
  const tickAt = new Date(scheduledTime);
  const now = isoSeconds(tickAt);
  const result: TickResult = { started: [], skipped: [], redispatched: [] };

  // Each round's runs are handed to the queue as soon as they are inserted, so their starts (in the queue's
  // consumers) begin while the next rounds are claimed, and a tick cut short has already handed off what it created.
  const began = Date.now();
  for (;;) {
    const room = MAX_STARTS_PER_TICK - result.started.length - result.skipped.length;
    if (room <= 0) break;
    const { read, claimed } = await claimDue(ctx, tickAt, now, Math.min(CLAIM_BATCH, room));
    if (read === 0) break;
    const { created, skipped } = await createScheduledRuns(ctx, claimed);
    result.skipped.push(...skipped);
    result.started.push(...created.map((run) => run.loaderId));
    await handOff(env, created);
  }
  const claimedMs = Date.now() - began;

  // The literal `status = 'pending'` (not a bound value) lets SQLite use the partial index loader_runs_pending_created; oldest
  // first, in the index's own order, so a backlog larger than one pass is worked through from its oldest run.
  const stuck = await ctx.db
    .select({ id: loaderRuns.id, loaderId: loaderRuns.loaderId, workspaceId: loaderRuns.workspaceId })
    .from(loaderRuns)
    .where(and(sql`${loaderRuns.status} = 'pending'`, lt(loaderRuns.createdAt, isoSeconds(new Date(scheduledTime - STUCK_PENDING_MS)))))
    .orderBy(asc(loaderRuns.createdAt))
    .limit(STUCK_BATCH);
  await handOff(env, stuck.map((run) => ({ runId: run.id, loaderId: run.loaderId, workspaceId: run.workspaceId })));
  result.redispatched.push(...stuck.map((run) => run.id));
  // Webhook deliveries due (first attempts that failed, retries): the outbox is in D1, so a restart loses none.
  const webhooks = await deliverDueWebhooks(ctx, tickAt);
  if (result.started.length + result.skipped.length + result.redispatched.length > 0) log("info", "scheduler tick", { started: result.started.length, skipped: result.skipped.length, redispatched: result.redispatched.length, claimed_ms: claimedMs, webhooks });
  return result;
}
