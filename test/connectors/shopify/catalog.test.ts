/**
 * The shopify catalog is what the connector reads: served as the spec says, every stream reads in full from the fake
 * (one row per key), and each record's fields are exactly the stream's schema (the selection and the spec agree).
 */
import { describe, expect, it } from "vitest";
import { shopifyConnector } from "../../../connectors/shopify";
import { shopifyStream } from "../../../connectors/shopify/streams";
import { servedLoaderType, servedStreams } from "../../helpers/connector";
import { context, readChunks, readRequest, records, type Shop, shop, shopifyConfig } from "./harness";

const CHILDREN: Record<string, [string, string]> = {
  orderLineItems: ["orders", "lineItems"],
  orderRefunds: ["orders", "refunds"],
  orderTransactions: ["orders", "transactions"],
  fulfillments: ["orders", "fulfillments"],
  productImages: ["products", "images"],
  inventoryLevels: ["inventoryItems", "inventoryLevels"],
};

async function truthKeys(s: Shop, name: string): Promise<string[]> {
  const child = CHILDREN[name];
  if (child) return (await s.objects(child[0])).flatMap((parent) => parent[child[1]].map((c: { id: string }) => c.id));
  return (await s.objects(name)).map((o) => o.id);
}

describe("the shopify catalog is what the connector reads", () => {
  it("GET /loader-types serves exactly the connector's streams, each with a query, and the reader", async () => {
    const entry = await servedLoaderType("shopify");
    expect(entry).toMatchObject({ api_version: "2026-07", auth_method: "api_key|oauth2_client_credentials", reader_available: true });
    expect(entry.streams).toEqual(servedStreams(shopifyConnector.streams));
    for (const s of entry.streams) expect(shopifyStream(s.name), s.name).toBeDefined();
  });

  it.each(shopifyConnector.streams.map((s) => s.name))("%s reads in full from the fake: one row per key, fields as the schema says", async (name) => {
    const s = shop();
    await s.seed({});
    const rows = records((await readChunks(context().ctx, shopifyConfig(s), readRequest(name, "full_refresh"))).pages);
    const expected = await truthKeys(s, name);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => String(r.id)).sort()).toEqual(expected.sort());
    const spec = shopifyConnector.streams.find((x) => x.name === name)!;
    expect(Object.keys(rows[0]!).sort()).toEqual(Object.keys(spec.json_schema!.properties).sort());
    expect((await s.requests()).every((r) => r.status === 200 || r.status === 206)).toBe(true);
  });
});
