/**
 * Drives the salesforce connector against the Salesforce fake (test/fakes/salesforce) as the engine does: a
 * development-mode kit client with HOST_OVERRIDES, a config naming the production hosts, one fake tenant (org) per
 * test, and the fake's control API to seed data, inject faults and read its request log.
 */
import type { ConnectorContext, Page, ReadRequest, StreamSpec } from "../../../connectors/kit/contract";
import { salesforceConnector } from "../../../connectors/salesforce";
import { type SalesforceConfig, salesforceSpec } from "../../../connectors/salesforce/spec";
import type { LogEntry } from "../../fakes/salesforce/tenants";
import { connectorContext, fakeBase as fakeBaseOf, readPages, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient, uniqueTenant } from "../../helpers/fake-control";

export { connectorContext as context, records } from "../../helpers/connector";

export const CLIENT_ID = "loaders-test-client";
export const CLIENT_SECRET = "loaders-test-client-secret";
export const VERSION = "66.0";

/** Small orgs by default: every object named, since the fake gives an unnamed object its default (thousands). */
export const SMALL = { User: 5, Account: 30, Contact: 40, Lead: 20, Opportunity: 25, Case: 15, Invoice__c: 12 };

export const fakeBase = () => fakeBaseOf("salesforce");

/** An entry of the fake's request log, as its control API answers it. */
export type LoggedRequest = LogEntry;

export type Row = Record<string, unknown>;

/** A fresh org of the fake, named uniquely, with its control endpoints. */
export function org(prefix: string) {
  const name = uniqueTenant(prefix);
  const control = controlClient(`${fakeBase()}/_fake/${name}`);
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

/** A stream of the catalog, or a custom object outside it (`Invoice__c`). */
export const catalogStream = (name: string): StreamSpec => streamNamed(salesforceSpec.streams, name, salesforceSpec.unlistedStream);
export const readRequest = readRequestFor(catalogStream);

export const readAll = (ctx: ConnectorContext, config: SalesforceConfig, request: ReadRequest): Promise<Page[]> => readPages(salesforceConnector, ctx, config, request);
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
