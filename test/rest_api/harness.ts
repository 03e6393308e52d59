/**
 * Drives the rest_api connector against the fake REST API (test/fakes/rest-api) the way the engine would: a
 * development-mode http client with HOST_OVERRIDES, and each test in its own fake tenant.
 */
import { env } from "cloudflare:workers";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../connectors/kit/host-policy";
import { createHttpClient, type HttpClientOptions } from "../../connectors/kit/http";
import { type RestApiConfig, restApiConfigSchema } from "../../connectors/rest_api/config";
import { restApiConnector } from "../../connectors/rest_api";

export function fakePort(): number {
  const port = (JSON.parse(env.FAKE_PORTS) as Record<string, number>)["rest-api"];
  if (!port) throw new Error('the "rest-api" fake is not registered in test/fakes/index.ts, so FAKE_PORTS has no port for it');
  return port;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

/** A fresh tenant of the fake: its base URLs and its control endpoints. */
export function tenant(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const root = `http://127.0.0.1:${fakePort()}/t/${name}`;
  const control = async (method: string, action: string, body?: unknown) => {
    const response = await fetch(`${root}/_control/${action}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`control ${action} failed: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    name,
    /** Reached directly, as a development-mode config may. */
    baseUrl: root,
    /** Reached through HOST_OVERRIDES, as a production config would be written. */
    productionBaseUrl: `https://api.example.com/t/${name}`,
    seed: (body: { count: number; auth?: unknown }) => control("POST", "seed", body),
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    touch: (body: { ids?: number[]; count?: number }) => control("POST", "touch", body) as Promise<{ ids: number[]; updated_at: string }>,
    requests: () => control("GET", "requests") as Promise<LoggedRequest[]>,
    clearRequests: () => control("DELETE", "requests"),
  };
}

export function config(input: unknown): RestApiConfig {
  return restApiConfigSchema.parse(input);
}

/** Vars every Worker has (wrangler.toml, overridden by the vitest config); test/env.d.ts declares only test ones. */
const vars = env as unknown as { ENVIRONMENT?: string; HOST_OVERRIDES?: string };

/** The engine's side: a development client with recorded (not slept) waits. */
export function context(options: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const controller = new AbortController();
  const http = createHttpClient({
    development: vars.ENVIRONMENT === "development",
    hostOverrides: hostOverridesFromJson(vars.HOST_OVERRIDES),
    signal: controller.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  const ctx: ConnectorContext = { http, signal: controller.signal, now: () => new Date() };
  return { ctx, sleeps, controller };
}

export function readRequest(cfg: RestApiConfig, stream: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  const spec = restApiConnector.streamsFromConfig(cfg).find((s) => s.name === stream);
  if (!spec) throw new Error(`no stream ${stream}`);
  return { stream: spec, sync_mode: syncMode, state, checkpoint };
}

export async function readAll(ctx: ConnectorContext, cfg: RestApiConfig, request: ReadRequest): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of restApiConnector.read(ctx, cfg, request)) pages.push(page);
  return pages;
}

export const ids = (pages: Page[]) => pages.flatMap((p) => p.records.map((r) => r.id as number));

/** The fake's (updated_at, id) order, which every list style answers in. */
export function inFakeOrder(records: Array<Record<string, unknown>>): boolean {
  return records.every((r, i) => {
    const prev = records[i - 1];
    if (!prev) return true;
    const a = String(prev.updated_at);
    const b = String(r.updated_at);
    return a < b || (a === b && (prev.id as number) < (r.id as number));
  });
}
