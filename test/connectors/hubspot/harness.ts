/**
 * Drives the hubspot connector against the HubSpot fake (test/fakes/hubspot, README there) the way the engine does:
 * a development-mode kit client with HOST_OVERRIDES (configs name the production host), one fake tenant per test,
 * and the fake's control API as the oracle.
 */
import { env } from "cloudflare:workers";
import { hubspotConnector } from "../../../connectors/hubspot";
import type { HubspotConfig } from "../../../connectors/hubspot/spec";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord, StreamSpec, SyncMode } from "../../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../../connectors/kit/host-policy";
import { createHttpClient, type HttpClientOptions } from "../../../connectors/kit/http";

export const FAKE_CLIENT_ID = "fake-hubspot-client-id";
export const FAKE_CLIENT_SECRET = "fake-hubspot-client-secret";

export function fakeBase(): string {
  const port = (JSON.parse(env.FAKE_PORTS) as Record<string, number>).hubspot;
  if (!port) throw new Error('the "hubspot" fake is not registered in test/fakes/index.ts, so FAKE_PORTS has no port for it');
  return `http://127.0.0.1:${port}`;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: any;
  api_version: string | null;
  status: number;
}

export interface Oracle {
  live: Array<{ id: string; updatedAt: string }>;
  archived: Array<{ id: string; archivedAt?: string; updatedAt?: string }>;
}

export interface Mutation {
  at: string;
  updated: string[];
  created: string[];
  deleted: string[];
}

type ObjectName = string;

/** A fresh tenant of the fake, named by its private-app token `pat-<tenant>`. */
export function tenant(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const control = async (method: string, action: string, body?: unknown) => {
    const response = await fetch(`${fakeBase()}/_fake/${name}/${action}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`control ${action} failed: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    name,
    token: `pat-${name}`,
    config: (extra: Partial<HubspotConfig> = {}): HubspotConfig => ({ access_token: `pat-${name}`, ...extra }),
    oauthConfig: (extra: Partial<HubspotConfig> = {}): HubspotConfig => ({
      client_id: FAKE_CLIENT_ID,
      client_secret: FAKE_CLIENT_SECRET,
      refresh_token: `refresh-${name}`,
      ...extra,
    }),
    seed: (counts: Partial<Record<ObjectName, number>>) => control("POST", "seed", { counts }),
    mutate: (body: { object: ObjectName; update?: number | string[]; create?: number; delete?: number | string[] }) =>
      control("POST", "mutate", body) as Promise<Mutation>,
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    requests: async () => ((await control("GET", "requests")) as { requests: LoggedRequest[] }).requests,
    clearRequests: () => control("DELETE", "requests"),
    records: (object: ObjectName) => control("GET", `records/${object}`) as Promise<Oracle>,
    /** The fake's own view of one record, through its API (the oracle lists only ids and times). */
    get: async (path: string): Promise<any> => {
      const response = await fetch(`${fakeBase()}${path}`, { headers: { authorization: `Bearer pat-${name}` } });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    },
  };
}

export type Tenant = ReturnType<typeof tenant>;

/** Vars every Worker has (wrangler.toml, overridden by the vitest config); test/env.d.ts declares only test ones. */
const vars = env as unknown as { ENVIRONMENT?: string; HOST_OVERRIDES?: string };

/** The engine's side: a development client, with waits recorded instead of slept. */
export function context(options: Partial<Omit<HttpClientOptions, "now">> & { now?: () => Date } = {}) {
  const sleeps: number[] = [];
  const controller = new AbortController();
  const { now, ...clientOptions } = options;
  const http = createHttpClient({
    development: vars.ENVIRONMENT === "development",
    hostOverrides: hostOverridesFromJson(vars.HOST_OVERRIDES),
    signal: controller.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...clientOptions,
  });
  const ctx: ConnectorContext = { http, signal: controller.signal, now: now ?? (() => new Date()) };
  return { ctx, sleeps, controller };
}

export function streamSpec(name: string): StreamSpec {
  const spec = hubspotConnector.streams.find((s) => s.name === name);
  if (!spec) throw new Error(`no hubspot stream ${name}`);
  return spec;
}

export function readRequest(stream: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: streamSpec(stream), sync_mode: syncMode, state, checkpoint };
}

export async function readAll(ctx: ConnectorContext, config: HubspotConfig, request: ReadRequest, connector = hubspotConnector): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of connector.read(ctx, config, request)) pages.push(JSON.parse(JSON.stringify(page)) as Page);
  return pages;
}

/** Pages until the read fails, and the failure. */
export async function readUntilError(ctx: ConnectorContext, config: HubspotConfig, request: ReadRequest): Promise<{ pages: Page[]; error: any }> {
  const pages: Page[] = [];
  try {
    for await (const page of hubspotConnector.read(ctx, config, request)) pages.push(page);
  } catch (error) {
    return { pages, error };
  }
  throw new Error(`the read did not fail; it delivered ${pages.length} pages`);
}

export const records = (pages: Page[]): SourceRecord[] => pages.flatMap((p) => p.records);
export const idsOf = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => String(r.id));
export const sorted = (ids: string[]) => [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));

/** The API requests of a log (token requests and control calls are not in it unless asked for). */
export const apiRequests = (log: LoggedRequest[]) => log.filter((r) => r.path.startsWith("/crm/"));
