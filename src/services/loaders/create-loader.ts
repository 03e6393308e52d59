import type { JsonObject, SyncMode } from "../../../connectors/kit/contract";
import { conditionalInsert } from "../../db/client";
import { loaders } from "../../db/schema";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import type { SchemaChangePolicy } from "../../warehouses/schema-changes";
import { actorId, requireRole, type ServiceContext } from "../context";
import { requireSource, sourceExistsSql, sourceNotFound } from "../sources/source-store";
import { getLoaderRow, sealLoaderConfig } from "./loader-store";
import { nextRunAt } from "./schedule";
import { draftReason, missingCredentials, validateConfig, validateLoaderShape, validateTargetForSource } from "./validate-loader";
import { validateDiscoveredStreams } from "./discovered-streams";
import { requireLoaderType, requireReader } from "./loader-types";

export interface CreateLoaderInput {
  name: string;
  loader_type: string;
  source_id: string;
  config: Record<string, unknown>;
  target_schema: string;
  selected_streams: Array<{ name: string; sync_mode?: SyncMode }>;
  sync_mode: SyncMode;
  schedule?: string | null;
  schema_change_policy?: SchemaChangePolicy;
}

/**
 * A loader whose config is valid but lacks credentials is stored as `draft` (the seed's own example carries only
 * `instance_url`); it becomes `active` when a PUT completes it.
 */
export async function createLoader(ctx: ServiceContext, workspaceId: string, input: CreateLoaderInput) {
  requireRole(ctx, "admin");
  const spec = requireLoaderType(input.loader_type);
  const source = await requireSource(ctx, workspaceId, input.source_id, "source_id");
  validateTargetForSource(source.sourceType, input.target_schema, input.selected_streams.map((stream) => stream.name));
  const config = validateConfig(spec, input.config);
  const schedule = input.schedule ?? null;
  const streams = validateLoaderShape(spec, config, { ...input, schedule });
  const missing = missingCredentials(spec, config);
  const status = missing.length > 0 ? "draft" : "active";
  if (status === "active") {
    requireReader(spec.type);
    await validateDiscoveredStreams(ctx, spec, config, streams);
  }

  const id = newId();
  const now = nowIso();
  const sealed = await sealLoaderConfig(ctx, workspaceId, id, spec.type, config as JsonObject);
  const row = {
    id,
    workspaceId,
    sourceId: input.source_id,
    name: input.name,
    loaderType: spec.type,
    ...sealed,
    targetSchema: input.target_schema,
    selectedStreams: JSON.stringify(streams),
    syncMode: input.sync_mode,
    schedule,
    schemaChangePolicy: input.schema_change_policy ?? "allow_all",
    status,
    statusError: status === "draft" ? draftReason(missing) : "",
    nextRunAt: status === "active" ? nextRunAt(schedule, new Date()) : null,
    createdBy: actorId(ctx),
    createdAt: now,
    updatedAt: now,
    lastRunAt: null,
    lastRunId: null,
  } as const;
  // Checked and written in one statement: a source deleted since requireSource above gets no loader (issue 16).
  const inserted = await conditionalInsert(ctx.env.DB, loaders, row, sourceExistsSql(workspaceId, input.source_id)).run();
  if (inserted.meta.changes !== 1) throw sourceNotFound("source_id");
  return getLoaderRow(ctx, workspaceId, id);
}
