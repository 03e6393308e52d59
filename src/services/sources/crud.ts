import { and, count, desc, eq, sql } from "drizzle-orm";
import { loaders, sources } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { actorId, requireRole, type ServiceContext } from "../context";
import type { PageRequest } from "../pagination";
import { openSourceConfig, requireSource, requireSourceType, sealSourceConfig, validateSourceConfig } from "./source-store";
import { mergePatchConfig } from "../sealed-config";

export async function listSources(ctx: ServiceContext, workspaceId: string, page: PageRequest) {
  const where = eq(sources.workspaceId, workspaceId);
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(sources).where(where).orderBy(desc(sources.createdAt), desc(sources.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(sources).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function createSource(
  ctx: ServiceContext,
  workspaceId: string,
  input: { name: string; source_type: string; config?: Record<string, unknown> },
) {
  requireRole(ctx, "admin");
  const type = requireSourceType(input.source_type);
  const config = validateSourceConfig(type, input.config, ctx.settings.development);
  const id = newId();
  const now = nowIso();
  const row = {
    id,
    workspaceId,
    name: input.name,
    sourceType: type,
    ...(await sealSourceConfig(ctx, workspaceId, id, type, config)),
    // The embedded D1 warehouse is the Worker's own binding: there is nothing to connect to or fail.
    status: type === "d1" ? "connected" : "untested",
    statusError: "",
    createdBy: actorId(ctx),
    createdAt: now,
    updatedAt: now,
  };
  const [created] = await ctx.db.insert(sources).values(row).returning();
  return created!;
}

/** Partial: absent fields keep their values; absent secret fields keep the stored secret; the type cannot change. */
export async function updateSource(
  ctx: ServiceContext,
  workspaceId: string,
  sourceId: string,
  input: { name?: string; source_type?: string; config?: Record<string, unknown> },
) {
  requireRole(ctx, "admin");
  const row = await requireSource(ctx, workspaceId, sourceId);
  if (input.source_type !== undefined && input.source_type !== row.sourceType) {
    throw new AppError("validation_failed", "source_type cannot change", [{ path: "source_type", message: `stays ${row.sourceType}` }]);
  }
  const type = requireSourceType(row.sourceType);
  const patch: Partial<typeof sources.$inferInsert> = { updatedAt: nowIso() };
  if (input.name !== undefined) patch.name = input.name;
  if (input.config !== undefined) {
    const stored = await openSourceConfig(ctx, row);
    // A JSON Merge Patch over the stored config, as for loaders: absent members (secrets included) keep their values.
    const config = validateSourceConfig(type, mergePatchConfig(stored, input.config), ctx.settings.development);
    Object.assign(patch, await sealSourceConfig(ctx, workspaceId, sourceId, type, config));
    if (type !== "d1") Object.assign(patch, { status: "untested", statusError: "" });
  }
  const [updated] = await ctx.db
    .update(sources)
    .set(patch)
    .where(and(eq(sources.id, sourceId), eq(sources.workspaceId, workspaceId)))
    .returning();
  return updated!;
}

/**
 * A source still targeted by loaders is not deleted (409): those loaders would have nowhere to write. The check is
 * part of the DELETE itself, so a loader created against the source at the same moment either lands first (and the
 * delete is refused) or finds the source gone (and is refused) — never both succeed (issue 16).
 */
export async function deleteSource(ctx: ServiceContext, workspaceId: string, sourceId: string) {
  requireRole(ctx, "admin");
  await requireSource(ctx, workspaceId, sourceId);
  const unused = sql`NOT EXISTS (SELECT 1 FROM ${loaders} WHERE ${loaders.sourceId} = ${sourceId} AND ${loaders.workspaceId} = ${workspaceId})`;
  const deleted = await ctx.db
    .delete(sources)
    .where(and(eq(sources.id, sourceId), eq(sources.workspaceId, workspaceId), unused))
    .returning({ id: sources.id });
  if (deleted.length === 1) return;
  await requireSource(ctx, workspaceId, sourceId);
  const [used] = await ctx.db
    .select({ n: count() })
    .from(loaders)
    .where(and(eq(loaders.workspaceId, workspaceId), eq(loaders.sourceId, sourceId)));
  throw new AppError("source_in_use", `source is used by ${used?.n ?? 0} loader(s); delete or repoint them first`);
}

export async function recordSourceTest(ctx: ServiceContext, row: { id: string; workspaceId: string }, ok: boolean, message: string) {
  await ctx.db
    .update(sources)
    .set({ status: ok ? "connected" : "error", statusError: ok ? "" : message, updatedAt: nowIso() })
    .where(and(eq(sources.id, row.id), eq(sources.workspaceId, row.workspaceId)));
}
