/**
 * Every running run's watchdog, checked from the cron tick. An alarm is the watchdog's clock, but a local `wrangler
 * dev` forgets alarms when it exits and never fires one that fell due while it was down (workers-sdk#7781,
 * workerd#3138), and its queue lives in memory: after a restart the chunks in flight are gone and nothing would look.
 * The tick asks each tracker to look now if its alarm is missing or overdue; in production this is a cheap no-op.
 */
import type { Env } from "../env";
import { log } from "../lib/log";
import { serviceContext } from "../services/context";
import { liveRuns } from "../services/runs/live-runs";
import { runTracker } from "./dispatch";

export async function reviveWatchdogs(env: Env): Promise<number> {
  const runs = await liveRuns(serviceContext(env, { kind: "system", reason: "engine" }));
  let revived = 0;
  for (const run of runs) {
    try {
      if (await runTracker(env, run.runId).watch()) revived += 1;
    } catch (error) {
      log("warn", "watchdog check failed", { run_id: run.runId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (revived > 0) log("info", "watchdogs revived", { runs: revived });
  return revived;
}
