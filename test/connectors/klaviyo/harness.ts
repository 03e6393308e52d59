/**
 * Drives the klaviyo connector against the Klaviyo fake (test/fakes/klaviyo) the way the engine does: a development
 * client with HOST_OVERRIDES, so the connector addresses https://a.klaviyo.com and reaches the fake. One fake tenant
 * per test; the private key `pk_<tenant>` names it.
 */
import { klaviyoConnector } from "../../../connectors/klaviyo";
import { type KlaviyoConfig, klaviyoSpec } from "../../../connectors/klaviyo/spec";
import type { ConnectorContext, Page, ReadRequest } from "../../../connectors/kit/contract";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import type { LoggedRequest } from "../../fakes/klaviyo/tenants";
import { connectorContext, fakeBase, readPages, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";
export type { LoggedRequest };

export function tenant(prefix = "kl") {
  const name = `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const control = controlClient(`${fakeBase("klaviyo")}/_fake/${name}`);
  return {
    name,
    key: `pk_${name}`,
    control,
    /**
     * The fake's clock frozen a quarter of an hour back by default: its data and changes are then dated before the
     * reader's window ends (the read's start less SETTLE_SECONDS).
     */
    seed: (body: { counts?: Record<string, number>; now?: number } = {}) => control("POST", "seed", { now: Math.floor(Date.now() / 1000) - 900, ...body }),
    mutate: (body: Record<string, unknown>) => control<{ time: number; created: string[]; updated: string[] }>("POST", "mutate", body),
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    served: async () => (await control("GET", "faults")).served as Record<string, number>,
    limits: (body: Record<string, unknown>) => control("POST", "limits", body),
    oauth: (body: Record<string, unknown>) => control("POST", "oauth", body),
    requests: async () => (await control<{ data: LoggedRequest[] }>("GET", "requests")).data,
    clearRequests: () => control("DELETE", "requests"),
    objects: async (type: string) => (await control<{ data: any[] }>("GET", `objects/${type}`)).data,
    memberships: async (group: string) => (await control<{ data: Array<{ profile_id: string; joined_group_at: number }> }>("GET", `memberships/${group}`)).data,
    account: () => control<{ now: number }>("GET", "account"),
  };
}
export type Tenant = ReturnType<typeof tenant>;

export function klaviyoConfig(t: Tenant, extra: Record<string, unknown> = {}): KlaviyoConfig {
  return klaviyoSpec.config.parse({ api_key: t.key, ...extra });
}

/** The engine's side, with a clock the test controls. */
export function context(options: Partial<HttpClientOptions> & { at?: Date } = {}) {
  const { at, ...client } = options;
  const clock = at ?? new Date();
  return connectorContext(client, () => clock);
}

export const readRequest = readRequestFor((name) => streamNamed(klaviyoSpec.streams, name));

export const readAll = (ctx: ConnectorContext, config: KlaviyoConfig, request: ReadRequest): Promise<Page[]> => readPages(klaviyoConnector, ctx, config, request);

/** Klaviyo's datetimes as seconds. */
export const secondsOf = (iso: unknown) => Date.parse(String(iso)) / 1000;
export const filterTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
