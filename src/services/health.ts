import { sql } from "drizzle-orm";
import type { ServiceContext } from "./context";

/** Liveness for load balancers and uptime checks: the Worker answers and its control-plane database does too. */
export async function checkHealth(ctx: ServiceContext): Promise<{ status: "ok" | "degraded"; database: "ok" | "unavailable" }> {
  try {
    await ctx.db.run(sql`SELECT 1`);
    return { status: "ok", database: "ok" };
  } catch {
    return { status: "degraded", database: "unavailable" };
  }
}
