/**
 * Drives the stripe connector against the Stripe fake (test/fakes/stripe) the way the engine does: a development
 * client with HOST_OVERRIDES, so the connector addresses https://api.stripe.com and reaches the fake. One fake
 * tenant per test; the API key names it.
 */
import type { ConnectorContext, Page, ReadRequest } from "../../../connectors/kit/contract";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import { stripeConnector } from "../../../connectors/stripe";
import { type StripeConfig, stripeSpec } from "../../../connectors/stripe/spec";
import type { LoggedRequest } from "../../fakes/stripe/tenants";
import { connectorContext, fakeBase, readPages, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";

export const API_VERSION = stripeSpec.api_version;

/** An entry of the fake's request log, as its control API answers it. */
export type { LoggedRequest };

export interface FakeObjects {
  data: Array<Record<string, any>>;
  deleted: Array<{ id: string; object: string; deleted: true }>;
}

/** A fresh tenant of the fake. Tenant names are alphanumeric because the config's key pattern is. */
export function tenant(prefix = "st") {
  const name = `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const control = controlClient(`${fakeBase("stripe")}/_fake/${name}`);
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

/** The engine's side, with a clock the test controls: frozen at `at` (default: now). */
export function context(options: Partial<HttpClientOptions> & { at?: Date } = {}) {
  const { at, ...client } = options;
  const clock = at ?? new Date();
  return { ...connectorContext(client, () => clock), nowSeconds: Math.floor(clock.getTime() / 1000) };
}

export const readRequest = readRequestFor((name) => streamNamed(stripeSpec.streams, name));

export const readAll = (ctx: ConnectorContext, config: StripeConfig, request: ReadRequest): Promise<Page[]> => readPages(stripeConnector, ctx, config, request);

/** What the connector stamps on listed records: the read's start less its five-minute clock margin. */
export const stampOf = (nowSeconds: number) => nowSeconds - 300;
