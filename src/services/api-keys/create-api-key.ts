import { sql, type SQL } from "drizzle-orm";
import { conditionalInsert } from "../../db/client";
import { apiKeys, workspaces } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { actorId, requireRole, roleAtLeast, type Role, type ServiceContext } from "../context";
import { mintApiKey } from "./mint";

/**
 * The acting key is still active, as SQL: a key being revoked cannot mint a successor in the same instant and so
 * outlive its revocation. The bootstrap token (not a key) is always itself.
 */
export function actorStillActiveSql(ctx: ServiceContext): SQL {
  if (ctx.actor.kind !== "api_key") return sql`1 = 1`;
  return sql`EXISTS (SELECT 1 FROM ${apiKeys} actor WHERE actor.id = ${ctx.actor.keyId} AND actor.status = 'active')`;
}

async function insertKey(ctx: ServiceContext, workspaceId: string, input: { name: string; role: Role }) {
  const now = nowIso();
  const minted = await mintApiKey();
  const key = {
    id: newId(),
    workspaceId,
    name: input.name,
    keyPrefix: minted.prefix,
    keyHash: minted.hash,
    role: input.role,
    status: "active" as const,
    createdBy: actorId(ctx),
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
  };
  // Checked and written in one statement: the workspace exists and the acting key was not revoked meanwhile.
  const condition = sql`EXISTS (SELECT 1 FROM ${workspaces} WHERE ${workspaces.id} = ${workspaceId}) AND ${actorStillActiveSql(ctx)}`;
  const inserted = await conditionalInsert(ctx.env.DB, apiKeys, key, condition).run();
  return { inserted: inserted.meta.changes === 1, apiKey: key, secret: minted.key };
}

export async function createApiKey(ctx: ServiceContext, workspaceId: string, input: { name: string; role: Role }) {
  requireRole(ctx, "admin");
  // A key can never mint a key stronger than itself, or an admin could escalate to owner.
  if (ctx.actor.kind === "api_key" && !roleAtLeast(ctx.actor.role, input.role)) {
    throw new AppError("forbidden", `an ${ctx.actor.role} key cannot create a key with the ${input.role} role`);
  }
  const created = await insertKey(ctx, workspaceId, input);
  if (!created.inserted) throw new AppError("unauthorized", "invalid or revoked API key");
  return created;
}

/**
 * The recovery path: the ADMIN_TOKEN (the operator's secret, not a key of the workspace) mints a new owner key for a
 * workspace whose owner keys were all lost. Nothing else can create an owner once none is left.
 */
export async function createRecoveryOwnerKey(ctx: ServiceContext, workspaceId: string, input: { name: string }) {
  if (ctx.actor.kind !== "admin_token") throw new AppError("forbidden", "only the ADMIN_TOKEN can mint a recovery owner key");
  const created = await insertKey(ctx, workspaceId, { name: input.name, role: "owner" });
  if (!created.inserted) throw notFound("workspace");
  return created;
}
