/**
 * Drives the rest_api connector against the fake REST API (test/fakes/rest-api) the way the engine would: a
 * development-mode http client with HOST_OVERRIDES, and each test in its own fake tenant.
 */
import type { ConnectorContext, Page, ReadRequest } from "../../connectors/kit/contract";
import { type RestApiConfig, restApiConfigSchema } from "../../connectors/rest_api/config";
import { restApiConnector } from "../../connectors/rest_api";
import type { LoggedRequest } from "../fakes/rest-api/tenant";
import { fakeBase, fakePort as fakePortOf, readPages, type ReadRequestOf, readRequestFor, streamNamed } from "../helpers/connector";
import { controlClient, uniqueTenant } from "../helpers/fake-control";

export { connectorContext as context } from "../helpers/connector";

export const fakePort = () => fakePortOf("rest-api");

/** An entry of the fake's request log, as its control API answers it. */
export type { LoggedRequest };

/** A fresh tenant of the fake: its base URLs and its control endpoints. */
export function tenant(prefix: string) {
  const name = uniqueTenant(prefix);
  const root = `${fakeBase("rest-api")}/t/${name}`;
  const control = controlClient(`${root}/_control`);
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

/** The streams are the config's own, so a request names the config first. */
export const readRequest = (cfg: RestApiConfig, ...request: Parameters<ReadRequestOf>): ReadRequest =>
  readRequestFor((name) => streamNamed(restApiConnector.streamsFromConfig(cfg), name))(...request);

export const readAll = (ctx: ConnectorContext, cfg: RestApiConfig, request: ReadRequest): Promise<Page[]> => readPages(restApiConnector, ctx, cfg, request);

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
