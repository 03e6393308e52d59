/**
 * A run's snapshot of its loader: taken in the same statement that creates the run (so no update can land between
 * the two), stored on the run row, and the only thing the engine reads the loader's settings from until the run
 * ends. A PUT during a run therefore applies from the next run: the run's tables land complete where the run
 * started writing them (issue 16: a target_schema changed mid-run used to split a full_refresh load in two).
 * Secrets stay sealed in the snapshot exactly as stored, bound to their loader and source rows.
 */
import { and, eq, sql } from "drizzle-orm";
import type { JsonObject } from "../../../connectors/kit/contract";
import { loaderRuns, streamStates } from "../../db/schema";
import { AppError, notFound } from "../../lib/errors";
import type { SchemaChangePolicy } from "../../warehouses/schema-changes";
import type { ServiceContext } from "../context";
import { getLoaderRow, openLoaderConfig, selectedStreamsOf } from "../loaders/loader-store";
import type { SelectedStream } from "../loaders/validate-loader";
import { openSourceConfig, requireSource } from "../sources/source-store";

export interface RunSnapshot {
  revision: number;
  loader_type: string;
  source_id: string;
  target_schema: string;
  /** Absent from snapshots taken before the policy existed: those runs allow every change, as the default does. */
  schema_change_policy?: SchemaChangePolicy;
  selected_streams: SelectedStream[];
  config: string;
  config_secrets: string | null;
  source: { source_type: string; config: string; config_secrets: string | null };
}

/** What the engine knows of the loader during a run: the snapshot's fields, never the live row. */
export interface RunLoader {
  id: string;
  workspaceId: string;
  loaderType: string;
  sourceId: string;
  targetSchema: string;
  schemaChangePolicy: SchemaChangePolicy;
  revision: number;
}

/**
 * The snapshot as one SQL expression over the loader row `l` and its source `src`, for the INSERT … SELECT that
 * creates a run. Keys match RunSnapshot.
 */
export const snapshotSql = sql`json_object(
  'revision', l.revision, 'loader_type', l.loader_type, 'source_id', l.source_id, 'target_schema', l.target_schema,
  'schema_change_policy', l.schema_change_policy, 'selected_streams', json(l.selected_streams), 'config', l.config, 'config_secrets', l.config_secrets,
  'source', json_object('source_type', src.source_type, 'config', src.config, 'config_secrets', src.config_secrets))`;

/** The per-stream summaries a new run starts with, from the same row (one per selected stream, in order). */
export const pendingStreamsSql = sql`(SELECT json_group_array(json_object(
  'name', s.value ->> 'name', 'sync_mode', s.value ->> 'sync_mode', 'status', 'pending', 'rows_loaded', 0, 'error_message', ''))
  FROM json_each(l.selected_streams) AS s)`;

interface ResolvedRun {
  loader: RunLoader;
  streams: SelectedStream[];
  sealedLoader: { config: string; configSecrets: string | null };
  source: { id: string; sourceType: string; config: string; configSecrets: string | null };
}

async function runRow(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string) {
  const [run] = await ctx.db
    .select({ status: loaderRuns.status, snapshot: loaderRuns.snapshot })
    .from(loaderRuns)
    .where(and(eq(loaderRuns.id, runId), eq(loaderRuns.loaderId, loaderId), eq(loaderRuns.workspaceId, workspaceId)))
    .limit(1);
  if (!run) throw notFound("run");
  return run;
}

/** The run's loader and source as its snapshot holds them (the live rows only for runs older than snapshots). */
async function resolveRun(ctx: ServiceContext, workspaceId: string, loaderId: string, run: { snapshot: string | null }): Promise<ResolvedRun> {
  if (run.snapshot) {
    const snap = JSON.parse(run.snapshot) as RunSnapshot;
    return {
      loader: { id: loaderId, workspaceId, loaderType: snap.loader_type, sourceId: snap.source_id, targetSchema: snap.target_schema, schemaChangePolicy: snap.schema_change_policy ?? "allow_all", revision: snap.revision },
      streams: snap.selected_streams,
      sealedLoader: { config: snap.config, configSecrets: snap.config_secrets },
      source: { id: snap.source_id, sourceType: snap.source.source_type, config: snap.source.config, configSecrets: snap.source.config_secrets },
    };
  }
  const row = await getLoaderRow(ctx, workspaceId, loaderId);
  const source = await requireSource(ctx, workspaceId, row.sourceId);
  return {
    loader: { id: row.id, workspaceId, loaderType: row.loaderType, sourceId: row.sourceId, targetSchema: row.targetSchema, schemaChangePolicy: row.schemaChangePolicy, revision: row.revision },
    streams: selectedStreamsOf(row),
    sealedLoader: row,
    source,
  };
}

/** What a run needs to start: its snapshot's streams and each stream's committed state. */
export async function loadRunPlan(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string) {
  const run = await runRow(ctx, workspaceId, loaderId, runId);
  // A run cancelled in D1 before its tracker started (its loader was deleted meanwhile) must not start.
  if (run.status !== "pending" && run.status !== "running") throw new AppError("conflict", `the run was ${run.status} before it started`);
  const { loader, streams } = await resolveRun(ctx, workspaceId, loaderId, run);
  const states = await ctx.db.select().from(streamStates).where(eq(streamStates.loaderId, loaderId));
  const stateByStream = new Map(states.map((s) => [s.stream, JSON.parse(s.state) as JsonObject]));
  return { loader, streams: streams.map((s) => ({ ...s, state: stateByStream.get(s.name) ?? null })) };
}

/** The run's loader and source with secrets opened: for the consumer, just before it talks to the source and the warehouse. */
export async function loadRunConfigs(ctx: ServiceContext, workspaceId: string, loaderId: string, runId: string) {
  const { loader, streams, sealedLoader, source } = await resolveRun(ctx, workspaceId, loaderId, await runRow(ctx, workspaceId, loaderId, runId));
  return {
    loader,
    streams,
    loaderConfig: await openLoaderConfig(ctx, { ...sealedLoader, id: loaderId, workspaceId, loaderType: loader.loaderType }),
    source: { source_type: source.sourceType, config: await openSourceConfig(ctx, { ...source, workspaceId }) },
  };
}
