/** Calls the Worker in-process (workerd) the way a client would, plus small factories for common setups. */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";

export interface Caller {
  workspaceId: string;
  key: string;
}

export interface CallOptions {
  method?: string;
  key?: string | null;
  workspace?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function call(path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.workspace) headers["x-workspace-id"] = options.workspace;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await (exports as unknown as { default: { fetch: typeof fetch } }).default.fetch(`http://loaders.test${path}`, { method: options.method ?? "GET", headers, body });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A caller bound to one workspace and key. */
export function as(caller: Caller) {
  return (path: string, options: Omit<CallOptions, "key" | "workspace"> = {}) =>
    call(`/api/v1/workspaces/${caller.workspaceId}${path}`, { ...options, key: caller.key, workspace: caller.workspaceId });
}

export async function bootstrapWorkspace(name = "Acme Data"): Promise<Caller & { workspace: any; apiKey: any }> {
  const res = await call("/api/v1/workspaces", { method: "POST", key: ADMIN_TOKEN, body: { name } });
  expect(res.status).toBe(201);
  return { workspaceId: res.json.workspace.id, key: res.json.api_key.key, workspace: res.json.workspace, apiKey: res.json.api_key };
}

export async function createKey(caller: Caller, role: "owner" | "admin" | "member", name = `${role} key`): Promise<Caller & { id: string }> {
  const res = await as(caller)("/api-keys", { method: "POST", body: { name, role } });
  expect(res.status).toBe(201);
  return { workspaceId: caller.workspaceId, key: res.json.key, id: res.json.id };
}

export async function createD1Source(caller: Caller, name = "Embedded warehouse"): Promise<string> {
  const res = await as(caller)("/sources", { method: "POST", body: { name, source_type: "d1" } });
  expect(res.status).toBe(201);
  return res.json.id;
}

/** The seed's own create-loader example, with real ids. */
export function seedLoaderBody(sourceId: string) {
  return {
    name: "Salesforce CRM Loader",
    loader_type: "salesforce",
    source_id: sourceId,
    config: { instance_url: "https://mycompany.salesforce.com" },
    target_schema: "SALESFORCE_RAW",
    selected_streams: [
      { name: "Contact", sync_mode: "incremental" },
      { name: "Account", sync_mode: "full_refresh" },
    ],
    sync_mode: "incremental",
    schedule: "0 */6 * * *",
  };
}

export function pgConfig() {
  const url = new URL(env.PG_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    password: url.password ? decodeURIComponent(url.password) : "unused-with-trust-auth",
    sslmode: "disable",
  };
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function expectError(res: { status: number; json: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ code, error: expect.any(String), request_id: expect.any(String) });
}
