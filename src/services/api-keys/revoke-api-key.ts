import { and, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import { notFound } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { requireRole, type ServiceContext } from "../context";

/** Revocation keeps the row (audit: which key created what) and flips it to `revoked`, which auth refuses. */
export async function revokeApiKey(ctx: ServiceContext, workspaceId: string, keyId: string) {
  requireRole(ctx, "admin");
  const [row] = await ctx.db
    .update(apiKeys)
    .set({ status: "revoked", updatedAt: nowIso() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound("API key");
  return row;
}
