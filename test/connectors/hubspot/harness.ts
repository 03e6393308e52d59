/**
 * Drives the hubspot connector against the HubSpot fake (test/fakes/hubspot, README there) the way the engine does:
 * a development-mode kit client with HOST_OVERRIDES (configs name the production host), one fake tenant per test,
 * and the fake's control API as the oracle.
 */
import { hubspotConnector } from "../../../connectors/hubspot";
import type { HubspotConfig } from "../../../connectors/hubspot/spec";
import type { LoggedRequest as FakeLoggedRequest } from "../../fakes/hubspot/tenants";
import type { ConnectorContext, Page, ReadRequest, StreamSpec } from "../../../connectors/kit/contract";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import { connectorContext, fakeBase as fakeBaseOf, readPages, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient, uniqueTenant } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";

export const FAKE_CLIENT_ID = "fake-hubspot-client-id";
export const FAKE_CLIENT_SECRET = "fake-hubspot-client-secret";

export const fakeBase = () => fakeBaseOf("hubspot");

/** An entry of the fake's request log; `body` loosened so tests can reach into the JSON they sent. */
export interface LoggedRequest extends Omit<FakeLoggedRequest, "body"> {
  body: any;
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
  const name = uniqueTenant(prefix);
  const control = controlClient(`${fakeBase()}/_fake/${name}`);
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

/** The engine's side; `now` is the connector's clock, in place of the kit client's option of that name. */
export function context(options: Partial<Omit<HttpClientOptions, "now">> & { now?: () => Date } = {}) {
  const { now, ...client } = options;
  return connectorContext(client, now);
}

export const streamSpec = (name: string): StreamSpec => streamNamed(hubspotConnector.streams, name);
export const readRequest = readRequestFor(streamSpec);

/** Pages as JSON copies, each taken the moment the connector yields it. */
export const readAll = (ctx: ConnectorContext, config: HubspotConfig, request: ReadRequest, connector = hubspotConnector): Promise<Page[]> =>
  readPages(connector, ctx, config, request, (page) => JSON.parse(JSON.stringify(page)) as Page);

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

export const idsOf = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => String(r.id));
export const sorted = (ids: string[]) => [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));

/** The API requests of a log (token requests and control calls are not in it unless asked for). */
export const apiRequests = (log: LoggedRequest[]) => log.filter((r) => r.path.startsWith("/crm/"));
