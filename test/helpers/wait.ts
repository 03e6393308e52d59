/** Waiting on a condition with a bound, instead of sleeping a fixed time and hoping the condition holds by then. */

/**
 * Polls `probe` until it answers something truthy and returns that; throws, naming `what`, after `timeoutMs`.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what = "condition", timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not reached after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
