/**
 * The Shopify fake against the vendor's own client (`@shopify/admin-api-client`, pointed at it with
 * `customFetchApi`, which rewrites the shop's URL to the fake and names the shop in X-Forwarded-Host as the kit's
 * client does): paged connections, the cost extension and THROTTLED, unknown fields refused in Shopify's error shape,
 * the whole bulk operation cycle with its JSONL result, and 401s.
 */
import { createAdminApiClient } from "@shopify/admin-api-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startShopifyFake } from "../fakes/shopify/server";
import { controlClient } from "../helpers/fake-control";

let fake: RunningFake;
let base: string;
beforeAll(async () => {
  fake = await startShopifyFake();
  base = `http://127.0.0.1:${fake.port}`;
});
afterAll(() => fake.close());

async function shop(counts: Record<string, number> = {}, extra: Record<string, unknown> = {}) {
  const name = `shop-${crypto.randomUUID().slice(0, 8)}`;
  const control = controlClient(`${base}/_fake/${name}`);
  const seeded = await control("POST", "seed", { counts, ...extra });
  const fetchApi = async (url: string | URL | Request, init?: RequestInit) => {
    const target = new URL(String(url));
    const headers = new Headers(init?.headers);
    headers.set("x-forwarded-host", target.host);
    return fetch(`${base}${target.pathname}${target.search}`, { ...init, headers });
  };
  const client = (token = seeded.token as string) =>
    createAdminApiClient({ storeDomain: `${name}.myshopify.com`, apiVersion: "2026-07", accessToken: token, customFetchApi: fetchApi as typeof fetch });
  return { name, control, seeded, client, fetchApi };
}

describe("shopify fake through @shopify/admin-api-client", () => {
  it("pages a connection with first/after and sortKey, filters by updated_at and reports its cost", async () => {
    const s = await shop({ orders: 7 });
    const api = s.client();
    const orders = (await s.control("GET", "objects/orders")).data as Array<{ id: string; updatedAt: string }>;
    const q = `query Orders($after: String, $q: String) { orders(first: 3, after: $after, query: $q, sortKey: UPDATED_AT) { edges { cursor node { id updatedAt name totalPriceSet { shopMoney { amount currencyCode } } } } pageInfo { hasNextPage endCursor } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await api.request(q, { variables: { after } });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.orders.edges.map((e: any) => e.node.id));
      expect(res.extensions.cost).toMatchObject({ requestedQueryCost: 2 + 3 * 3, throttleStatus: { maximumAvailable: 2000, restoreRate: 100 } });
      if (!res.data.orders.pageInfo.hasNextPage) break;
      after = res.data.orders.pageInfo.endCursor;
    }
    expect(seen).toEqual([...orders].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt)).map((o) => o.id));
    const since = orders[4]!.updatedAt;
    const filtered: any = await api.request(q, { variables: { q: `updated_at:>='${since}'` } });
    expect(filtered.data.orders.edges.map((e: any) => e.node.id)).toEqual(orders.slice(4, 7).map((o) => o.id));
  });

  it("refuses unknown fields and arguments in Shopify's error shape, and a missing page size", async () => {
    const s = await shop();
    const res: any = await s.client().request(`{ orders(first: 2) { edges { node { id colour } } } }`);
    expect(res.errors.graphQLErrors[0]).toMatchObject({ message: "Field 'colour' doesn't exist on type 'Order'", extensions: { code: "undefinedField", typeName: "Order", fieldName: "colour" }, path: ["query", "orders", "edges", "node", "colour"] });
    const noFirst: any = await s.client().request(`{ products { nodes { id } } }`);
    expect(noFirst.errors.graphQLErrors[0].message).toBe("you must provide one of first or last");
    const badSort: any = await s.client().request(`{ productVariants(first: 1, sortKey: UPDATED_AT) { nodes { id } } }`);
    expect(badSort.errors.graphQLErrors[0].extensions.code).toBe("argumentLiteralsIncompatible");
  });

  it("parses what GraphQL allows: fragments, inline fragments, aliases, block strings, default variables; refuses over-cost queries", async () => {
    const s = await shop({ products: 3 });
    const api = s.client();
    const res: any = await api.request(
      `fragment P on Product { id handle variants(first: 5) { nodes { ...V } } }
       fragment V on ProductVariant { sku price }
       query Q($n: Int = 2) { items: products(first: $n, sortKey: TITLE) { edges { node { ...P name: title ... on Product { vendor } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.items.edges).toHaveLength(2);
    expect(res.data.items.edges[0].node).toMatchObject({ id: expect.stringMatching(/Product/), name: "Product 1", vendor: expect.any(String), variants: { nodes: [{ sku: "SKU-1-1", price: expect.any(String) }, { sku: "SKU-1-2", price: expect.any(String) }] } });
    const bulk: any = await api.request(`mutation { bulkOperationRunQuery(query: """
      {
        products { edges { node { id } } }
      }
    """) { bulkOperation { status } userErrors { message } } }`);
    expect(bulk.data.bulkOperationRunQuery).toEqual({ bulkOperation: { status: "CREATED" }, userErrors: [] });
    const tooMuch: any = await api.request(`{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }`);
    expect(tooMuch.errors.graphQLErrors[0].extensions).toMatchObject({ code: "MAX_COST_EXCEEDED" });
  });

  it("answers THROTTLED at HTTP 200 when the bucket cannot pay the requested cost", async () => {
    const s = await shop({}, { bucket: { maximumAvailable: 100, restoreRate: 10 } });
    await s.control("POST", "bucket", { currentlyAvailable: 5 });
    const res = await s.fetchApi(`https://${s.name}.myshopify.com/admin/api/2026-07/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": s.seeded.token },
      body: JSON.stringify({ query: "{ customers(first: 10) { nodes { id } } }" }),
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body.errors[0].extensions.code).toBe("THROTTLED");
    expect(body.extensions.cost).toMatchObject({ requestedQueryCost: 12, actualQueryCost: null, throttleStatus: { maximumAvailable: 100, restoreRate: 10 } });
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThan(12);
  });

  it("runs a bulk operation: CREATED → RUNNING → COMPLETED, one JSONL line per object with __parentId children", async () => {
    const s = await shop({ orders: 4, lineItemsPerOrder: 2 }, { bulk_limit: 1 });
    const api = s.client();
    const inner = `{ orders { edges { node { id name lineItems { edges { node { id quantity } } } } } } }`;
    const run: any = await api.request(`mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`, { variables: { q: inner } });
    expect(run.data.bulkOperationRunQuery).toMatchObject({ bulkOperation: { status: "CREATED" }, userErrors: [] });
    const second: any = await api.request(`mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { message code } } }`, { variables: { q: inner } });
    expect(second.data.bulkOperationRunQuery.userErrors[0].message).toMatch(/already in progress/);
    const id = run.data.bulkOperationRunQuery.bulkOperation.id;
    const statuses: string[] = [];
    let op: any;
    do {
      op = (await api.request(`query Poll($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } } }`, { variables: { id } }) as any).data.node;
      statuses.push(op.status);
    } while (op.status !== "COMPLETED");
    expect(statuses).toEqual(["RUNNING", "COMPLETED"]);
    const lines = (await (await s.fetchApi(op.url)).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4 + 8);
    expect(Number(op.objectCount)).toBe(12);
    const orders = lines.filter((l) => !l.__parentId);
    expect(orders.map((o) => o.id)).toHaveLength(4);
    for (const child of lines.filter((l) => l.__parentId)) expect(orders.map((o) => o.id)).toContain(child.__parentId);
    const current: any = await api.request(`{ currentBulkOperation(type: QUERY) { id status } }`);
    expect(current.data.currentBulkOperation).toEqual({ id, status: "COMPLETED" });
  });

  it("a revoked or wrong token is a 401 with Shopify's body; the client-credentials grant issues a working token", async () => {
    const s = await shop();
    const wrong = await s.fetchApi(`https://${s.name}.myshopify.com/admin/api/2026-07/graphql.json`, { method: "POST", headers: { "content-type": "application/json", "x-shopify-access-token": "shpat_nope" }, body: '{"query":"{ locations(first: 1) { nodes { id } } }"}' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
    const grant = await s.fetchApi(`https://${s.name}.myshopify.com/admin/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: s.seeded.client_id, client_secret: s.seeded.client_secret }).toString(),
    });
    const token: any = await grant.json();
    expect(token).toMatchObject({ access_token: expect.stringMatching(/^shpat_/), expires_in: 86399 });
    const res: any = await s.client(token.access_token).request(`{ locations(first: 5) { nodes { id name } } }`);
    expect(res.data.locations.nodes).toHaveLength(2);
  });
});
