/**
 * `stripe`: the catalog of spec.ts read through the kit — one http client per read (stripeClient), the endpoint and
 * event-type table (streams.ts), and the list/events phases (read.ts).
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { stripeClient } from "./client";
import { readStripeStream } from "./read";
import { type StripeConfig, stripeSpec } from "./spec";
import { stripeStream } from "./streams";

export const stripeConnector = {
  ...stripeSpec,

  /** One customer: proves the key, the pinned version and the connected account (research §3 suggests it). */
  async check(ctx, config) {
    await stripeClient(ctx, config).getJson({ url: "/customers", query: { limit: 1 } });
  },

  async *read(ctx, config, request) {
    const stream = stripeStream(request.stream.name);
    if (!stream) throw new ConnectorError("configuration", `"${request.stream.name}" is not a Stripe stream; see GET /loader-types for the catalog`);
    yield* readStripeStream(ctx, stripeClient(ctx, config), config, request, stream);
  },
} satisfies Connector<StripeConfig>;
