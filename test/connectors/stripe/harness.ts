/**
 * Drives the stripe connector against the Stripe fake (test/fakes/stripe) the way the engine does: a development
 * client with HOST_OVERRIDES, so the connector addresses https://api.stripe.com and reaches the fake. One fake
 * tenant per test; the API key names it.
 */
import { env } from "cloudflare:workers";
import type { ConnectorContext, JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../../connectors/kit/host-policy";
import { createHttpClient, type HttpClientOptions } from "../../../connectors/kit/http";
import { stripeConnector } from "../../../connectors/stripe";
import { type StripeConfig, stripeSpec } from "../../../connectors/stripe/spec";

export const API_VERSION = stripeSpec.api_version;

export function fakeBase(): string {
  const port = (JSON.parse(env.FAKE_PORTS) as Record<string, number>).stripe;
  if (!port) throw new Error('the "stripe" fake is not registered in test/fakes/index.ts');
  return `http://127.0.0.1:${port}`;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  status: number;
}

export interface FakeObjects {
  data: Array<Record<string, any>>;
  deleted: Array<{ id: string; object: string; deleted: true }>;
}

/** A fresh tenant of the fake. Tenant names are alphanumeric because the config's key pattern is. */
export function tenant(prefix = "st") {
  const name = `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const root = `${fakeBase()}/_fake/${name}`;
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${root}/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`control ${method} ${path} failed: ${response.status} ${await response.text()}`);
    return response.json() as Promise<any>;
  };
  return {
    name,
    key: `sk_test_${name}`,
    seed: (body: { counts?: Record<string, number>; account?: string; now?: number } = {}) => control("POST", "seed", body),
    mutate: (body: Record<string, unknown>) =>
      control("POST", "mutate", body) as Promise<{ time: number; created: string[]; updated: string[]; deleted: string[]; events: string[] }>,
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    served: async () => (await control("GET", "faults")).served as Record<string, number>,
    advanceClock: (seconds: number) => control("POST", "clock", { advance_seconds: seconds }) as Promise<{ now: number }>,
    account: () => control("GET", "account") as Promise<{ account: string; now: number }>,
    requests: async () => (await control("GET", "requests")).data as LoggedRequest[],
    clearRequests: () => control("DELETE", "requests"),
    objects: (object: string, account?: string) =>
      control("GET", `objects/${object}${account ? `?account=${account}` : ""}`) as Promise<FakeObjects>,
    drop: () => control("DELETE", ""),
  };
}
export type Tenant = ReturnType<typeof tenant>;

/** Small counts keep each tenant's seed quick while every list still spans several pages of 100. */
export const SMALL_COUNTS = {
  customers: 250,
  products: 12,
  prices: 20,
  subscriptions: 150,
  invoices: 120,
  payment_intents: 160,
  charges: 150,
  refunds: 15,
  payouts: 10,
};

export function stripeConfig(t: Tenant, extra: Partial<StripeConfig> = {}): StripeConfig {
  return stripeSpec.config.parse({ api_key: t.key, ...extra });
}

const vars = env as unknown as { ENVIRONMENT?: string; HOST_OVERRIDES?: string };

/** The engine's side: a development client with recorded (not slept) waits and a clock the test controls. */
export function context(options: Partial<HttpClientOptions> & { at?: Date } = {}) {
  const { at, ...clientOptions } = options;
  const sleeps: number[] = [];
  const controller = new AbortController();
  const http = createHttpClient({
    development: vars.ENVIRONMENT === "development",
    hostOverrides: hostOverridesFromJson(vars.HOST_OVERRIDES),
    signal: controller.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...clientOptions,
  });
  const clock = at ?? new Date();
  const ctx: ConnectorContext = { http, signal: controller.signal, now: () => clock };
  return { ctx, sleeps, controller, nowSeconds: Math.floor(clock.getTime() / 1000) };
}

export function readRequest(stream: string, syncMode: SyncMode, state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  const spec = stripeSpec.streams.find((s) => s.name === stream);
  if (!spec) throw new Error(`no stream ${stream}`);
  return { stream: spec, sync_mode: syncMode, state, checkpoint };
}

export async function readAll(ctx: ConnectorContext, config: StripeConfig, request: ReadRequest): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of stripeConnector.read(ctx, config, request)) pages.push(page);
  return pages;
}

export const records = (pages: Page[]) => pages.flatMap((page) => page.records);

/** The settled error of a promise that must reject. */
export async function failure(promise: Promise<unknown>): Promise<Error & { kind?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { kind?: string; details?: Record<string, unknown> };
  }
  throw new Error("expected a rejection");
}

/** What the connector stamps on listed records: the read's start less its five-minute clock margin. */
export const stampOf = (nowSeconds: number) => nowSeconds - 300;
