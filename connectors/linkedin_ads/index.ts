/**
 * `linkedin_ads`: entity streams and daily adAnalytics (read.ts) through the Marketing API client (client.ts:
 * versioned headers, Rest.li query values, OAuth refresh with rotated tokens saved, 429s waited out). `check`
 * reads the configured ad accounts (or the first page of those the token can see), so a token without access is
 * named before any run.
 */
import type { Connector } from "../kit/contract";
import { linkedinClient } from "./client";
import { readAnalytics, readEntities } from "./read";
import { ANALYTICS_PIVOTS, type LinkedinAdsConfig, linkedinAdsSpec } from "./spec";

export const linkedinAdsConnector = {
  ...linkedinAdsSpec,

  async check(ctx, config) {
    const ids = config.account_ids ?? [];
    await linkedinClient(ctx, config).getJson({
      url: "/adAccounts",
      query: { q: "search", pageSize: 1 },
      ...(ids.length ? { rawQuery: { search: `(id:(values:List(${ids.join(",")})))` } } : {}),
    });
  },

  async *read(ctx, config, request) {
    if (request.stream.name in ANALYTICS_PIVOTS) yield* readAnalytics(ctx, config, request);
    else yield* readEntities(ctx, config, request);
  },
} satisfies Connector<LinkedinAdsConfig>;
