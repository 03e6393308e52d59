import { apiKeys, workspaces } from "../../db/schema";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import type { ServiceContext } from "../context";
import { mintApiKey } from "../api-keys/mint";

function slugify(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48) || "workspace";
}

/** Bootstrap: a workspace and its first owner key, in one atomic batch so neither exists without the other. */
export async function createWorkspace(ctx: ServiceContext, input: { name: string }) {
  const now = nowIso();
  const workspace = { id: newId(), name: input.name, slug: slugify(input.name), createdAt: now, updatedAt: now };
  const minted = await mintApiKey();
  const key = {
    id: newId(),
    workspaceId: workspace.id,
    name: "Owner key",
    keyPrefix: minted.prefix,
    keyHash: minted.hash,
    role: "owner" as const,
    status: "active" as const,
    createdBy: null,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
  };
  await ctx.db.batch([ctx.db.insert(workspaces).values(workspace), ctx.db.insert(apiKeys).values(key)]);
  return { workspace, apiKey: key, secret: minted.key };
}
