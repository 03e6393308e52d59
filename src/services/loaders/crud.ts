import { and, count, desc, eq, inArray } from "drizzle-orm";
import type { JsonObject, SyncMode } from "../../../connectors/kit/contract";
import { loaderRuns, loaders, streamStates } from "../../db/schema";
import { keepStoredSecrets } from "../../lib/config-paths";
import { AppError, validationError } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { requireRole, type ServiceContext } from "../context";
import type { PageRequest } from "../pagination";
import { forgetLoaderTokens } from "../../engine/dispatch";
import { cancelLiveRun } from "../runs/cancel-run";
import { requireSource } from "../sources/source-store";
import { getLoaderRow, openLoaderConfig, sealLoaderConfig, secretPathsOf, selectedStreamsOf } from "./loader-store";
import { requireLoaderType } from "./loader-types";
import { nextRunAt } from "./schedule";
import { draftReason, missingCredentials, validateConfig, validateLoaderShape, validateTargetForSource } from "./validate-loader";

export async function listLoaders(ctx: ServiceContext, workspaceId: string, page: PageRequest) {
  const where = eq(loaders.workspaceId, workspaceId);
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(loaders).where(where).orderBy(desc(loaders.createdAt), desc(loaders.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(loaders).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export const getLoader = getLoaderRow;

export interface UpdateLoaderInput {
  name?: string;
  loader_type?: string;
  source_id?: string;
  config?: Record<string, unknown>;
  target_schema?: string;
  selected_streams?: Array<{ name: string; sync_mode?: SyncMode }>;
  sync_mode?: SyncMode;
  schedule?: string | null;
  status?: "active" | "paused";
}

/**
 * Partial update (DESIGN §2). The merged loader is validated as a whole; a config change returns a loader in
 * `error` to `active` (the user fixed something); a config still lacking credentials stays `draft`.
 */
export async function updateLoader(ctx: ServiceContext, workspaceId: string, loaderId: string, input: UpdateLoaderInput) {
  requireRole(ctx, "admin");
  const row = await getLoaderRow(ctx, workspaceId, loaderId);
  if (input.loader_type !== undefined && input.loader_type !== row.loaderType) {
    throw validationError("loader_type cannot change", [{ path: "loader_type", message: `stays ${row.loaderType}; create a new loader instead` }]);
  }
  const spec = requireLoaderType(row.loaderType);
  const source = await requireSource(ctx, workspaceId, input.source_id ?? row.sourceId, input.source_id !== undefined ? "source_id" : undefined);
  validateTargetForSource(source.sourceType, input.target_schema ?? row.targetSchema, (input.selected_streams ?? selectedStreamsOf(row)).map((stream) => stream.name));

  const storedConfig = await openLoaderConfig(ctx, row);
  const config = input.config
    ? validateConfig(spec, keepStoredSecrets(input.config, storedConfig, secretPathsOf(row.loaderType)))
    : storedConfig;
  const syncMode = input.sync_mode ?? row.syncMode;
  const schedule = input.schedule !== undefined ? input.schedule : row.schedule;
  // A stream keeps its explicit mode when only the loader's default changes; new selections inherit the new default.
  const selected = input.selected_streams ?? selectedStreamsOf(row);
  const streams = validateLoaderShape(spec, config, {
    target_schema: input.target_schema ?? row.targetSchema,
    selected_streams: selected,
    sync_mode: syncMode,
    schedule,
  });

  const missing = missingCredentials(spec, config);
  let status = row.status;
  let statusError = row.statusError;
  if (missing.length > 0) {
    if (input.status === "active") {
      throw new AppError("loader_not_ready", draftReason(missing));
    }
    status = input.status === "paused" ? "paused" : "draft";
    statusError = draftReason(missing);
  } else if (input.status) {
    status = input.status;
    statusError = "";
  } else if (row.status === "draft" || (row.status === "error" && input.config !== undefined)) {
    status = "active";
    statusError = "";
  }

  const now = new Date();
  const patch = {
    name: input.name ?? row.name,
    sourceId: input.source_id ?? row.sourceId,
    ...(input.config ? await sealLoaderConfig(ctx, workspaceId, loaderId, spec.type, config as JsonObject) : {}),
    targetSchema: input.target_schema ?? row.targetSchema,
    selectedStreams: JSON.stringify(streams),
    syncMode,
    schedule,
    status,
    statusError,
    nextRunAt: status === "active" ? nextRunAt(schedule, now) : null,
    updatedAt: nowIso(),
  };
  const [updated] = await ctx.db
    .update(loaders)
    .set(patch)
    .where(and(eq(loaders.id, loaderId), eq(loaders.workspaceId, workspaceId)))
    .returning();
  return updated!;
}

/** Deleting cancels an active run; warehouse tables are kept (they are the customer's data). */
export async function deleteLoader(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  requireRole(ctx, "admin");
  await getLoaderRow(ctx, workspaceId, loaderId);
  await cancelLiveRun(ctx, workspaceId, loaderId, "loader deleted");
  await ctx.db.batch([
    ctx.db.delete(streamStates).where(eq(streamStates.loaderId, loaderId)),
    ctx.db.delete(loaderRuns).where(and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["completed", "failed", "cancelled"]))),
    ctx.db.delete(loaders).where(and(eq(loaders.id, loaderId), eq(loaders.workspaceId, workspaceId))),
  ]);
  await forgetLoaderTokens(ctx.env, loaderId);
}
