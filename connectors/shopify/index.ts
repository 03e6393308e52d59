/**
 * `shopify`: the catalog of spec.ts read through the kit — one client per read (shopifyClient: the shop's host, the
 * pinned version, the token or client-credentials grant, the shared cost bucket), the stream table (streams.ts) and
 * the read plans (read.ts: bulk operations polled across chunks, paged queries).
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { shopifyClient } from "./client";
import { readShopifyStream } from "./read";
import { type ShopifyConfig, shopifySpec } from "./spec";
import { shopifyStream } from "./streams";

export const shopifyConnector = {
  ...shopifySpec,

  /** The shop's name: proves the host, the token and the pinned version for a point or two. */
  async check(ctx, config) {
    await shopifyClient(ctx, config).query("{ shop { name } }", {}, 2);
  },

  async *read(ctx, config, request) {
    const stream = shopifyStream(request.stream.name);
    if (!stream) throw new ConnectorError("configuration", `"${request.stream.name}" is not a Shopify stream; see GET /loader-types for the catalog`);
    yield* readShopifyStream(ctx, shopifyClient(ctx, config), config, request, stream);
  },
} satisfies Connector<ShopifyConfig>;
