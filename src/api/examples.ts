/**
 * Example values for the OpenAPI document (issue 15 item 8): one consistent story — the workspace "Acme Data", its
 * embedded warehouse, the seed's Salesforce loader and one of its runs — attached to the schemas with `.meta`.
 */
import { CLOUDFLARE_PRICES, type RunUsage, emptyUsage, estimatedCostUsd } from "../engine/usage";

const WS = "7f3c2a10-5d4e-4b8a-9c1f-2e6d8a4b0c11";
const SRC = "0b9e4c2d-8f1a-4e3b-a6d5-c7f8e9a0b1c2";
const LDR = "4a1b2c3d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
const RUN = "9c8b7a6f-5e4d-4c3b-8a1f-0e9d8c7b6a5f";
const KEY = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
const AT = "2026-01-15T10:30:00Z";
/** The run's usage: 2 streams of 100-record pages into D1, one chunk each (engine/usage.ts). */
const USAGE: RunUsage = {
  source_requests: 154,
  source_bytes_received: 4_812_330,
  pages: 154,
  rows_written: 15234,
  warehouse_statements: 64,
  warehouse_requests: 0,
  d1_rows_read: 15890,
  d1_rows_written: 31120,
  queue_messages_sent: 2,
  queue_messages_received: 2,
  durable_object_requests: 31,
  durable_object_wall_ms: 412,
  worker_invocations: 2,
  chunk_wall_ms: 71_840,
  chunk_cpu_ms_estimated: 71_840,
};
const SELECTED = [
  { name: "Contact", sync_mode: "incremental" },
  { name: "Account", sync_mode: "full_refresh" },
];

export const examples = {
  workspace: { id: WS, name: "Acme Data", slug: "acme-data", created_at: AT, updated_at: AT },
  apiKey: {
    id: KEY,
    workspace_id: WS,
    name: "CI/CD Pipeline Key",
    key_prefix: "sk_live_aB3d",
    role: "member",
    status: "active",
    created_by: null,
    created_at: AT,
    updated_at: AT,
    last_used_at: null,
  },
  source: { id: SRC, workspace_id: WS, name: "Embedded warehouse", source_type: "d1", config: {}, status: "connected", status_error: "", created_by: KEY, created_at: AT, updated_at: AT },
  sourceWrite: { name: "Analytics warehouse", source_type: "postgresql", config: { host: "db.example.com", port: 5432, database: "analytics", user: "loaders", password: "…", sslmode: "require" } },
  createLoader: {
    name: "Salesforce CRM Loader",
    loader_type: "salesforce",
    source_id: SRC,
    config: { instance_url: "https://mycompany.salesforce.com" },
    target_schema: "SALESFORCE_RAW",
    selected_streams: SELECTED,
    sync_mode: "incremental",
    schedule: "0 */6 * * *",
  },
  updateLoader: { schedule: "0 * * * *", config: { client_id: "3MVG9…", client_secret: "…", refresh_token: "…" } },
  loader: {
    id: LDR,
    workspace_id: WS,
    source_id: SRC,
    name: "Salesforce CRM Loader",
    loader_type: "salesforce",
    config: { instance_url: "https://mycompany.salesforce.com" },
    target_schema: "SALESFORCE_RAW",
    selected_streams: SELECTED,
    sync_mode: "incremental",
    schedule: "0 */6 * * *",
    schema_change_policy: "allow_all",
    status: "draft",
    status_error: "config is missing credentials: client_id, client_secret, refresh_token",
    created_by: KEY,
    created_at: AT,
    updated_at: AT,
    last_run_at: null,
    last_run_id: null,
  },
  run: {
    id: RUN,
    loader_id: LDR,
    workspace_id: WS,
    status: "completed",
    trigger: "manual",
    started_at: AT,
    completed_at: "2026-01-15T10:31:12Z",
    rows_loaded: 15234,
    streams_total: 2,
    streams_failed: 0,
    error_message: "",
    triggered_by: KEY,
    job_id: "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
    streams: [
      {
        name: "Contact",
        sync_mode: "incremental",
        status: "completed",
        rows_loaded: 12000,
        error_message: "",
        schema_changes: [{ column: "lead_score__c", change: "column_added", type: "number", decision: "allowed" }],
      },
      { name: "Account", sync_mode: "full_refresh", status: "completed", rows_loaded: 3234, error_message: "" },
    ],
    usage: USAGE,
    estimated_cost_usd: estimatedCostUsd(USAGE),
    created_at: AT,
  },
  usageReport: {
    from: "2026-01-15",
    to: "2026-01-16",
    runs: 1,
    usage: USAGE,
    estimated_cost_usd: estimatedCostUsd(USAGE),
    loaders: [{ loader_id: LDR, name: "Salesforce CRM Loader", runs: 1, usage: USAGE, estimated_cost_usd: estimatedCostUsd(USAGE) }],
    days: [
      { date: "2026-01-15", runs: 1, usage: USAGE, estimated_cost_usd: estimatedCostUsd(USAGE) },
      { date: "2026-01-16", runs: 0, usage: emptyUsage(), estimated_cost_usd: 0 },
    ],
    prices: { source: CLOUDFLARE_PRICES.source, read_on: CLOUDFLARE_PRICES.read_on },
  },
  error: {
    error: "loader is not valid",
    code: "validation_failed",
    request_id: "req_5f2c9e1a7b3d4c8e9f0a1b2c3d4e5f6a",
    details: [{ path: "selected_streams.0.name", message: 'unknown stream "Contacts" for salesforce (did you mean "Contact"?); available: …' }],
  },
  webhook: { id: "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e", workspace_id: WS, url: "https://hooks.example.com/loaders", description: "on-call", events: ["run.failed", "loader.error"], status: "active", created_by: KEY, created_at: AT, updated_at: AT },
  createWebhook: { url: "https://hooks.example.com/loaders", events: ["run.failed", "loader.error"], description: "on-call" },
};
