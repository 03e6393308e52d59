/**
 * `linkedin_ads`: entity streams and daily adAnalytics (read.ts) through the Marketing API client (client.ts:
 * versioned headers, Rest.li query values, OAuth refresh with rotated tokens saved, 429s waited out). `check`
 * reads the configured ad accounts (or the first page of those the token can see), so a token without access is
 * named before any run.
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { linkedinClient } from "./client";
import { accountSearch, readAnalytics, readEntities } from "./read";
import { ANALYTICS_PIVOTS, type LinkedinAdsConfig, linkedinAdsSpec } from "./spec";

export const linkedinAdsConnector = {
  ...linkedinAdsSpec,

  async check(ctx, config) {
    const ids = config.account_ids ?? [];
    const search = accountSearch(config);
    const found = await linkedinClient(ctx, config).getJson<{ elements?: Array<{ id?: unknown }> }>({ ...search, query: { ...search.query, pageSize: ids.length || 1 } });
    // The search answers only the accounts the member has a role on: a missing one is named, not silently skipped.
    const seen = new Set((found.elements ?? []).map((a) => String(a.id)));
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length) throw new ConnectorError("configuration", `the LinkedIn member has no role on ad account(s) ${missing.join(", ")}: add the member in Campaign Manager (Account settings → Manage access), or remove the id`);
  },

  async *read(ctx, config, request) {
    if (request.stream.name in ANALYTICS_PIVOTS) yield* readAnalytics(ctx, config, request);
    else yield* readEntities(ctx, config, request);
  },
} satisfies Connector<LinkedinAdsConfig>;
