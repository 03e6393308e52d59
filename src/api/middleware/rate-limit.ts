import type { Context, Next } from "hono";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../types";

export async function enforceRateLimit(env: Env, workspaceId: string): Promise<void> {
  const decision = await env.RATE_LIMITER.getByName(`workspace:${workspaceId}`).hit();
  if (!decision.allowed) {
    throw new AppError("rate_limited", "rate limit exceeded: 20 requests per second and 100 per minute per workspace", undefined, {
      "Retry-After": String(decision.retryAfterSeconds),
    });
  }
}

const READS = new Set(["GET", "HEAD"]);

/**
 * Runs the rest of the request under the workspace's limit. The workspace's Durable Object decides every request (its
 * exact sliding log), but a read (GET, HEAD: no side effect) does not wait for the decision before it starts: it runs
 * alongside the limiter's call and is answered only once that allowed it, so the call's round trip overlaps the read's
 * own work instead of adding to it. A refused read's own answer is dropped (its body cancelled, which stops an event
 * stream) for the 429. Every other method waits for the decision before it does anything. `allowed` runs once the
 * request is allowed (the key's last-used stamp).
 */
export async function underRateLimit(c: Context<AppEnv>, workspaceId: string, next: Next, allowed: () => void = () => {}): Promise<void> {
  const decision = enforceRateLimit(c.env, workspaceId);
  if (!READS.has(c.req.method)) {
    await decision;
    allowed();
    return next();
  }
  // Awaited below; handled here so a refusal that lands while the read runs is not an unhandled rejection meanwhile.
  decision.catch(() => undefined);
  try {
    await next();
  } finally {
    try {
      await decision;
    } catch (error) {
      await c.res.body?.cancel().catch(() => undefined);
      throw error;
    }
  }
  allowed();
}
