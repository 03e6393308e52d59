/** How services reach the engine: the run's own RunTracker, named by run id, and the loader's TokenKeeper and LoaderBudget. */
import type { Env } from "../env";
import type { LoaderBudget } from "./loader-budget";
import type { RunRef } from "./messages";
import type { RunTracker } from "./run-tracker";
import type { TokenKeeper } from "./token-keeper";

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

export function tokenKeeper(env: Env, loaderId: string): DurableObjectStub<TokenKeeper> {
  return env.TOKEN_KEEPER.getByName(`loader:${loaderId}`) as DurableObjectStub<TokenKeeper>;
}

/** A deleted loader's tokens go with it: nothing else would ever read them again. */
export async function forgetLoaderTokens(env: Env, loaderId: string): Promise<void> {
  await tokenKeeper(env, loaderId).forget();
}

/** The loader's shared budgets (DESIGN §5.4): one object per loader, beside its TokenKeeper. */
export function loaderBudget(env: Env, loaderId: string): DurableObjectStub<LoaderBudget> {
  return env.LOADER_BUDGET.getByName(`loader:${loaderId}`) as DurableObjectStub<LoaderBudget>;
}
