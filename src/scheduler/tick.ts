/**
 * The cron tick (`* * * * *`). Due loaders are claimed with a conditional UPDATE on next_run_at, so overlapping
 * or duplicated ticks never start one loader twice; next_run_at moves to the first occurrence after this tick,
 * so missed ticks run once, not once per miss (DESIGN §3). A loader with a live run is skipped by the run's
 * unique index. Runs left pending (a dispatch that failed) are dispatched again; start is idempotent.
 */
import { and, eq, isNotNull, lte, lt } from "drizzle-orm";
import { loaderRuns, loaders } from "../db/schema";
import { dispatchRun } from "../engine/dispatch";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import { isoSeconds } from "../lib/time";
import { serviceContext } from "../services/context";
import { createRun } from "../services/runs/trigger-run";
import { nextRunAt } from "../services/loaders/schedule";
import { deliverDueWebhooks } from "../services/webhooks/deliver";

const DUE_BATCH = 100;
const STUCK_PENDING_MS = 2 * 60_000;

export interface TickResult {
  started: string[];
  skipped: string[];
  redispatched: string[];
}

export async function runSchedulerTick(env: Env, scheduledTime: number): Promise<TickResult> {
  const ctx = serviceContext(env, { kind: "system", reason: "schedule" });
  const tickAt = new Date(scheduledTime);
  const now = isoSeconds(tickAt);
  const result: TickResult = { started: [], skipped: [], redispatched: [] };

  const due = await ctx.db
    .select()
    .from(loaders)
    .where(and(eq(loaders.status, "active"), isNotNull(loaders.schedule), lte(loaders.nextRunAt, now)))
    .limit(DUE_BATCH);

  for (const loader of due) {
    const next = nextRunAt(loader.schedule, tickAt);
    const claimed = await ctx.db
      .update(loaders)
      .set({ nextRunAt: next })
      .where(and(eq(loaders.id, loader.id), eq(loaders.status, "active"), eq(loaders.nextRunAt, loader.nextRunAt!)))
      .returning({ id: loaders.id });
    if (claimed.length === 0) continue;
    try {
      await createRun(ctx, loader, "schedule", null);
      result.started.push(loader.id);
    } catch (error) {
      if (error instanceof AppError && (error.code === "run_in_progress" || error.code === "loader_not_ready")) {
        result.skipped.push(loader.id);
        continue;
      }
      log("error", "scheduled run failed to start", { loader_id: loader.id, error: String(error) });
    }
  }

  const stuck = await ctx.db
    .select()
    .from(loaderRuns)
    .where(and(eq(loaderRuns.status, "pending"), lt(loaderRuns.createdAt, isoSeconds(new Date(scheduledTime - STUCK_PENDING_MS)))))
    .limit(DUE_BATCH);
  for (const run of stuck) {
    await dispatchRun(env, { runId: run.id, loaderId: run.loaderId, workspaceId: run.workspaceId });
    result.redispatched.push(run.id);
  }
  // Webhook deliveries due (first attempts that failed, retries): the outbox is in D1, so a restart loses none.
  const webhooks = await deliverDueWebhooks(ctx, tickAt);
  if (result.started.length + result.skipped.length + result.redispatched.length > 0) log("info", "scheduler tick", { ...result, webhooks });
  return result;
}
