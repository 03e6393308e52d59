/**
 * One shop's objects for the Shopify fake, generated from a seed, and the schema slice the fake serves: each object
 * type's fields (scalar, object, list of objects, or connection), so the executor answers exactly these and refuses
 * any other field by name. Values follow the Admin GraphQL reference: GIDs, `legacyResourceId` as a string, ISO
 * 8601 DateTime to the second, Money as a decimal string, UnsignedInt64 as a string.
 */
import { createRng, type Rng } from "../shared/prng";

export type Obj = Record<string, unknown>;

export type FieldDef =
  | { kind: "scalar" }
  | { kind: "object"; of: string }
  | { kind: "list"; of: string; args?: string[] }
  | { kind: "connection"; of: string; sortKeys?: string[] };

const S: FieldDef = { kind: "scalar" };
const obj = (of: string): FieldDef => ({ kind: "object", of });
const list = (of: string, args?: string[]): FieldDef => ({ kind: "list", of, ...(args ? { args } : {}) });
const conn = (of: string, sortKeys?: string[]): FieldDef => ({ kind: "connection", of, ...(sortKeys ? { sortKeys } : {}) });

export const TYPES: Record<string, Record<string, FieldDef>> = {
  MoneyV2: { amount: S, currencyCode: S },
  MoneyBag: { shopMoney: obj("MoneyV2"), presentmentMoney: obj("MoneyV2") },
  MailingAddress: { address1: S, city: S, countryCode: S, zip: S },
  LocationAddress: { address1: S, city: S, countryCode: S, zip: S },
  Order: {
    id: S, legacyResourceId: S, name: S, email: S, createdAt: S, updatedAt: S, processedAt: S, cancelledAt: S, closedAt: S,
    displayFinancialStatus: S, displayFulfillmentStatus: S, currencyCode: S, totalPriceSet: obj("MoneyBag"), customer: obj("Customer"),
    lineItems: conn("LineItem"), refunds: list("Refund", ["first"]), transactions: list("OrderTransaction", ["first"]), fulfillments: list("Fulfillment", ["first"]),
  },
  LineItem: { id: S, name: S, sku: S, quantity: S, currentQuantity: S, originalUnitPriceSet: obj("MoneyBag"), variant: obj("ProductVariant") },
  Refund: { id: S, legacyResourceId: S, createdAt: S, updatedAt: S, note: S, totalRefundedSet: obj("MoneyBag") },
  OrderTransaction: { id: S, kind: S, status: S, gateway: S, createdAt: S, processedAt: S, amountSet: obj("MoneyBag") },
  Fulfillment: { id: S, legacyResourceId: S, status: S, createdAt: S, updatedAt: S, trackingInfo: list("FulfillmentTrackingInfo") },
  FulfillmentTrackingInfo: { company: S, number: S, url: S },
  Customer: { id: S, legacyResourceId: S, createdAt: S, updatedAt: S, firstName: S, lastName: S, state: S, tags: S, numberOfOrders: S, note: S, verifiedEmail: S },
  Product: {
    id: S, legacyResourceId: S, createdAt: S, updatedAt: S, title: S, handle: S, status: S, vendor: S, productType: S, tags: S,
    variants: conn("ProductVariant"), images: conn("Image"),
  },
  Image: { id: S, url: S, altText: S, width: S, height: S },
  ProductVariant: {
    id: S, legacyResourceId: S, createdAt: S, updatedAt: S, title: S, sku: S, price: S, inventoryQuantity: S, product: obj("Product"), inventoryItem: obj("InventoryItem"),
  },
  Collection: { id: S, legacyResourceId: S, updatedAt: S, title: S, handle: S, sortOrder: S },
  InventoryItem: { id: S, legacyResourceId: S, createdAt: S, updatedAt: S, sku: S, tracked: S, unitCost: obj("MoneyV2"), inventoryLevels: conn("InventoryLevel") },
  InventoryLevel: { id: S, createdAt: S, updatedAt: S, location: obj("Location"), item: obj("InventoryItem"), quantities: list("InventoryQuantity", ["names"]) },
  InventoryQuantity: { name: S, quantity: S, updatedAt: S },
  Location: { id: S, legacyResourceId: S, name: S, isActive: S, address: obj("LocationAddress"), updatedAt: S },
  DraftOrder: { id: S, legacyResourceId: S, createdAt: S, updatedAt: S, name: S, status: S, email: S, totalPriceSet: obj("MoneyBag") },
  DeletionEvent: { occurredAt: S, subjectId: S, subjectType: S },
  Shop: { id: S, name: S, myshopifyDomain: S, currencyCode: S, ianaTimezone: S },
  PageInfo: { hasNextPage: S, hasPreviousPage: S, startCursor: S, endCursor: S },
  BulkOperation: {
    id: S, status: S, errorCode: S, createdAt: S, completedAt: S, objectCount: S, rootObjectCount: S, fileSize: S, url: S, partialDataUrl: S, query: S, type: S,
  },
  BulkOperationUserError: { field: S, message: S, code: S },
  BulkOperationRunQueryPayload: { bulkOperation: obj("BulkOperation"), userErrors: list("BulkOperationUserError") },
  BulkOperationCancelPayload: { bulkOperation: obj("BulkOperation"), userErrors: list("BulkOperationUserError") },
};

/** The root connections: object type, the shop's collection, sort keys (ProductVariantSortKeys has no UPDATED_AT). */
export const ROOT_CONNECTIONS: Record<string, { of: string; collection: Collection; sortKeys: string[]; filters: string[]; args?: string[] }> = {
  orders: { of: "Order", collection: "orders", sortKeys: ["ID", "UPDATED_AT", "CREATED_AT", "PROCESSED_AT"], filters: ["updated_at", "created_at"] },
  customers: { of: "Customer", collection: "customers", sortKeys: ["ID", "UPDATED_AT", "CREATED_AT"], filters: ["updated_at", "created_at"] },
  products: { of: "Product", collection: "products", sortKeys: ["ID", "UPDATED_AT", "CREATED_AT", "TITLE"], filters: ["updated_at", "created_at"] },
  productVariants: { of: "ProductVariant", collection: "productVariants", sortKeys: ["ID", "SKU", "TITLE"], filters: ["updated_at", "created_at"] },
  collections: { of: "Collection", collection: "collections", sortKeys: ["ID", "UPDATED_AT", "TITLE"], filters: ["updated_at"] },
  inventoryItems: { of: "InventoryItem", collection: "inventoryItems", sortKeys: [], filters: ["updated_at", "created_at"] },
  locations: { of: "Location", collection: "locations", sortKeys: ["ID", "NAME"], filters: [] },
  draftOrders: { of: "DraftOrder", collection: "draftOrders", sortKeys: ["ID", "UPDATED_AT"], filters: ["updated_at", "created_at"] },
  // Deprecated in 2026-10 but served; products and collections only (DeletionEventSubjectType).
  deletionEvents: { of: "DeletionEvent", collection: "deletionEvents", sortKeys: ["ID", "CREATED_AT"], filters: ["occurred_at"], args: ["subjectTypes"] },
};

export type Collection = "orders" | "customers" | "products" | "productVariants" | "collections" | "inventoryItems" | "locations" | "draftOrders" | "deletionEvents";
export const COLLECTIONS: Collection[] = ["orders", "customers", "products", "productVariants", "collections", "inventoryItems", "locations", "draftOrders", "deletionEvents"];

export interface Counts {
  orders?: number;
  customers?: number;
  products?: number;
  collections?: number;
  locations?: number;
  draftOrders?: number;
  lineItemsPerOrder?: number;
  variantsPerProduct?: number;
}

const DEFAULTS: Required<Counts> = { orders: 30, customers: 20, products: 12, collections: 5, locations: 2, draftOrders: 6, lineItemsPerOrder: 3, variantsPerProduct: 2 };

export const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const money = (amount: string) => ({ amount, currencyCode: "USD" });
const bag = (amount: string) => ({ shopMoney: money(amount), presentmentMoney: money(amount) });

/** A shop's objects; `now` is the shop's logical clock (seconds), which every change stamps and then advances. */
export class ShopData {
  readonly objects = new Map<Collection, Obj[]>(COLLECTIONS.map((c) => [c, []]));
  private readonly byId = new Map<string, Obj>();
  private nextId = 1000;
  now: number;
  private readonly rng: Rng;

  constructor(shop: string, counts: Counts, now: number) {
    this.rng = createRng(`shopify/${shop}`);
    this.now = now;
    const n = { ...DEFAULTS, ...counts };
    const start = now - 30 * 86400;
    const at = (i: number, total: number) => start + Math.floor(((now - 60 - start) * (i + 1)) / (total + 1));
    for (let i = 0; i < n.locations; i++) this.location(at(i, n.locations));
    for (let i = 0; i < n.customers; i++) this.customer(at(i, n.customers));
    for (let i = 0; i < n.collections; i++) this.collection(at(i, n.collections));
    for (let i = 0; i < n.products; i++) this.product(at(i, n.products), n.variantsPerProduct);
    for (let i = 0; i < n.orders; i++) this.order(at(i, n.orders), n.lineItemsPerOrder);
    for (let i = 0; i < n.draftOrders; i++) this.draftOrder(at(i, n.draftOrders));
  }

  list(collection: Collection): Obj[] {
    return this.objects.get(collection)!;
  }

  find(id: string): Obj | undefined {
    return this.byId.get(id);
  }

  private gid(type: string): { id: string; legacyResourceId: string } {
    const n = this.nextId++;
    return { id: `gid://shopify/${type}/${n}`, legacyResourceId: String(n) };
  }

  private add(collection: Collection | null, o: Obj): Obj {
    if (collection) this.list(collection).push(o);
    this.byId.set(String(o.id), o);
    return o;
  }

  private location(t: number) {
    const i = this.list("locations").length;
    this.add("locations", { ...this.gid("Location"), name: `Warehouse ${i + 1}`, isActive: true, address: { address1: `${i + 1} Dock Street`, city: "Leeds", countryCode: "GB", zip: "LS1 4AP" }, updatedAt: iso(t) });
  }

  private customer(t: number) {
    const r = this.rng;
    const first = r.pick(["Ada", "Grace", "Linus", "Zoë", "Émile", "Ravi", "Mei"]);
    this.add("customers", {
      ...this.gid("Customer"), createdAt: iso(t), updatedAt: iso(t), firstName: first, lastName: r.pick(["Lovelace", "Hopper", "O'Neil", "Søndergaard", "Ng"]),
      state: r.pick(["ENABLED", "DISABLED", "INVITED"]), tags: r.chance(0.5) ? ["vip"] : [], numberOfOrders: String(r.int(0, 40)), note: null, verifiedEmail: r.chance(0.8),
    });
  }

  private collection(t: number) {
    const i = this.list("collections").length;
    this.add("collections", { ...this.gid("Collection"), updatedAt: iso(t), title: `Collection ${i + 1}`, handle: `collection-${i + 1}`, sortOrder: "BEST_SELLING" });
  }

  private product(t: number, variants: number) {
    const r = this.rng;
    const i = this.list("products").length;
    const product: Obj = {
      ...this.gid("Product"), createdAt: iso(t), updatedAt: iso(t), title: `Product ${i + 1}`, handle: `product-${i + 1}`, status: r.pick(["ACTIVE", "DRAFT", "ARCHIVED"]),
      vendor: r.pick(["Acme", "Globex"]), productType: "Widget", tags: ["new"], variants: [], images: [],
    };
    this.add("products", product);
    for (let v = 0; v < variants; v++) {
      const item: Obj = { ...this.gid("InventoryItem"), createdAt: iso(t), updatedAt: iso(t), sku: `SKU-${i + 1}-${v + 1}`, tracked: true, unitCost: money(`${r.int(1, 90)}.50`), inventoryLevels: [] };
      this.add("inventoryItems", item);
      for (const location of this.list("locations")) {
        const level: Obj = {
          id: `gid://shopify/InventoryLevel/${String(item.legacyResourceId)}?inventory_item_id=${String(item.legacyResourceId)}&location_id=${String(location.legacyResourceId)}`,
          createdAt: iso(t), updatedAt: iso(t), location, item, quantityValues: { available: r.int(0, 50), on_hand: r.int(50, 100) },
        };
        (item.inventoryLevels as Obj[]).push(level);
        this.byId.set(String(level.id), level);
      }
      const variant = this.add("productVariants", {
        ...this.gid("ProductVariant"), createdAt: iso(t), updatedAt: iso(t), title: `Size ${v + 1}`, sku: item.sku, price: `${r.int(5, 200)}.00`, inventoryQuantity: r.int(0, 100), product, inventoryItem: item,
      });
      (product.variants as Obj[]).push(variant);
    }
    (product.images as Obj[]).push(this.add(null, { id: `gid://shopify/ProductImage/${this.nextId++}`, url: `https://cdn.shopify.com/s/files/product-${i + 1}.jpg`, altText: null, width: 800, height: 600 }));
  }

  private order(t: number, lineItems: number) {
    const r = this.rng;
    const customers = this.list("customers");
    const variants = this.list("productVariants");
    const n = this.list("orders").length;
    const items: Obj[] = [];
    let total = 0;
    for (let k = 0; k < lineItems; k++) {
      const variant = variants.length ? variants[(n + k) % variants.length]! : null;
      const price = variant ? Number(variant.price) : 10;
      const quantity = r.int(1, 3);
      total += price * quantity;
      items.push(this.add(null, { ...this.gid("LineItem"), name: variant ? `${String((variant.product as Obj).title)} - ${String(variant.title)}` : `Item ${k}`, sku: variant?.sku ?? null, quantity, currentQuantity: quantity, originalUnitPriceSet: bag(price.toFixed(2)), variant }));
    }
    const paid = total.toFixed(2);
    const refunded = r.chance(0.2);
    const order = this.add("orders", {
      ...this.gid("Order"), name: `#${1001 + n}`, email: `buyer${n}@example.com`, createdAt: iso(t), updatedAt: iso(t), processedAt: iso(t), cancelledAt: null, closedAt: null,
      displayFinancialStatus: refunded ? "PARTIALLY_REFUNDED" : "PAID", displayFulfillmentStatus: "FULFILLED", currencyCode: "USD", totalPriceSet: bag(paid),
      customer: customers.length ? customers[n % customers.length] : null, lineItems: items,
      transactions: [this.add(null, { id: `gid://shopify/OrderTransaction/${this.nextId++}`, kind: "SALE", status: "SUCCESS", gateway: "shopify_payments", createdAt: iso(t), processedAt: iso(t), amountSet: bag(paid) })],
      refunds: refunded ? [this.add(null, { ...this.gid("Refund"), createdAt: iso(t), updatedAt: iso(t), note: "damaged", totalRefundedSet: bag("5.00") })] : [],
      fulfillments: [this.add(null, { ...this.gid("Fulfillment"), status: "SUCCESS", createdAt: iso(t), updatedAt: iso(t), trackingInfo: [{ company: "UPS", number: `1Z${r.chars(10)}`, url: null }] })],
    });
    return order;
  }

  private draftOrder(t: number) {
    const n = this.list("draftOrders").length;
    this.add("draftOrders", { ...this.gid("DraftOrder"), createdAt: iso(t), updatedAt: iso(t), name: `#D${n + 1}`, status: "OPEN", email: `draft${n}@example.com`, totalPriceSet: bag("42.00") });
  }

  /**
   * A change, dated now on the shop's clock (which then moves on a second): `update` names ids (or takes the first n)
   * whose `updatedAt` moves to now (and whose title-like field changes), `create` adds new objects.
   */
  mutate(body: { type: Collection; update?: string[] | number; create?: number; delete?: string[] }): { time: string; updated: string[]; created: string[]; deleted: string[] } {
    const items = this.list(body.type);
    if (!items) throw new Error(`unknown type ${String(body.type)}`);
    // The shop's clock follows real time once it has caught up, so changes made after a read are dated after its start.
    this.now = Math.max(this.now, Math.floor(Date.now() / 1000));
    const time = this.now;
    const targets = typeof body.update === "number" ? items.slice(0, body.update) : (body.update ?? []).map((id) => {
      const found = items.find((o) => o.id === id);
      if (!found) throw new Error(`no ${body.type} ${id}`);
      return found;
    });
    for (const o of targets) {
      o.updatedAt = iso(time);
      if ("title" in o) o.title = `${String(o.title)} (edited)`;
      if ("firstName" in o) o.firstName = `${String(o.firstName)}-edited`;
      if ("email" in o && body.type !== "customers") o.email = `edited-${String(o.email)}`;
      if (body.type === "orders") {
        o.displayFulfillmentStatus = "PARTIALLY_FULFILLED";
        for (const item of o.lineItems as Obj[]) item.currentQuantity = 0;
      }
    }
    const created: string[] = [];
    const before = items.length;
    for (let i = 0; i < (body.create ?? 0); i++) {
      if (body.type === "orders") this.order(time, 2);
      else if (body.type === "customers") this.customer(time);
      else if (body.type === "products") this.product(time, 1);
      else if (body.type === "collections") this.collection(time);
      else if (body.type === "draftOrders") this.draftOrder(time);
      else if (body.type === "locations") this.location(time);
      else throw new Error(`cannot create ${body.type}`);
    }
    for (const o of items.slice(before)) created.push(String(o.id));
    const deleted: string[] = [];
    for (const id of body.delete ?? []) {
      if (body.type !== "products" && body.type !== "collections") throw new Error("only products and collections leave deletion events");
      const index = items.findIndex((o) => o.id === id);
      if (index < 0) throw new Error(`no ${body.type} ${id}`);
      items.splice(index, 1);
      this.byId.delete(id);
      if (body.type === "products") {
        const variants = this.list("productVariants");
        for (let i = variants.length - 1; i >= 0; i--) if ((variants[i]!.product as Obj).id === id) variants.splice(i, 1);
      }
      const n = this.nextId++;
      this.list("deletionEvents").push({ id: `gid://shopify/DeletionEvent/${n}`, legacyResourceId: String(n), createdAt: iso(time), occurredAt: iso(time), subjectId: id, subjectType: body.type === "products" ? "PRODUCT" : "COLLECTION" });
      deleted.push(id);
    }
    this.now += 1;
    return { time: iso(time), updated: targets.map((o) => String(o.id)), created, deleted };
  }
}
