import { z } from "zod";
import type { LoaderRow } from "../../services/loaders/loader-store";
import { timestamp, uuid } from "../common";
import { examples } from "../examples";
import { SCHEMA_CHANGE_POLICIES } from "../../warehouses/schema-changes";

const syncMode = z.enum(["full_refresh", "incremental"]);
const schemaChangePolicy = z
  .enum(SCHEMA_CHANGE_POLICIES)
  .describe(
    "What a run does when the source brings a new column or a wider type: allow_all adds and widens; allow_columns adds columns but fails the stream on a type change; block fails the stream on any change. The table is left as it was when a change is blocked.",
  );

export const selectedStreamInput = z
  .object({
    name: z.string().min(1).max(255),
    sync_mode: syncMode.optional().describe("Defaults to the loader's sync_mode"),
  })
  .strict();

export const loaderBody = z.object({
  id: uuid,
  workspace_id: uuid,
  source_id: uuid,
  name: z.string(),
  loader_type: z.string(),
  config: z.record(z.string(), z.unknown()).describe("Secret fields are never returned"),
  target_schema: z.string(),
  selected_streams: z.array(z.object({ name: z.string(), sync_mode: syncMode })),
  sync_mode: syncMode,
  schedule: z.string().nullable(),
  schema_change_policy: schemaChangePolicy,
  status: z.enum(["draft", "active", "paused", "error"]),
  status_error: z.string(),
  created_by: uuid.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  last_run_at: timestamp.nullable(),
  last_run_id: uuid.nullable(),
}).meta({ examples: [examples.loader] });

export const createLoaderBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    loader_type: z.string().min(1),
    source_id: uuid,
    config: z.record(z.string(), z.unknown()),
    target_schema: z.string().min(1),
    selected_streams: z.array(selectedStreamInput).min(1, "select at least one stream"),
    sync_mode: syncMode,
    schedule: z.string().nullable().optional().describe("5-field cron in UTC; null or absent = manual only"),
    schema_change_policy: schemaChangePolicy.optional().describe("Defaults to allow_all"),
  })
  .strict()
  .meta({ examples: [examples.createLoader] });

/** Read-only fields a client may echo back from a GET; they are accepted and ignored (DESIGN §2). */
const readOnly = {
  id: z.unknown(),
  workspace_id: z.unknown(),
  status_error: z.unknown(),
  created_by: z.unknown(),
  created_at: z.unknown(),
  updated_at: z.unknown(),
  last_run_at: z.unknown(),
  last_run_id: z.unknown(),
  applies_from: z.unknown(),
  live_run_id: z.unknown(),
};

export const updateLoaderBody = createLoaderBody
  .partial()
  .extend({ status: z.enum(["active", "paused"]).optional().describe("Pause or resume the schedule") })
  .extend(Object.fromEntries(Object.entries(readOnly).map(([k, v]) => [k, v.optional()])))
  .strict();

export function loaderResponse(row: LoaderRow): z.infer<typeof loaderBody> {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    source_id: row.sourceId,
    name: row.name,
    loader_type: row.loaderType,
    config: JSON.parse(row.config) as Record<string, unknown>,
    target_schema: row.targetSchema,
    selected_streams: JSON.parse(row.selectedStreams) as Array<{ name: string; sync_mode: "full_refresh" | "incremental" }>,
    sync_mode: row.syncMode,
    schedule: row.schedule,
    schema_change_policy: row.schemaChangePolicy,
    status: row.status,
    status_error: row.statusError,
    created_by: row.createdBy,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    last_run_at: row.lastRunAt,
    last_run_id: row.lastRunId,
  };
}
