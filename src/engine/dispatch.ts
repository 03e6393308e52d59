/** How services reach the engine: the run's own RunTracker Durable Object, named by run id. */
import type { Env } from "../env";
import type { RunRef } from "./messages";
import type { RunTracker } from "./run-tracker";

// The explicit stub type keeps TypeScript from expanding the RPC types of every method (TS2589).
export function runTracker(env: Env, runId: string): DurableObjectStub<RunTracker> {
  return env.RUN_TRACKER.getByName(`run:${runId}`) as DurableObjectStub<RunTracker>;
}

/** Idempotent: the tracker ignores a second start, so the scheduler may re-dispatch a run stuck in pending. */
export async function dispatchRun(env: Env, ref: RunRef): Promise<void> {
  await runTracker(env, ref.runId).start(ref);
}

export async function requestCancel(env: Env, ref: RunRef, reason: string): Promise<void> {
  await runTracker(env, ref.runId).cancel(ref, reason);
}
