import { and, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { JsonObject, SyncMode } from "../../../connectors/kit/contract";
import { loaderRuns, loaders, streamStates } from "../../db/schema";
import { AppError, validationError } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { requireRole, type ServiceContext } from "../context";
import type { PageRequest } from "../pagination";
import { forgetLoaderTokens, requestCancel } from "../../engine/dispatch";
import { cancelLiveRun, dropRunStaging } from "../runs/cancel-run";
import { deleteEventsOfLoader } from "../runs/run-events";
import { mergePatchConfig } from "../sealed-config";
import { requireSource, sourceExistsSql } from "../sources/source-store";
import { getLoaderRow, openLoaderConfig, sealLoaderConfig, secretPathsOf, selectedStreamsOf } from "./loader-store";
import { requireLoaderType, requireReader } from "./loader-types";
import type { SchemaChangePolicy } from "../../warehouses/schema-changes";
import { nextRunAt } from "./schedule";
import { validateDiscoveredStreams } from "./discovered-streams";
import { draftReason, missingCredentials, validateConfig, validateLoaderShape, validateTargetForSource } from "./validate-loader";

export async function listLoaders(ctx: ServiceContext, workspaceId: string, page: PageRequest) {
  const where = eq(loaders.workspaceId, workspaceId);
  const list = ctx.db.select().from(loaders).where(where).orderBy(desc(loaders.createdAt), desc(loaders.id)).limit(page.limit).offset(page.offset);
  // The bare array carries no total: one query. The envelope's total travels with the page in one D1 batch.
  if (!page.paged) {
    const rows = await list;
    return { rows, total: rows.length };
  }
  const [rows, [total]] = await ctx.db.batch([list, ctx.db.select({ n: count() }).from(loaders).where(where)]);
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
  schema_change_policy?: SchemaChangePolicy;
  status?: "active" | "paused";
}

/**
 * Partial update (DESIGN §2). `config` is a JSON Merge Patch (RFC 7386) over the stored config: absent members keep
 * their values (secrets too), null removes one. The merged loader is validated as a whole; a config change returns a
 * loader in `error` to `active` (the user fixed something); a config still lacking credentials stays `draft`.
 * A live run keeps the snapshot it was created with, so every change applies from the next run (`appliesFrom`).
 * The write is a compare-and-set on the revision read here (two concurrent PUTs never lose one another's fields)
 * and on the source still existing.
 */
export async function updateLoader(ctx: ServiceContext, workspaceId: string, loaderId: string, input: UpdateLoaderInput) {
  requireRole(ctx, "admin");
  const row = await getLoaderRow(ctx, workspaceId, loaderId);
  if (input.loader_type !== undefined && input.loader_type !== row.loaderType) {
    throw validationError("loader_type cannot change", [{ path: "loader_type", message: `stays ${row.loaderType}; create a new loader instead` }]);
  }
  const spec = requireLoaderType(row.loaderType);
  const sourceId = input.source_id ?? row.sourceId;
  const source = await requireSource(ctx, workspaceId, sourceId, input.source_id !== undefined ? "source_id" : undefined);
  validateTargetForSource(source.sourceType, input.target_schema ?? row.targetSchema, (input.selected_streams ?? selectedStreamsOf(row)).map((stream) => stream.name));

  const storedConfig = await openLoaderConfig(ctx, row);
  const config = input.config ? validateConfig(spec, mergePatchConfig(storedConfig, input.config)) : storedConfig;
  const syncMode = input.sync_mode ?? row.syncMode;
  const schedule = input.schedule !== undefined ? input.schedule : row.schedule;
  // A stream keeps its explicit mode when only the loader's default changes; new selections inherit the new default.
  const selected = input.selected_streams ?? selectedStreamsOf(row);
  const shape = {
    target_schema: input.target_schema ?? row.targetSchema,
    selected_streams: selected,
    sync_mode: syncMode,
    schedule,
  };
  const streams = validateLoaderShape(spec, config, shape);

  const missing = missingCredentials(spec, config);
  if (input.config !== undefined || input.selected_streams !== undefined || input.sync_mode !== undefined) {
    if (missing.length === 0) await validateDiscoveredStreams(ctx, spec, config, streams);
  }
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
  if (status === "active") requireReader(spec.type);

  const now = new Date();
  const patch = {
    name: input.name ?? row.name,
    sourceId,
    ...(input.config ? await sealLoaderConfig(ctx, workspaceId, loaderId, spec.type, config as JsonObject) : {}),
    targetSchema: input.target_schema ?? row.targetSchema,
    selectedStreams: JSON.stringify(streams),
    syncMode,
    schedule,
    schemaChangePolicy: input.schema_change_policy ?? row.schemaChangePolicy,
    status,
    statusError,
    nextRunAt: status === "active" ? nextRunAt(schedule, now) : null,
    updatedAt: nowIso(),
    revision: row.revision + 1,
  };
  // Another schema or warehouse holds none of the data the streams' cursors describe: they start afresh there.
  const moved = patch.targetSchema !== row.targetSchema || patch.sourceId !== row.sourceId;
  const update = ctx.db
    .update(loaders)
    .set(patch)
    .where(and(eq(loaders.id, loaderId), eq(loaders.workspaceId, workspaceId), eq(loaders.revision, row.revision), sourceExistsSql(workspaceId, sourceId)))
    .returning();
  const landed = sql`EXISTS (SELECT 1 FROM ${loaders} WHERE ${loaders.id} = ${loaderId} AND ${loaders.revision} = ${patch.revision})`;
  const [[updated]] = moved
    ? await ctx.db.batch([update, ctx.db.delete(streamStates).where(and(eq(streamStates.loaderId, loaderId), landed))])
    : [await update];
  if (!updated) {
    await getLoaderRow(ctx, workspaceId, loaderId);
    await requireSource(ctx, workspaceId, sourceId, "source_id");
    throw new AppError("conflict", "the loader was changed by another request while this one was applied; read it again and retry");
  }
  const [live] = await ctx.db
    .select({ id: loaderRuns.id })
    .from(loaderRuns)
    .where(and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["pending", "running"])))
    .limit(1);
  return { loader: updated, liveRunId: live?.id ?? null };
}

/**
 * Deleting cancels a live run and drops the staging tables it had begun; the warehouse tables are kept (they are the
 * customer's data). A run created while the delete runs is flagged cancelled in the same batch that removes the
 * loader, so its tracker refuses to start it (or, already started, is cancelled right after).
 */
export async function deleteLoader(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  requireRole(ctx, "admin");
  await getLoaderRow(ctx, workspaceId, loaderId);
  const cancelled = await cancelLiveRun(ctx, workspaceId, loaderId, "loader deleted");
  const liveNow = and(eq(loaderRuns.loaderId, loaderId), inArray(loaderRuns.status, ["pending", "running"]));
  const [flagged] = await ctx.db.batch([
    ctx.db.update(loaderRuns).set({ status: "cancelled", errorMessage: "loader deleted", completedAt: nowIso() }).where(liveNow).returning({ id: loaderRuns.id }),
    ctx.db.delete(streamStates).where(eq(streamStates.loaderId, loaderId)),
    ctx.db.delete(loaders).where(and(eq(loaders.id, loaderId), eq(loaders.workspaceId, workspaceId))),
  ]);
  for (const run of flagged) {
    await requestCancel(ctx.env, { runId: run.id, loaderId, workspaceId }, "loader deleted");
    cancelled.push(run.id);
  }
  for (const runId of cancelled) await dropRunStaging(ctx, workspaceId, loaderId, runId);
  await deleteEventsOfLoader(ctx, loaderId);
  await ctx.db.delete(loaderRuns).where(and(eq(loaderRuns.loaderId, loaderId), eq(loaderRuns.workspaceId, workspaceId)));
  await forgetLoaderTokens(ctx.env, loaderId);
}
