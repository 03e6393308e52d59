/**
 * A refresh token the provider rotated, written over the one in the loader's sealed config. Only the engine's token
 * keeper calls this, after the provider has already retired the old token, so the new one must not be lost.
 */
import { and, eq, isNull } from "drizzle-orm";
import { loaders } from "../../db/schema";
import { getPath, setPath } from "../../lib/config-paths";
import type { ServiceContext } from "../context";
import { getLoaderRow, openLoaderConfig, sealLoaderConfig, secretPathsOf } from "./loader-store";

/** Compare-and-set rounds: each lost round means a user's update landed in between, which is rare. */
const ATTEMPTS = 3;

/**
 * `replaces(stored)` says whether the stored value is one the keeper has rotated away from; anything else was put
 * there by a user (a new authorization) and wins. The write is a compare-and-set on the sealed column, so an update
 * landing between the read and the write is never overwritten.
 */
export async function saveRotatedSecret(
  ctx: ServiceContext,
  ref: { workspaceId: string; loaderId: string },
  field: string,
  value: string,
  replaces: (stored: string | undefined) => Promise<boolean>,
): Promise<"saved" | "superseded"> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const row = await getLoaderRow(ctx, ref.workspaceId, ref.loaderId);
    if (!secretPathsOf(row.loaderType).includes(field)) throw new Error(`${field} is not a secret field of ${row.loaderType}`);
    const config = await openLoaderConfig(ctx, row);
    const stored = getPath(config, field);
    if (stored === value) return "saved";
    if (!(await replaces(typeof stored === "string" ? stored : undefined))) return "superseded";
    setPath(config, field, value);
    const { configSecrets } = await sealLoaderConfig(ctx, row.workspaceId, row.id, row.loaderType, config);
    const unchanged = row.configSecrets === null ? isNull(loaders.configSecrets) : eq(loaders.configSecrets, row.configSecrets);
    const updated = await ctx.db
      .update(loaders)
      .set({ configSecrets })
      .where(and(eq(loaders.id, row.id), eq(loaders.workspaceId, row.workspaceId), unchanged))
      .returning({ id: loaders.id });
    if (updated.length === 1) return "saved";
  }
  throw new Error(`the loader's config kept changing; the rotated ${field} is saved on the next renewal`);
}
