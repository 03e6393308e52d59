/**
 * `klaviyo`: the catalog of spec.ts read through the kit — one http client per read (klaviyoClient: host, pinned
 * revision, key or OAuth, error shapes, rate tier), the endpoint table (streams.ts) and the read plans (read.ts).
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { klaviyoClient } from "./client";
import { readKlaviyoStream } from "./read";
import { type KlaviyoConfig, klaviyoSpec } from "./spec";
import { klaviyoStream } from "./streams";

export const klaviyoConnector = {
  ...klaviyoSpec,

  /** One list: proves the credentials, the revision and a read scope, for the cost of the cheapest request. */
  async check(ctx, config) {
    await klaviyoClient(ctx, config).getJson({ url: "/lists", query: { "page[size]": 1 } });
  },

  async *read(ctx, config, request) {
    const stream = klaviyoStream(request.stream.name);
    if (!stream) throw new ConnectorError("configuration", `"${request.stream.name}" is not a Klaviyo stream; see GET /loader-types for the catalog`);
    const http = klaviyoClient(ctx, config, { name: stream.group ? `${stream.group.path}/profiles` : stream.path, limits: stream.tier });
    yield* readKlaviyoStream(ctx, http, config, request, stream);
  },
} satisfies Connector<KlaviyoConfig>;
