/**
 * The control plane's D1 tables: the single definition from which drizzle-kit generates migrations/.
 * Timestamps are ISO 8601 strings (UTC, `Z`), the API's own format, so rows serialize without conversion.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  slug: text("slug").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    // SHA-256 of the whole key: keys are 192 random bits, so a fast hash is enough and lookups stay O(1).
    keyHash: text("key_hash").notNull(),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    status: text("status", { enum: ["active", "revoked"] }).notNull(),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), index("api_keys_workspace").on(t.workspaceId)],
);

export const sources = sqliteTable(
  "sources",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    sourceType: text("source_type").notNull(),
    /** Non-secret config fields as JSON. */
    config: text("config").notNull(),
    /** Secret config fields, AES-GCM encrypted as one JSON object (lib/secrets). */
    configSecrets: text("config_secrets"),
    status: text("status").notNull(),
    statusError: text("status_error").notNull().default(""),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("sources_workspace").on(t.workspaceId)],
);

export const loaders = sqliteTable(
  "loaders",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id, { onDelete: "cascade" }),
    sourceId: text("source_id").notNull(),
    name: text("name").notNull(),
    loaderType: text("loader_type").notNull(),
    config: text("config").notNull(),
    configSecrets: text("config_secrets"),
    targetSchema: text("target_schema").notNull(),
    /** JSON array of {name, sync_mode}, sync_mode always resolved. */
    selectedStreams: text("selected_streams").notNull(),
    syncMode: text("sync_mode", { enum: ["full_refresh", "incremental"] }).notNull(),
    schedule: text("schedule"),
    /** What a run does with added columns and changed types (warehouses/schema-changes.ts). */
    schemaChangePolicy: text("schema_change_policy", { enum: ["allow_all", "allow_columns", "block"] }).notNull().default("allow_all"),
    status: text("status", { enum: ["draft", "active", "paused", "error"] }).notNull(),
    statusError: text("status_error").notNull().default(""),
    /** Next cron occurrence; the scheduler claims a loader by moving this forward conditionally. */
    nextRunAt: text("next_run_at"),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    lastRunAt: text("last_run_at"),
    lastRunId: text("last_run_id"),
    /**
     * Counts the user's updates. A run's snapshot records the revision it started from, so what the run concludes
     * about the loader (config error, recovery) is applied only if nobody has changed the loader since.
     */
    revision: integer("revision").notNull().default(0),
  },
  (t) => [
    index("loaders_workspace").on(t.workspaceId),
    // The scheduler scans due loaders every minute: (status, next_run_at) keeps that scan an index range.
    index("loaders_due").on(t.status, t.nextRunAt),
  ],
);

export const loaderRuns = sqliteTable(
  "loader_runs",
  {
    id: text("id").primaryKey(),
    loaderId: text("loader_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    status: text("status", { enum: ["pending", "running", "completed", "failed", "cancelled"] }).notNull(),
    trigger: text("trigger", { enum: ["manual", "schedule"] }).notNull(),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
    rowsLoaded: integer("rows_loaded").notNull().default(0),
    streamsTotal: integer("streams_total").notNull().default(0),
    streamsFailed: integer("streams_failed").notNull().default(0),
    errorMessage: text("error_message").notNull().default(""),
    triggeredBy: text("triggered_by"),
    jobId: text("job_id"),
    /** JSON array of per-stream {name, sync_mode, status, rows_loaded, error_message}. */
    streams: text("streams").notNull().default("[]"),
    /**
     * The loader (and its source) as the run was created, secrets still sealed (services/runs/run-snapshot.ts): a
     * run reads only this, so a PUT during the run applies from the next run. Null for runs created before it existed.
     */
    snapshot: text("snapshot"),
    /** JSON usage counts (src/engine/usage.ts), summed by the run's tracker from its chunks; null before they were counted. */
    usage: text("usage"),
    /** The usage at Cloudflare's published prices (usage.ts CLOUDFLARE_PRICES), USD. */
    estimatedCostUsd: real("estimated_cost_usd"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("loader_runs_loader_created").on(t.loaderId, t.createdAt),
    // The usage report (GET …/usage) sums a workspace's runs over a date range.
    index("loader_runs_workspace_created").on(t.workspaceId, t.createdAt),
    // At most one pending or running run per loader, enforced by the database rather than by a read-then-write.
    uniqueIndex("loader_runs_one_live")
      .on(t.loaderId)
      .where(sql`status in ('pending', 'running')`),
    // The scheduler's stuck-run pass (pending runs older than two minutes): partial, so it holds only pending runs and
    // the scan stays small however long the run history grows.
    index("loader_runs_pending_created")
      .on(t.createdAt)
      .where(sql`status = 'pending'`),
  ],
);

/** Committed per-stream state (cursor), advanced only after the data it describes is in the warehouse. */
export const streamStates = sqliteTable(
  "stream_states",
  {
    loaderId: text("loader_id").notNull(),
    stream: text("stream").notNull(),
    state: text("state").notNull(),
    runId: text("run_id"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.loaderId, t.stream] })],
);

/** Workspace webhooks (issue 15): where run and loader events are POSTed, signed with the webhook's own secret. */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    /** JSON array of event types this webhook receives. */
    events: text("events").notNull(),
    /** The signing secret, sealed (services/sealed-config.ts, AAD webhook:<workspace>:<id>); shown once at creation. */
    secretSealed: text("secret_sealed").notNull(),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhooks_workspace").on(t.workspaceId)],
);

/**
 * The delivery outbox and log: a row per (event, webhook), written with the event itself, so a delivery survives any
 * restart; the cron tick sends what is due and reschedules failures with backoff for a day.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The exact JSON body that is signed and sent on every attempt. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error").notNull().default(""),
    createdAt: text("created_at").notNull(),
    deliveredAt: text("delivered_at"),
  },
  (t) => [index("webhook_deliveries_due").on(t.status, t.nextAttemptAt), index("webhook_deliveries_webhook").on(t.webhookId, t.createdAt)],
);

/**
 * A run's event log (issue 15): stream started, rows written, retry scheduled, stream completed or failed, run ended.
 * Derived from the tracker's writes of the run's progress (services/runs/run-events.ts); the last 1,000 per run are
 * kept, and `GET …/runs/{runId}/events` streams them live.
 */
export const runEvents = sqliteTable(
  "run_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull(),
    at: text("at").notNull(),
    type: text("type").notNull(),
    stream: text("stream"),
    /** JSON object: the event's fields (counts, attempt, reason, delay, error). */
    data: text("data").notNull(),
  },
  (t) => [index("run_events_run").on(t.runId, t.id)],
);
