/**
 * The one client a Shopify read uses: the shop's Admin GraphQL endpoint at the pinned version, the access token (or
 * the client-credentials grant) in `X-Shopify-Access-Token`, and every query paid for in the loader's shared cost
 * bucket before it is sent (DESIGN §5.4). Shopify answers each query with `extensions.cost`: the bucket's size,
 * what is left and its restore rate, which reshape and lower the shared bucket, and the actual cost, whose
 * difference from what was reserved is given back. A THROTTLED answer (another app or loader spent the bucket) is
 * retried by kit/graphql.ts after the time the restore rate gives.
 */
import { apiKey, type AuthProvider } from "../kit/auth";
import type { ConnectorContext, TokenBucket } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { graphql, type GraphqlResponse } from "../kit/graphql";
import type { HttpClient } from "../kit/http";
import { oauth2ClientCredentials } from "../kit/oauth2";
import type { ShopifyConfig } from "./spec";

/**
 * The bucket assumed until the shop's first answer reports its own: the smallest documented one (1,000 points
 * restored at 50 per second; research §4 "Rate limits", plans restore 100–2,000 per second (verify)), so no stream
 * overspends a small shop before the report arrives.
 */
const ASSUMED_BUCKET: TokenBucket = { capacity: 1000, refillPerSecond: 50 };
/** One query may cost at most 1,000 points (research §4). */
export const MAX_QUERY_COST = 1000;

export function shopHost(config: ShopifyConfig): string {
  const name = config.shop.toLowerCase();
  return name.endsWith(".myshopify.com") ? name : `${name}.myshopify.com`;
}

/** Bulk query operations a shop runs at once for one app: one before 2026-01, five from 2026-01 (shopify.dev bulk operations guide). */
export function bulkConcurrency(version: string): number {
  return version >= "2026-01" ? 5 : 1;
}

export interface ShopifyClient {
  shop: string;
  version: string;
  /** The query, paid for in the shared bucket: `estimate` reserved first, the difference given back after. */
  query<T>(text: string, variables: Record<string, unknown>, estimate: number): Promise<GraphqlResponse<T>>;
  /** The engine's client without Shopify's credentials, for result files on other hosts (signed URLs). */
  download: HttpClient;
  budgetKey(kind: "cost" | "bulk"): string;
}

function shopifyAuth(config: ShopifyConfig, host: string): AuthProvider {
  if (config.access_token) return apiKey("x-shopify-access-token", "header", config.access_token);
  if (config.client_id && config.client_secret) {
    return oauth2ClientCredentials({
      tokenUrl: `https://${host}/admin/oauth/access_token`,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      tokenHeader: { name: "x-shopify-access-token" },
    });
  }
  throw new ConnectorError("configuration", "Shopify credentials are incomplete: give an access_token (shpat_…), or client_id and client_secret");
}

export function shopifyClient(ctx: ConnectorContext, config: ShopifyConfig): ShopifyClient {
  const shop = shopHost(config);
  const version = config.api_version;
  const http = ctx.http.extend({ baseUrl: `https://${shop}`, auth: shopifyAuth(config, shop) });
  const url = `https://${shop}/admin/api/${version}/graphql.json`;
  const budgetKey = (kind: "cost" | "bulk") => `shopify:${shop}:${kind}`;
  /** What each query text was last charged by Shopify: a better reservation than the estimate from its shape. */
  const requested = new Map<string, number>();
  return {
    shop,
    version,
    download: ctx.http,
    budgetKey,
    async query<T>(text: string, variables: Record<string, unknown>, estimate: number) {
      const budget = ctx.budget;
      const reserve = Math.min(MAX_QUERY_COST, Math.max(1, requested.get(text) ?? estimate));
      if (budget) await budget.take(budgetKey("cost"), reserve, ASSUMED_BUCKET);
      let response: GraphqlResponse<T>;
      try {
        response = await graphql<T>(http, { url, query: text, variables });
      } catch (error) {
        // A refused query (an error before execution) was never charged.
        if (budget && !(error instanceof ConnectorError && error.kind === "retryable")) await budget.observe(budgetKey("cost"), { refund: reserve }).catch(() => {});
        throw error;
      }
      // An unsupported version is not refused: Shopify silently serves the oldest supported one (research §4), whose
      // schema may differ from the one this reader was written for.
      const served = response.headers.get("x-shopify-api-version");
      if (served && served !== version) {
        throw new ConnectorError("configuration", `${shop} served API version ${served} instead of ${version}, which Shopify no longer supports; set api_version to a supported version`);
      }
      const cost = response.cost;
      if (typeof cost?.requestedQueryCost === "number") requested.set(text, cost.requestedQueryCost);
      const status = cost?.throttleStatus;
      if (budget && status) {
        const actual = typeof cost?.actualQueryCost === "number" ? cost.actualQueryCost : reserve;
        await budget.observe(budgetKey("cost"), {
          capacity: status.maximumAvailable,
          refillPerSecond: status.restoreRate,
          available: status.currentlyAvailable,
          refund: Math.max(0, reserve - actual),
        });
      }
      return response;
    },
  };
}
