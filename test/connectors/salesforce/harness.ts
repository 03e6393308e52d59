/**
 * Drives the salesforce connector against the Salesforce fake (test/fakes/salesforce) as the engine does: a
 * development-mode kit client with HOST_OVERRIDES, a config naming the production hosts, one fake tenant (org) per
 * test, and the fake's control API to seed data, inject faults and read its request log.
 */
import { env } from "cloudflare:workers";
import type { ConnectorContext, JsonObject, Page, ReadRequest, StreamSpec, SyncMode } from "../../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../../connectors/kit/host-policy";
import { createHttpClient, type HttpClientOptions } from "../../../connectors/kit/http";
import { salesforceConnector } from "../../../connectors/salesforce";
import { type SalesforceConfig, salesforceSpec } from "../../../connectors/salesforce/spec";

export const CLIENT_ID = "loaders-test-client";
export const CLIENT_SECRET = "loaders-test-client-secret";
export const VERSION = "66.0";

/** Small orgs by default: every object named, since the fake gives an unnamed object its default (thousands). */
export const SMALL = { User: 5, Account: 30, Contact: 40, Lead: 20, Opportunity: 25, Case: 15, Invoice__c: 12 };

export function fakeBase(): string {
  const port = (JSON.parse(env.FAKE_PORTS) as Record<string, number>).salesforce;
  if (!port) throw new Error('the "salesforce" fake is not registered in test/fakes/index.ts');
  return `http://127.0.0.1:${port}`;
}

export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string | null;
  api_version: string | null;
  status: number;
}

export type Row = Record<string, unknown>;

/** A fresh org of the fake, named uniquely, with its control endpoints. */
export function org(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const control = async <T = any>(method: string, action: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${fakeBase()}/_fake/${name}/${action}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`control ${action} failed: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  return {
    name,
    refreshToken: `refresh-${name}`,
    seed: (counts: Record<string, number> = SMALL) => control("POST", "seed", { counts, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    mutate: (body: Record<string, unknown>) =>
      control<{ object: string; at: string; created: string[]; updated: string[]; deleted: string[] }>("POST", "mutate", body),
    /** Every record of an object as the API renders it, deleted ones included: the expectations' source. */
    records: async (object: string) => (await control<{ records: Row[] }>("GET", `records/${object}`)).records,
    requests: async () => (await control<{ requests: LoggedRequest[] }>("GET", "requests")).requests,
    clearRequests: () => control("DELETE", "requests"),
  };
}
export type FakeOrg = ReturnType<typeof org>;

export function sfConfig(o: FakeOrg, extra: Record<string, unknown> = {}): SalesforceConfig {
  return salesforceSpec.config.parse({
    instance_url: "https://mycompany.my.salesforce.com",
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: o.refreshToken,
    ...extra,
  });
}

/** Vars every Worker has (wrangler.toml, overridden by the vitest config); test/env.d.ts declares only test ones. */
const vars = env as unknown as { ENVIRONMENT?: string; HOST_OVERRIDES?: string };

/** The engine's side: a development client as extract-chunk.ts builds it, with recorded (not slept) waits. */
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

export function catalogStream(name: string): StreamSpec {
  const found = salesforceSpec.streams.find((s) => s.name === name) ?? salesforceSpec.unlistedStream(name);
  if (!found) throw new Error(`no stream ${name}`);
  return found;
}

export function readRequest(stream: StreamSpec | string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  return { stream: typeof stream === "string" ? catalogStream(stream) : stream, sync_mode: syncMode, state, checkpoint };
}

export async function readAll(ctx: ConnectorContext, config: SalesforceConfig, request: ReadRequest): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of salesforceConnector.read(ctx, config, request)) pages.push(page);
  return pages;
}

export const records = (pages: Page[]) => pages.flatMap((p) => p.records);
export const idsOf = (rows: Row[]) => rows.map((r) => r.Id as string);

/** The fake's records of an object that a given read must return, in the read's order (SystemModstamp, Id). */
export function expectedRows(all: Row[], options: { deleted?: boolean; since?: string } = {}): Row[] {
  return all
    .filter((r) => options.deleted || r.IsDeleted !== true)
    .filter((r) => !options.since || Date.parse(String(r.SystemModstamp)) >= Date.parse(options.since))
    .sort((a, b) => {
      const at = Date.parse(String(a.SystemModstamp)) - Date.parse(String(b.SystemModstamp));
      return at !== 0 ? at : String(a.Id) < String(b.Id) ? -1 : 1;
    });
}

/** A record as the connector delivers it: the fake's raw fields minus compound addresses (components are kept). */
export function asDelivered(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([field]) => !/^(Billing|Mailing)Address$/.test(field)));
}

export function apiRequests(log: LoggedRequest[]): LoggedRequest[] {
  return log.filter((r) => r.path.startsWith("/services/data/"));
}

export function tokenRequests(log: LoggedRequest[]): LoggedRequest[] {
  return log.filter((r) => r.path === "/services/oauth2/token");
}
