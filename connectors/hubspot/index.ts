/**
 * `hubspot`: HubSpot CRM v3 read with the kit — objects, owners and pipelines (streams.ts says which endpoint each
 * reads and how), through one client per read carrying the token or OAuth refresh and HubSpot's error shapes.
 */
import type { Connector } from "../kit/contract";
import { crmPath, hubspotClient } from "./client";
import { DONE, hubspotCheckpoints, readPhases } from "./phases";
import { type HubspotConfig, hubspotSpec } from "./spec";
import { PROPERTIES_QUERY_BUDGET, planRead } from "./streams";

/**
 * How long before its start a run's window ends. A precaution: search is served from an index that can trail
 * writes, and a change it has not caught up with must stay above the state the run commits.
 */
export const WINDOW_LAG_MS = 5 * 60_000;

export interface HubspotConnectorOptions {
  /** Longest `properties` query value before lists give way to search (tests lower it to reach that path). */
  propertiesQueryBudget?: number;
}

export function createHubspotConnector(options: HubspotConnectorOptions = {}) {
  const planOptions = { propertiesQueryBudget: options.propertiesQueryBudget ?? PROPERTIES_QUERY_BUDGET };
  return {
    ...hubspotSpec,

    /** One contact: proves the credentials (after a token refresh, for OAuth) and the most basic read scope. */
    async check(ctx, config) {
      await hubspotClient(ctx, config).getJson({ url: crmPath("objects/contacts"), query: { limit: 1, archived: false } });
    },

    async *read(ctx, config, request) {
      const resumed = hubspotCheckpoints.resume(request.checkpoint);
      if (resumed?.phase === DONE) return;
      const http = hubspotClient(ctx, config);
      const upper = resumed?.carry.upper ?? new Date(ctx.now().getTime() - WINDOW_LAG_MS).toISOString();
      const { phases, committed } = await planRead(ctx, http, config, request, upper, planOptions);
      yield* readPhases({ ...ctx, http }, { phases, cursorField: request.stream.cursor_field, committed, upper, resumed });
    },
  } satisfies Connector<HubspotConfig>;
}

export const hubspotConnector = createHubspotConnector();
