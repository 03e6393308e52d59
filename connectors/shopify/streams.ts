/**
 * What each catalog stream of spec.ts reads: its root connection, the node selection (Admin GraphQL field names,
 * so records arrive as the schema spells them), and how — a bulk operation for connections that grow with the shop
 * (orders, customers, products, …), paged queries (`first`/`after`) for the few that stay small (collections,
 * locations). A child stream reads its parent's connection with the child nested (a connection: its nodes arrive as
 * JSONL lines of their own with `__parentId`; a list: inline in the parent's line) and keeps only the children.
 */
import type { StreamSpec } from "../kit/contract";
import { shopifySpec } from "./spec";

export interface ShopifyChild {
  /** The parent's field holding the children. */
  field: string;
  /** A nested connection (`lineItems`) or a plain list of objects (`refunds`), with its arguments (`(first: 250)`). */
  kind: "connection" | "list";
  args?: string;
  /** The column names for the parent's id and updatedAt: `orderId`, `orderUpdatedAt`. */
  parent: string;
}

export interface ShopifyStream {
  /** The root connection of QueryRoot. */
  root: string;
  mode: "bulk" | "paged";
  /** Whether the root connection takes `query: "updated_at:…"` (locations cannot be filtered by it). */
  filterable: boolean;
  /** Paged reads: the sort key, where the connection's enum has UPDATED_AT; else ID. */
  sortKey?: "UPDATED_AT" | "ID";
  /** The fields selected on each node (of the child, for a child stream). */
  select: string;
  child?: ShopifyChild;
  /** The DeletionEventSubjectType whose deletion events are this stream's soft deletes (products, collections). */
  deletions?: "PRODUCT" | "COLLECTION";
}

const money = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }";

const ORDER =
  `id legacyResourceId name email createdAt updatedAt processedAt cancelledAt closedAt displayFinancialStatus displayFulfillmentStatus currencyCode totalPriceSet ${money} customer { id }`;

const STREAMS: Record<string, ShopifyStream> = {
  orders: { root: "orders", mode: "bulk", filterable: true, select: ORDER },
  orderLineItems: {
    root: "orders",
    mode: "bulk",
    filterable: true,
    select: `id name sku quantity currentQuantity originalUnitPriceSet ${money} variant { id }`,
    child: { field: "lineItems", kind: "connection", parent: "order" },
  },
  orderRefunds: {
    root: "orders",
    mode: "bulk",
    filterable: true,
    select: `id legacyResourceId createdAt updatedAt note totalRefundedSet ${money}`,
    child: { field: "refunds", kind: "list", parent: "order" },
  },
  orderTransactions: {
    root: "orders",
    mode: "bulk",
    filterable: true,
    select: `id kind status gateway createdAt processedAt amountSet ${money}`,
    child: { field: "transactions", kind: "list", parent: "order" },
  },
  fulfillments: {
    root: "orders",
    mode: "bulk",
    filterable: true,
    select: "id legacyResourceId status createdAt updatedAt trackingInfo { company number url }",
    child: { field: "fulfillments", kind: "list", parent: "order" },
  },
  customers: { root: "customers", mode: "bulk", filterable: true, select: "id legacyResourceId createdAt updatedAt firstName lastName state tags numberOfOrders verifiedEmail" },
  products: { root: "products", mode: "bulk", filterable: true, select: "id legacyResourceId createdAt updatedAt title handle status vendor productType tags", deletions: "PRODUCT" },
  productVariants: {
    root: "productVariants",
    mode: "bulk",
    filterable: true,
    select: "id legacyResourceId createdAt updatedAt title sku price inventoryQuantity product { id } inventoryItem { id }",
  },
  productImages: { root: "products", mode: "bulk", filterable: true, select: "id url altText width height", child: { field: "images", kind: "connection", parent: "product" } },
  collections: { root: "collections", mode: "paged", filterable: true, sortKey: "UPDATED_AT", select: "id legacyResourceId updatedAt title handle sortOrder", deletions: "COLLECTION" },
  inventoryItems: { root: "inventoryItems", mode: "bulk", filterable: true, select: "id legacyResourceId createdAt updatedAt sku tracked unitCost { amount currencyCode }" },
  inventoryLevels: {
    root: "inventoryItems",
    mode: "bulk",
    filterable: true,
    select: 'id createdAt updatedAt location { id } quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity }',
    child: { field: "inventoryLevels", kind: "connection", parent: "inventoryItem" },
  },
  draftOrders: { root: "draftOrders", mode: "bulk", filterable: true, select: `id legacyResourceId createdAt updatedAt name status email totalPriceSet ${money}` },
  locations: { root: "locations", mode: "paged", filterable: false, sortKey: "ID", select: "id legacyResourceId name isActive address { address1 city countryCode zip }" },
};

/** The table must cover the catalog exactly: a served stream without a query is a bug of this file. */
function checked(streams: readonly StreamSpec[]): Map<string, ShopifyStream> {
  const missing = streams.filter((s) => !STREAMS[s.name]).map((s) => s.name);
  const extra = Object.keys(STREAMS).filter((name) => !streams.some((s) => s.name === name));
  if (missing.length || extra.length) throw new Error(`shopify streams table: missing ${missing.join(", ") || "none"}; not in the catalog ${extra.join(", ") || "none"}`);
  return new Map(Object.entries(STREAMS));
}

const BY_NAME = checked(shopifySpec.streams);

export function shopifyStream(name: string): ShopifyStream | undefined {
  return BY_NAME.get(name);
}
