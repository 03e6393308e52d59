/**
 * Shopify end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Shopify fake
 * through HOST_OVERRIDES, with the engine's own clock, delayed chunks (bulk jobs polled across chunks), the loader's
 * shared budget (cost bucket and bulk slots) and retries.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { runTracker } from "../../../src/engine/dispatch";
import type { RunTracker } from "../../../src/engine/run-tracker";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { createActiveLoader, d1Rows, streamOf, triggerAndWait, uniqueName, waitForRun } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { graphqlRequests, type Shop, shop } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();
const isDownload = (path: string) => path.includes("bulk-operation-outputs");

async function createShopifyLoader(owner: Caller, sourceId: string, s: Shop, schema: string, streams: Array<[string, "incremental" | "full_refresh"]>) {
  return createActiveLoader(owner, { name: "Shopify", loader_type: "shopify", source_id: sourceId, config: { shop: `${s.name}.myshopify.com`, access_token: s.token }, target_schema: schema, streams });
}

describe("shopify → warehouse through the engine", () => {
  it("the Worker has the shopify reader registered", async () => {
    expect(connectorFor("shopify")).toBeDefined();
    expect(await servedLoaderType("shopify")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows, values and types, children joined to their orders, at most five bulk jobs at once; an incremental run re-reads only what changed and updates it in place", async () => {
    const s = shop();
    await s.seed({ counts: { orders: 120, lineItemsPerOrder: 3, customers: 30, products: 15, variantsPerProduct: 2 } });
    // Each job completes at its first poll (the fake's default is one RUNNING poll first, whose 2 s wait the last test
    // keeps): a job still holds its bulk slot from its submission, one chunk, to that poll, the next.
    await s.faults({ bulk_polls: 0 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("SHOPIFY_RAW");
    const p = schema.toLowerCase();
    dropAfterAll(p);
    const loader = await createShopifyLoader(owner, sourceId, s, schema, [
      ["orders", "incremental"],
      ["orderLineItems", "incremental"],
      ["orderTransactions", "incremental"],
      ["fulfillments", "incremental"],
      ["customers", "incremental"],
      ["products", "incremental"],
      ["productVariants", "incremental"],
      ["inventoryLevels", "full_refresh"],
      ["collections", "incremental"],
      ["locations", "full_refresh"],
    ]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0 });
    const orders = await s.objects("orders");
    const items = await query<any>(`select * from "${p}"."order_line_items"`);
    expect(items).toHaveLength(360);
    expect(new Set(items.map((r) => r.id)).size).toBe(360);
    const rows = await query<any>(`select * from "${p}"."orders"`);
    expect(rows).toHaveLength(120);
    const sample = orders[17];
    const row = rows.find((r) => r.id === sample.id);
    expect(row).toMatchObject({ legacy_resource_id: sample.legacyResourceId, name: sample.name, email: sample.email, currency_code: "USD", total_price_set: sample.totalPriceSet, customer: sample.customer, cancelled_at: null, _loader_run_id: first.id });
    expect(row.updated_at.toISOString().replace(".000Z", "Z")).toBe(sample.updatedAt);
    expect(await columnTypes(p, "orders")).toMatchObject({ id: "text", updated_at: "timestamp with time zone", total_price_set: "jsonb", legacy_resource_id: "text" });
    expect(await columnTypes(p, "order_line_items")).toMatchObject({ id: "text", order_id: "text", order_updated_at: "timestamp with time zone", quantity: "bigint" });
    // Every line item belongs to a loaded order, with the order's own updatedAt.
    const joined = await query<any>(`select count(*)::int as n from "${p}"."order_line_items" i join "${p}"."orders" o on o.id = i.order_id and o.updated_at = i.order_updated_at`);
    expect(joined[0].n).toBe(360);
    const item = orders[3].lineItems[2];
    expect(items.find((r) => r.id === item.id)).toMatchObject({ order_id: orders[3].id, quantity: String(item.quantity), original_unit_price_set: item.originalUnitPriceSet });
    expect(await query(`select 1 from "${p}"."order_transactions"`)).toHaveLength(120);
    expect(await query(`select 1 from "${p}"."fulfillments"`)).toHaveLength(120);
    expect(await query(`select 1 from "${p}"."customers"`)).toHaveLength(30);
    expect(await query(`select 1 from "${p}"."product_variants"`)).toHaveLength(30);
    expect(await query(`select 1 from "${p}"."inventory_levels"`)).toHaveLength(30 * 2);
    expect(await query(`select 1 from "${p}"."locations"`)).toHaveLength(2);
    const bulk = await s.bulk();
    expect(bulk.data).toHaveLength(8);
    expect(bulk.max_concurrent).toBeLessThanOrEqual(5);
    // Every submission was accepted: none was sent while the shop's five bulk slots were taken.
    expect(graphqlRequests(await s.requests()).filter((r) => r.query!.startsWith("mutation ShopifyBulkRun"))).toHaveLength(8);

    await s.clearRequests();
    const changed = await s.mutate({ type: "orders", update: orders.slice(0, 3).map((o) => o.id), create: 2 });
    const products = await s.objects("products");
    const gone = await s.mutate({ type: "products", delete: [products[4].id] });
    // The fake stamps each change a second after the last, so two changes in one second date the second one ahead of
    // the wall clock; a read that starts before that time rightly does not see it yet. Start once it has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(gone.time) + 1_100 - Date.now())));
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    expect(streamOf(second, "orders").rows_loaded).toBe(5);
    expect(streamOf(second, "orderLineItems").rows_loaded).toBe(3 * 3 + 2 * 2);
    expect(streamOf(second, "customers").rows_loaded).toBe(0);
    const after = await query<any>(`select id, display_fulfillment_status, _loader_run_id from "${p}"."orders"`);
    expect(after).toHaveLength(122);
    for (const id of [...changed.updated, ...changed.created]) expect(after.find((r) => r.id === id)).toMatchObject({ _loader_run_id: second.id });
    expect(after.find((r) => r.id === changed.updated[0])).toMatchObject({ display_fulfillment_status: "PARTIALLY_FULFILLED" });
    const editedItem = (await query<any>(`select current_quantity from "${p}"."order_line_items" where id = $1`, [orders[0].lineItems[0].id]))[0];
    expect(Number(editedItem.current_quantity)).toBe(0);
    expect(await query(`select 1 from "${p}"."order_line_items"`)).toHaveLength(364);
    // A deleted product stays, marked by its deletion event, its other columns as they were.
    const deleted = await query<any>(`select title, _loader_deleted_at from "${p}"."products" where id = $1`, [products[4].id]);
    expect(deleted).toEqual([{ title: products[4].title, _loader_deleted_at: new Date(gone.time) }]);
    expect(await query(`select 1 from "${p}"."products" where _loader_deleted_at is null`)).toHaveLength(14);
  }, 120_000);

  it("D1: throttling survived through the shared cost bucket — no request is sent into a bucket that cannot pay for it; a bulk job that fails once succeeds on retry", async () => {
    const s = shop();
    // A bucket of 1,000 points (the smallest documented) restored at 100 a second (the standard plan's rate), and more
    // paged reads than it holds; the locations page alone asks for half of it.
    const restoreRate = 100;
    await s.seed({ counts: { collections: 1100, customers: 25 }, bucket: { maximumAvailable: 1000, restoreRate } });
    await s.faults({ bulk_outcomes: ["FAILED"], bulk_polls: 0 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("shopify");
    const loader = await createShopifyLoader(owner, sourceId, s, schema, [
      ["collections", "full_refresh"],
      ["customers", "full_refresh"],
      ["locations", "full_refresh"],
    ]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", streams_failed: 0 });
    const collections = await d1Rows(`${schema.toLowerCase()}__collections`);
    expect(collections).toHaveLength(1100);
    const truth = await s.objects("collections");
    expect(collections.find((r) => r.id === truth[9].id)).toMatchObject({ title: truth[9].title, handle: truth[9].handle, legacy_resource_id: truth[9].legacyResourceId });
    const customers = await d1Rows(`${schema.toLowerCase()}__customers`);
    expect(customers.map((r) => r.id).sort()).toEqual((await s.objects("customers")).map((c) => c.id).sort());
    expect((await s.bulk()).data.map((op) => op.status)).toEqual(["FAILED", "COMPLETED", "COMPLETED"]);

    const sent = graphqlRequests(await s.requests());
    expect(sent.filter((r) => r.throttled)).toEqual([]);
    for (const r of sent) expect(r.available!, r.query).toBeGreaterThanOrEqual(r.requested!);
    // The bucket was really the limit: five pages of 252 points cannot go out at once from 1,000.
    expect(Math.min(...sent.map((r) => r.available!))).toBeLessThan(500);
    const pages = sent.filter((r) => r.query!.includes("collections("));
    expect(pages).toHaveLength(5);
    expect(pages[4]!.at - pages[0]!.at).toBeGreaterThanOrEqual(((5 * 252 - 1000) / restoreRate) * 1000 - 500);
  }, 120_000);

  it("a revoked token fails the streams with Shopify's message and sets the loader to error", async () => {
    const s = shop();
    await s.seed({});
    await s.faults({ revoke: true });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = await createShopifyLoader(owner, sourceId, s, uniqueName("shopify"), [
      ["orders", "full_refresh"],
      ["locations", "full_refresh"],
    ]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "failed", streams_failed: 2 });
    expect(streamOf(run, "orders").error_message).toContain("Invalid API key or access token");
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("Invalid API key or access token") });
    expect(after.status_error).not.toContain(s.token);
  });

  it("a consumer killed mid-result-file is replaced by a delivery that resumes by Range from the committed line: every order once", async () => {
    const s = shop();
    await s.seed({ counts: { orders: 4000, lineItemsPerOrder: 1 } });
    await s.faults({ slow_download_ms: 40 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("shopify");
    const loader = await createShopifyLoader(owner, sourceId, s, schema, [["orders", "full_refresh"]]);
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
    const view = () => runInDurableObject(stub, (instance: RunTracker) => instance.snapshot());
    for (let i = 0; ; i++) {
      const stream = ((await view()) as any).streams[0];
      if (stream?.rows_loaded >= 2000) break;
      if (i > 1200) throw new Error("the run never reached its second result page");
      await new Promise((r) => setTimeout(r, 50));
    }
    // The delivery reading the file is taken over: it stops at its next page, and a new delivery resumes the stream
    // from the tracker's committed checkpoint, inside the result file.
    const committed = await runInDurableObject(stub, (_instance: RunTracker, state) => {
      const sql = state.storage.sql;
      const row = sql.exec<{ chunk: number; checkpoint: string }>("SELECT chunk, checkpoint FROM streams").one();
      sql.exec("UPDATE streams SET chunk = chunk + 1, lease_token = NULL, lease_until = 0");
      return { chunk: row.chunk + 1, checkpoint: JSON.parse(row.checkpoint) };
    });
    expect(committed.checkpoint).toMatchObject({ kind: "bulk", url: expect.any(String), line: expect.any(Number) });
    await env.EXTRACT_QUEUE.send({ kind: "extract", runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "orders", chunk: committed.chunk });
    await s.faults({ slow_download_ms: 0 });
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed" });
    const rows = await d1Rows(`${schema.toLowerCase()}__orders`);
    expect(rows).toHaveLength(4000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(4000);
    const downloads = (await s.requests()).filter((r) => isDownload(r.path));
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads.at(-1)!.range).toMatch(/^bytes=\d+-$/);
    // One job: the takeover polled nothing and submitted nothing again.
    expect((await s.bulk()).data).toHaveLength(1);
  });
});
