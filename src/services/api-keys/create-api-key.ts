import { apiKeys } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { actorId, requireRole, roleAtLeast, type Role, type ServiceContext } from "../context";
import { mintApiKey } from "./mint";

export async function createApiKey(ctx: ServiceContext, workspaceId: string, input: { name: string; role: Role }) {
  requireRole(ctx, "admin");
  // A key can never mint a key stronger than itself, or an admin could escalate to owner.
  if (ctx.actor.kind === "api_key" && !roleAtLeast(ctx.actor.role, input.role)) {
    throw new AppError("forbidden", `an ${ctx.actor.role} key cannot create a key with the ${input.role} role`);
  }
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
  await ctx.db.insert(apiKeys).values(key);
  return { apiKey: key, secret: minted.key };
}
