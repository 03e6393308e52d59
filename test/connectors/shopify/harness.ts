/**
 * Drives the shopify connector against the Shopify fake (test/fakes/shopify) the way the engine does: a development
 * client with HOST_OVERRIDES, so the connector addresses https://<shop>.myshopify.com and reaches the fake. One fake
 * shop per test. `readChunks` plays the engine's part for long-running jobs: a page that asks to be resumed later
 * ends the chunk, and the next chunk starts from its checkpoint.
 */
import { shopifyConnector } from "../../../connectors/shopify";
import { type ShopifyConfig, shopifySpec } from "../../../connectors/shopify/spec";
import type { ConnectorContext, Page, ReadRequest } from "../../../connectors/kit/contract";
import type { HttpClientOptions } from "../../../connectors/kit/http";
import type { LoggedRequest } from "../../fakes/shopify/server";
import { connectorContext, fakeBase, readRequestFor, streamNamed } from "../../helpers/connector";
import { controlClient } from "../../helpers/fake-control";

export { records } from "../../helpers/connector";
export type { LoggedRequest };

export function shop(prefix = "shop") {
  const name = `${prefix}-${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const control = controlClient(`${fakeBase("shopify")}/_fake/${name}`);
  return {
    name,
    token: `shpat_${name}`,
    control,
    seed: (body: Record<string, unknown> = {}) => control("POST", "seed", body),
    mutate: (body: Record<string, unknown>) => control<{ time: string; created: string[]; updated: string[]; deleted: string[] }>("POST", "mutate", body),
    faults: (body: Record<string, unknown>) => control("POST", "faults", body),
    bucket: (body: Record<string, unknown>) => control("POST", "bucket", body),
    requests: async () => (await control<{ data: LoggedRequest[] }>("GET", "requests")).data,
    clearRequests: () => control("DELETE", "requests"),
    objects: async (type: string) => (await control<{ data: any[] }>("GET", `objects/${type}`)).data,
    bulk: () => control<{ max_concurrent: number; data: any[] }>("GET", "bulk"),
  };
}
export type Shop = ReturnType<typeof shop>;

export function shopifyConfig(s: Shop, extra: Record<string, unknown> = {}): ShopifyConfig {
  return shopifySpec.config.parse({ shop: s.name, access_token: s.token, ...extra });
}

export function context(options: Partial<HttpClientOptions> & { at?: Date } = {}) {
  const { at, ...client } = options;
  return connectorContext(client, () => at ?? new Date());
}

export const readRequest = readRequestFor((name) => streamNamed(shopifySpec.streams, name));

export interface Chunked {
  pages: Page[];
  /** The checkpoint each chunk started from (null for the first). */
  chunks: Array<Page["checkpoint"] | null>;
  delays: number[];
}

/** Every chunk of a read until it ends, each resumed from the last page's checkpoint as the engine would. */
export async function readChunks(ctx: ConnectorContext, config: ShopifyConfig, request: ReadRequest, maxChunks = 50): Promise<Chunked> {
  const out: Chunked = { pages: [], chunks: [], delays: [] };
  let checkpoint = request.checkpoint;
  for (let n = 0; n < maxChunks; n++) {
    out.chunks.push(checkpoint);
    let last: Page | undefined;
    for await (const page of shopifyConnector.read(ctx, config, { ...request, checkpoint })) {
      out.pages.push(page);
      last = page;
      if (page.resumeAfterSeconds !== undefined) break;
    }
    if (last?.resumeAfterSeconds === undefined) return out;
    out.delays.push(last.resumeAfterSeconds);
    checkpoint = last.checkpoint;
  }
  throw new Error(`the read did not end within ${maxChunks} chunks`);
}

export const graphqlRequests = (log: LoggedRequest[]) => log.filter((r) => r.path.endsWith("/graphql.json"));
