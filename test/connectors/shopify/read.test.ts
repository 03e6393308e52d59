/**
 * The shopify reader against the Shopify fake: the exact GraphQL it sends (pinned version, token header, query
 * documents and variables, updated_at windows with their overlap), paged and bulk reads with their records, child
 * streams keyed by their own GID with the parent's id, bulk jobs that fail and are retried for narrower windows,
 * result files cut mid-transfer and resumed by Range, THROTTLED waits, credentials and version checks.
 */
import { describe, expect, it } from "vitest";
import { isConnectorError } from "../../../connectors/kit/errors";
import { shopifyConnector } from "../../../connectors/shopify";
import { OVERLAP_SECONDS, PAGE_RECORDS } from "../../../connectors/shopify/read";
import { fakeBase } from "../../helpers/connector";
import { context, graphqlRequests, readChunks, readRequest, records, shop, shopifyConfig } from "./harness";

const VERSION = "2026-07";
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

describe("shopify paged streams", () => {
  it("locations: first/after pages sorted by ID, the pinned version and the token on every request, every location once", async () => {
    const s = shop();
    await s.seed({ counts: { locations: 3 } });
    const { pages } = await readChunks(context().ctx, shopifyConfig(s), readRequest("locations", "full_refresh"));
    const truth = await s.objects("locations");
    expect(records(pages)).toEqual(truth.map((l) => ({ id: l.id, legacyResourceId: l.legacyResourceId, name: l.name, isActive: true, address: l.address })));
    const [sent] = graphqlRequests(await s.requests());
    expect(sent).toMatchObject({ path: `/admin/api/${VERSION}/graphql.json`, status: 200, variables: { first: 250, after: null }, headers: { "x-shopify-access-token": s.token } });
    expect(sent!.query).toBe(
      "query ShopifyPage($first: Int!, $after: String) { locations(first: $first, after: $after, sortKey: ID) { nodes { id legacyResourceId name isActive address { address1 city countryCode zip } } pageInfo { hasNextPage endCursor } } }",
    );
  });

  it("collections incremental: sorted by UPDATED_AT, filtered to the window, paged by endCursor; the next read starts OVERLAP_SECONDS before the state", async () => {
    const s = shop();
    await s.seed({ counts: { collections: 260 } });
    const at = new Date();
    const { pages } = await readChunks(context({ at }).ctx, shopifyConfig(s), readRequest("collections", "incremental"));
    const truth = await s.objects("collections");
    expect(records(pages).map((r) => r.id)).toEqual([...truth].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.legacyResourceId - b.legacyResourceId).map((c) => c.id));
    expect(pages.at(-1)!.state).toEqual({ cursor: iso(at.getTime()) });
    expect(pages.slice(0, -1).every((p) => p.state === undefined)).toBe(true);
    const sent = graphqlRequests(await s.requests());
    expect(sent).toHaveLength(3);
    expect(sent[0]!.variables).toEqual({ first: 250, after: null, query: `updated_at:<='${iso(at.getTime())}'` });
    expect(sent[1]!.variables).toMatchObject({ first: 250, after: expect.any(String) });
    // Then the window's deletion events (none yet).
    expect(sent[2]!.query).toContain("deletionEvents(first: $first, after: $after, subjectTypes: [COLLECTION], query: $query, sortKey: ID)");
    expect(sent[2]!.variables).toEqual({ first: 250, after: null, query: `occurred_at:<='${iso(at.getTime())}'` });
    expect(sent[0]!.requested).toBe(2 + 250);

    const changed = await s.mutate({ type: "collections", update: [truth[3].id], create: 1 });
    await s.clearRequests();
    const later = new Date(Date.now() + 2000);
    const second = await readChunks(context({ at: later }).ctx, shopifyConfig(s), readRequest("collections", "incremental", pages.at(-1)!.state!));
    const from = iso(at.getTime() - OVERLAP_SECONDS * 1000);
    expect(graphqlRequests(await s.requests())[0]!.variables).toEqual({ first: 250, after: null, query: `updated_at:>='${from}' AND updated_at:<='${iso(later.getTime())}'` });
    expect(records(second.pages).map((r) => r.id).sort()).toEqual([...changed.updated, ...changed.created].sort());
  });
});

describe("shopify deletions", () => {
  it("products incremental: deletion events in the window arrive as soft deletes, in a page of their own after the changed products", async () => {
    const s = shop();
    await s.seed({ counts: { products: 6 } });
    const first = await readChunks(context().ctx, shopifyConfig(s), readRequest("products", "incremental"));
    const products = await s.objects("products");
    expect(records(first.pages)).toHaveLength(6);
    const changed = await s.mutate({ type: "products", update: [products[0].id], delete: [products[1].id, products[2].id] });
    await s.clearRequests();
    const at = new Date(Date.now() + 2000);
    const second = await readChunks(context({ at }).ctx, shopifyConfig(s), readRequest("products", "incremental", first.pages.at(-1)!.state!));
    const withRecords = second.pages.filter((p) => p.records.length > 0);
    expect(withRecords.map((p) => p.records.map((r) => r.id))).toEqual([[products[0].id], [products[1].id, products[2].id]]);
    expect(withRecords[1]!.records).toEqual(changed.deleted.map((id) => ({ id, updatedAt: changed.time, _loader_deleted_at: changed.time })));
    expect(second.pages.at(-1)!.state).toEqual({ cursor: iso(at.getTime()) });
    const deletionQuery = graphqlRequests(await s.requests()).find((r) => r.query!.includes("deletionEvents"))!;
    expect(String(deletionQuery.variables!.query)).toMatch(/^occurred_at:>='[^']+' AND occurred_at:<='[^']+'$/);
    expect(shopifyConnector.streams.find((x) => x.name === "products")!.reports_deletes).toBe(true);
  });

  it("full_refresh reads no deletion events (the table is replaced)", async () => {
    const s = shop();
    await s.seed({ counts: { collections: 3 } });
    await readChunks(context().ctx, shopifyConfig(s), readRequest("collections", "full_refresh"));
    expect(graphqlRequests(await s.requests()).some((r) => r.query!.includes("deletionEvents"))).toBe(false);
  });
});

describe("shopify bulk streams", () => {
  it("orders: one bulk query for the window, polled across chunks (job id in the checkpoint), the JSONL result a page at a time", async () => {
    const s = shop();
    await s.seed({ counts: { orders: PAGE_RECORDS + 250 } });
    const at = new Date();
    const { pages, chunks, delays } = await readChunks(context({ at }).ctx, shopifyConfig(s, { start_date: "2020-01-01" }), readRequest("orders", "incremental"));
    const truth = await s.objects("orders");
    const rows = records(pages);
    expect(rows).toHaveLength(truth.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(truth.length);
    const sample = truth[77];
    expect(rows.find((r) => r.id === sample.id)).toEqual({
      id: sample.id, legacyResourceId: sample.legacyResourceId, name: sample.name, email: sample.email, createdAt: sample.createdAt, updatedAt: sample.updatedAt,
      processedAt: sample.processedAt, cancelledAt: null, closedAt: null, displayFinancialStatus: sample.displayFinancialStatus, displayFulfillmentStatus: "FULFILLED",
      currencyCode: "USD", totalPriceSet: sample.totalPriceSet, customer: sample.customer,
    });
    // Submitted, then polled RUNNING in the next chunk, then COMPLETED and read in the third.
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toMatchObject({ kind: "bulk", job: expect.stringMatching(/^gid:\/\/shopify\/BulkOperation\//), url: null });
    expect(delays).toEqual([1, 2]);
    const recordPages = pages.filter((p) => p.records.length > 0);
    expect(recordPages.map((p) => p.records.length)).toEqual([PAGE_RECORDS, 250]);
    expect(recordPages[0]!.checkpoint).toMatchObject({ line: PAGE_RECORDS, byteEnd: expect.any(Number) });
    expect(pages.at(-1)!.state).toEqual({ cursor: iso(at.getTime()) });
    expect(pages.slice(0, -1).every((p) => p.state === undefined)).toBe(true);

    const sent = graphqlRequests(await s.requests());
    expect(sent.map((r) => r.query!.split("(")[0]!.split(" ")[1])).toEqual(["ShopifyBulkRun", "ShopifyBulkPoll", "ShopifyBulkPoll"]);
    expect(sent[0]!.variables).toEqual({
      query: `{ orders(query: "updated_at:>='2020-01-01T00:00:00Z' AND updated_at:<='${iso(at.getTime())}'") { edges { node { id legacyResourceId name email createdAt updatedAt processedAt cancelledAt closedAt displayFinancialStatus displayFulfillmentStatus currencyCode totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } customer { id } } } } }`,
    });
    const downloads = (await s.requests()).filter((r) => r.path.includes("bulk-operation-outputs"));
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.headers["x-shopify-access-token"]).toBeUndefined();
  });

  it("child streams: line items from __parentId lines and refunds from the parent's list, keyed by their own GID with the order's id and updatedAt", async () => {
    const s = shop();
    await s.seed({ counts: { orders: 40, lineItemsPerOrder: 3 } });
    const orders = await s.objects("orders");
    const items = records((await readChunks(context().ctx, shopifyConfig(s), readRequest("orderLineItems", "full_refresh"))).pages);
    expect(items).toHaveLength(120);
    const order = orders[5];
    const item = items.find((r) => r.id === order.lineItems[1].id)!;
    expect(item).toMatchObject({ orderId: order.id, orderUpdatedAt: order.updatedAt, quantity: order.lineItems[1].quantity, originalUnitPriceSet: order.lineItems[1].originalUnitPriceSet });
    expect(item).not.toHaveProperty("__parentId");
    const refunds = records((await readChunks(context().ctx, shopifyConfig(s), readRequest("orderRefunds", "full_refresh"))).pages);
    const withRefunds = orders.filter((o) => o.refunds.length > 0);
    expect(refunds.map((r) => r.orderId).sort()).toEqual(withRefunds.map((o) => o.id).sort());
    expect(refunds[0]).toMatchObject({ id: expect.stringMatching(/^gid:\/\/shopify\/Refund\//), note: "damaged", totalRefundedSet: { shopMoney: { amount: "5.00", currencyCode: "USD" } } });
    const levels = records((await readChunks(context().ctx, shopifyConfig(s), readRequest("inventoryLevels", "full_refresh"))).pages);
    expect(levels.length).toBe((await s.objects("inventoryItems")).length * 2);
    expect(levels[0]).toMatchObject({ inventoryItemId: expect.stringMatching(/InventoryItem/), location: { id: expect.stringMatching(/Location/) }, quantities: expect.arrayContaining([{ name: "available", quantity: expect.any(Number) }]) });
  });

  it.each(["FAILED", "CANCELED"])("a job that ends %s is submitted again for each half of its window; its partial data is never read and the state waits for both halves", async (outcome) => {
    const s = shop();
    await s.seed({ counts: { customers: 50 } });
    await s.faults({ bulk_outcomes: [outcome] });
    const at = new Date();
    const { pages } = await readChunks(context({ at }).ctx, shopifyConfig(s, { start_date: "2026-01-01" }), readRequest("customers", "incremental"));
    const truth = await s.objects("customers");
    const rows = records(pages);
    expect(rows.map((r) => r.id).sort()).toEqual(truth.map((c) => c.id).sort());
    const submitted = graphqlRequests(await s.requests()).filter((r) => r.query!.startsWith("mutation ShopifyBulkRun")).map((r) => String(r.variables!.query));
    const upper = iso(at.getTime());
    const mid = iso((Date.parse("2026-01-01T00:00:00Z") + at.getTime()) / 2);
    expect(submitted.map((q) => /query: "([^"]*)"/.exec(q)![1])).toEqual([
      `updated_at:>='2026-01-01T00:00:00Z' AND updated_at:<='${upper}'`,
      `updated_at:>='2026-01-01T00:00:00Z' AND updated_at:<='${mid}'`,
      `updated_at:>'${mid}' AND updated_at:<='${upper}'`,
    ]);
    expect((await s.bulk()).data.map((op) => op.status)).toEqual([outcome, "COMPLETED", "COMPLETED"]);
    expect((await s.requests()).filter((r) => r.path.includes("bulk-operation-outputs")).every((r) => !r.path.includes("partial"))).toBe(true);
    expect(pages.filter((p) => p.state).map((p) => p.state)).toEqual([{ cursor: upper }]);
  });

  it("a shop whose bulk queries are taken by another client: the refusal (OPERATION_IN_PROGRESS) ends the chunk for a minute, then the job runs", async () => {
    const s = shop();
    await s.seed({ counts: { customers: 4 }, bulk_limit: 1 });
    const other = await fetch(`${fakeBase("shopify")}/admin/api/${VERSION}/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-host": `${s.name}.myshopify.com`, "x-shopify-access-token": s.token },
      body: JSON.stringify({ query: 'mutation { bulkOperationRunQuery(query: """{ products { edges { node { id } } } }""") { bulkOperation { id } userErrors { message } } }' }),
    });
    const otherId = ((await other.json()) as any).data.bulkOperationRunQuery.bulkOperation.id;
    const { ctx } = context();
    const first: any[] = [];
    for await (const page of shopifyConnector.read(ctx, shopifyConfig(s), readRequest("customers", "full_refresh"))) first.push(page);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ records: [], resumeAfterSeconds: 60, checkpoint: { job: null } });
    // The other client's job finishes (it is polled to completion); the resumed read submits its own.
    await s.control("POST", "faults", { bulk_polls: 0 });
    for (let i = 0; i < 2; i++) {
      await fetch(`${fakeBase("shopify")}/admin/api/${VERSION}/graphql.json`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-host": `${s.name}.myshopify.com`, "x-shopify-access-token": s.token },
        body: JSON.stringify({ query: "query($id: ID!) { node(id: $id) { ... on BulkOperation { status } } }", variables: { id: otherId } }),
      });
    }
    const rest = await readChunks(ctx, shopifyConfig(s), readRequest("customers", "full_refresh", null, first[0].checkpoint));
    expect(records(rest.pages)).toHaveLength(4);
    expect((await s.bulk()).data.map((op) => op.status)).toEqual(["COMPLETED", "COMPLETED"]);
  });

  it("a job that fails every time fails the stream with Shopify's error code after a bounded number of narrower windows", async () => {
    const s = shop();
    await s.seed({ counts: { customers: 5 } });
    await s.faults({ bulk_outcomes: ["FAILED", "FAILED", "FAILED", "FAILED", "FAILED", "FAILED"] });
    const error = await readChunks(context().ctx, shopifyConfig(s), readRequest("customers", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("data");
    expect(error.message).toMatch(/ended FAILED \(INTERNAL_SERVER_ERROR\) 5 times/);
    expect((await s.bulk()).data).toHaveLength(5);
  });

  it("a result download cut mid-file resumes with Range from the last committed line: every order once", async () => {
    const s = shop();
    await s.seed({ counts: { orders: 2 * PAGE_RECORDS + 300 } });
    await s.faults({ cut_download_after_lines: PAGE_RECORDS + 500 });
    const { ctx } = context();
    const config = shopifyConfig(s);
    const request = readRequest("orders", "full_refresh");
    const kept: any[] = [];
    let checkpoint: any = null;
    const error = await (async () => {
      try {
        for (let n = 0; n < 5; n++) {
          let last: any;
          for await (const page of shopifyConnector.read(ctx, config, { ...request, checkpoint })) {
            kept.push(...page.records);
            checkpoint = page.checkpoint;
            last = page;
            if (page.resumeAfterSeconds !== undefined) break;
          }
          if (last.resumeAfterSeconds === undefined) return null;
        }
      } catch (e) {
        return e;
      }
    })();
    expect(isConnectorError(error) && error.kind).toBe("retryable");
    expect(kept).toHaveLength(PAGE_RECORDS);
    expect(checkpoint).toMatchObject({ line: PAGE_RECORDS });
    const rest = await readChunks(ctx, config, { ...request, checkpoint });
    const all = [...kept, ...records(rest.pages)];
    const truth = await s.objects("orders");
    expect(all).toHaveLength(truth.length);
    expect(new Set(all.map((r) => r.id)).size).toBe(truth.length);
    const downloads = (await s.requests()).filter((r) => r.path.includes("bulk-operation-outputs"));
    expect(downloads.map((d) => d.range ?? null)).toEqual([null, `bytes=${checkpoint.byteEnd}-`]);
  });
});

describe("shopify limits and credentials", () => {
  it("THROTTLED (another app drained the bucket): retried after (requested − available) / restoreRate, then the read goes on", async () => {
    const s = shop();
    await s.seed({ counts: { collections: 20 }, bucket: { maximumAvailable: 1000, restoreRate: 100 } });
    await s.bucket({ currentlyAvailable: 0 });
    const { ctx } = context({ sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
    const { pages } = await readChunks(ctx, shopifyConfig(s), readRequest("collections", "full_refresh"));
    expect(records(pages)).toHaveLength(20);
    const sent = graphqlRequests(await s.requests());
    expect(sent.map((r) => r.throttled ?? false)).toEqual([true, false]);
    const wait = (252 - sent[0]!.available!) / 100;
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(wait * 1000 - 50);
    expect(sent[1]!.available).toBeGreaterThanOrEqual(252);
  });

  it("a wrong or revoked token is a configuration error with Shopify's message, and no retry", async () => {
    const s = shop();
    await s.seed({});
    await s.faults({ revoke: true });
    const error = await readChunks(context().ctx, shopifyConfig(s), readRequest("locations", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("configuration");
    expect(error.message).toMatch(/Invalid API key or access token/);
    expect(graphqlRequests(await s.requests())).toHaveLength(1);
    await expect(shopifyConnector.check(context().ctx, shopifyConfig(s))).rejects.toThrow(/Invalid API key/);
  });

  it("client credentials: a token from the shop's token endpoint goes in X-Shopify-Access-Token", async () => {
    const s = shop();
    const seeded = await s.seed({});
    const config = shopifyConfig(s, { access_token: undefined, client_id: seeded.client_id, client_secret: seeded.client_secret });
    await shopifyConnector.check(context().ctx, config);
    const log = await s.requests();
    expect(log.map((r) => r.path)).toEqual(["/admin/oauth/access_token", `/admin/api/${VERSION}/graphql.json`]);
    expect(log[1]!.headers["x-shopify-access-token"]).toMatch(new RegExp(`^shpat_cc_${s.name}_`));
  });

  it("a version Shopify no longer serves is refused, not silently read at another version", async () => {
    const s = shop();
    await s.seed({});
    const error = await shopifyConnector.check(context().ctx, shopifyConfig(s, { api_version: "2024-01" })).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("configuration");
    expect(error.message).toMatch(/served API version 2025-07 instead of 2024-01/);
  });
});
