/**
 * `facebook_ads`: object streams and async insights reports (read.ts) through the Graph client (client.ts: version,
 * token, usage headers, Meta's error codes). `check` reads each configured ad account's name, so a token without
 * access to one of them is named before any run.
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { digits, facebookClient } from "./client";
import { readInsights, readObjects } from "./read";
import { type FacebookAdsConfig, facebookAdsSpec, facebookInsightsReports, OBJECT_STREAMS } from "./spec";

export const facebookAdsConnector = {
  ...facebookAdsSpec,

  async check(ctx, config) {
    for (const account of config.account_ids.map(digits)) {
      await facebookClient(ctx, config, account).getJson({ url: `/act_${account}`, query: { fields: "name,account_status" } });
    }
  },

  async *read(ctx, config, request) {
    const name = request.stream.name;
    if (OBJECT_STREAMS.includes(name)) {
      yield* readObjects(ctx, config, request);
      return;
    }
    const report = facebookInsightsReports[name] ?? (config.custom_insights ?? []).find((r) => r.name === name);
    if (!report) throw new ConnectorError("configuration", `"${name}" is neither a facebook_ads stream nor one of this loader's custom_insights`);
    yield* readInsights(ctx, config, request, report);
  },
} satisfies Connector<FacebookAdsConfig>;
