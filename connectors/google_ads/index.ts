/**
 * `google_ads`: the GAQL streams of spec.ts (built-in and the config's custom queries) read with searchStream
 * (read.ts) through the Ads client (client.ts: version, developer token, login-customer-id, errors). `check` lists the
 * accessible customers (customers:listAccessibleCustomers) and says which configured customer cannot be reached.
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { adsClient, digits } from "./client";
import { readAdsStream } from "./read";
import { type GoogleAdsConfig, googleAdsQueries, googleAdsSpec, parseGaql } from "./spec";

export const googleAdsConnector = {
  ...googleAdsSpec,

  async check(ctx, config) {
    const http = adsClient(ctx, config);
    const { resourceNames = [] } = await http.getJson<{ resourceNames?: string[] }>({ url: "/customers:listAccessibleCustomers" });
    const accessible = new Set(resourceNames.map((name) => name.replace(/^customers\//, "")));
    const through = config.login_customer_id ? digits(config.login_customer_id) : null;
    if (through && !accessible.has(through)) {
      throw new ConnectorError("configuration", `login_customer_id ${config.login_customer_id} is not among the accounts these credentials can access (${[...accessible].join(", ") || "none"}). Use the manager account the credentials were granted on.`);
    }
    if (!through) {
      const missing = config.customer_ids.filter((id) => !accessible.has(digits(id)));
      if (missing.length) {
        throw new ConnectorError("configuration", `customer ${missing.join(", ")} is not directly accessible with these credentials (accessible: ${[...accessible].join(", ") || "none"}). Set login_customer_id to the manager account it is reached through.`);
      }
    }
  },

  async *read(ctx, config, request) {
    const custom = (config.custom_queries ?? []).find((q) => q.name === request.stream.name);
    const query = googleAdsQueries[request.stream.name] ?? (custom ? parseGaql(custom.query) : undefined);
    if (!query) throw new ConnectorError("configuration", `"${request.stream.name}" is neither a built-in Google Ads stream nor one of this loader's custom_queries`);
    yield* readAdsStream(ctx, adsClient(ctx, config), config, request, query, custom?.query);
  },
} satisfies Connector<GoogleAdsConfig>;
