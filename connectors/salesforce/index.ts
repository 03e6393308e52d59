/**
 * `salesforce`: the static catalog and config of spec.ts, read through REST + SOQL (research/connectors-saas.md §1).
 * Every stream is an sObject read the same way (read.ts), so the per-object data is the catalog itself; the code
 * is what SOQL needs: a field list from describe, the query, and resuming after an expired query locator.
 */
import type { Connector } from "../kit/contract";
import { discoverStreams } from "./describe";
import { readObject } from "./read";
import { openSession } from "./session";
import { type SalesforceConfig, salesforceSpec } from "./spec";

export const salesforceConnector = {
  ...salesforceSpec,

  /** Signs in and reads the org's limits: proves the grant, the instance and the API permission for one call. */
  async check(ctx, config) {
    const session = await openSession(ctx, config);
    await session.http.getJson({ url: session.data("limits") });
  },

  /** Every queryable object of the org, custom ones included; the static catalog's objects keep their spec. */
  async discover(ctx, config) {
    return discoverStreams(await openSession(ctx, config), salesforceSpec.streams);
  },

  async *read(ctx, config, request) {
    yield* readObject(ctx, await openSession(ctx, config), config, request);
  },
} satisfies Connector<SalesforceConfig>;
