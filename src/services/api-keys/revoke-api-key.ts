import { and, eq, sql } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { requireRole, roleAtLeast, type ServiceContext } from "../context";
import { actorStillActiveSql } from "./create-api-key";
import { apiKeyCache } from "./key-cache";

/**
 * Revocation keeps the row (audit: which key created what) and flips it to `revoked`, which auth refuses.
 * No key revokes a key of a higher role than its own (an admin cannot remove the owner), and the last active owner
 * key of a workspace cannot be revoked: both conditions are part of the UPDATE, so two owners revoking each other at
 * once cannot leave the workspace without one (issue 16).
 */
export async function revokeApiKey(ctx: ServiceContext, workspaceId: string, keyId: string) {
  requireRole(ctx, "admin");
  const [target] = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId)))
    .limit(1);
  if (!target) throw notFound("API key");
  if (ctx.actor.kind === "api_key" && !roleAtLeast(ctx.actor.role, target.role)) {
    throw new AppError("forbidden", `an ${ctx.actor.role} key cannot revoke a key with the ${target.role} role`);
  }
  if (target.status === "revoked") return target;
  const anotherOwner = sql`(${apiKeys.role} <> 'owner' OR EXISTS (SELECT 1 FROM ${apiKeys} other WHERE other.workspace_id = ${workspaceId}
    AND other.role = 'owner' AND other.status = 'active' AND other.id <> ${keyId}))`;
  const [row] = await ctx.db
    .update(apiKeys)
    .set({ status: "revoked", updatedAt: nowIso() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.status, "active"), anotherOwner, actorStillActiveSql(ctx)))
    .returning();
  if (row) {
    apiKeyCache.forgetId(row.id);
    return row;
  }
  const [now] = await ctx.db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
  if (now?.status === "revoked") return now;
  if (ctx.actor.kind === "api_key") {
    const [actor] = await ctx.db.select({ status: apiKeys.status }).from(apiKeys).where(eq(apiKeys.id, ctx.actor.keyId)).limit(1);
    if (actor?.status !== "active") throw new AppError("unauthorized", "invalid or revoked API key");
  }
  throw new AppError(
    "last_owner_key",
    "this is the workspace's last active owner key: create another owner key first (or, if every owner key is lost, mint one with the ADMIN_TOKEN: POST /api/v1/workspaces/{id}/owner-keys)",
  );
}
