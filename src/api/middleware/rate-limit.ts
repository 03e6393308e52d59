import type { Env } from "../../env";
import { AppError } from "../../lib/errors";

export async function enforceRateLimit(env: Env, workspaceId: string): Promise<void> {
  const decision = await env.RATE_LIMITER.getByName(`workspace:${workspaceId}`).hit();
  if (!decision.allowed) {
    throw new AppError("rate_limited", "rate limit exceeded: 20 requests per second and 100 per minute per workspace", undefined, {
      "Retry-After": String(decision.retryAfterSeconds),
    });
  }
}
