/**
 * Shopify Admin GraphQL API (research/connectors-saas.md §4; REST Admin is legacy since 2024-10). Streams are the
 * GraphQL connections, named as the schema spells them; ids are GIDs (gid://shopify/Order/123). Incremental reads
 * pass `query: "updated_at:>='…'"` and, where the connection has it, `sortKey: UPDATED_AT`.
 * Deletions: Shopify reports them only for products and collections (`deletionEvents`, DeletionEventSubjectType
 * PRODUCT and COLLECTION); incremental reads of those two streams read them as soft deletes.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import {
  apiVersionField,
  credentialField,
  exclusiveCredentialSets,
  type Fields,
  secretField,
  startDateField,
  stream,
} from "../kit/spec-helpers";

/** Quarterly releases, each supported at least 12 months; an unsupported version silently falls forward, so pin. */
const API_VERSION = "2026-07";

const credentialSets = [["access_token"], ["client_id", "client_secret"]];

const config = z
  .object({
    shop: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*(\.myshopify\.com)?$/i, "must be the shop's myshopify name, e.g. my-store or my-store.myshopify.com")
      .describe("Your shop's myshopify.com name (my-store or my-store.myshopify.com), not a custom domain."),
    access_token: secretField(
      "Admin API access token (shpat_…) of a custom app installed on the shop, with read scopes for the selected streams (read_all_orders for orders older than 60 days). Give this OR client_id + client_secret.",
    ),
    client_id: credentialField("Client ID of a Dev Dashboard app installed on a shop your organisation owns (client-credentials grant)."),
    client_secret: secretField("Client secret of that app; tokens are requested per run and expire after about 24 hours."),
    api_version: apiVersionField(API_VERSION, /^\d{4}-(01|04|07|10)$/, "2026-07"),
    start_date: startDateField(),
  })
  .strict()
  .superRefine(exclusiveCredentialSets(credentialSets));

export type ShopifyConfig = z.infer<typeof config>;

const node: Fields = { id: "string", legacyResourceId: "string", updatedAt: "date-time" };
const created: Fields = { createdAt: "date-time" };

const connection = (name: string, fields: Fields, deletes = false) =>
  stream(name, { primaryKey: ["id"], cursor: "updatedAt", fields: { ...node, ...fields }, ...(deletes ? { deletes } : {}) });

/**
 * A child stream: keyed by its own GID, with its parent's id and its parent's updatedAt (the cursor: a child is
 * read again whenever its parent changes, which is when Shopify moves the parent's updatedAt).
 */
const child = (name: string, parent: string, fields: Fields) =>
  stream(name, { primaryKey: ["id"], cursor: `${parent}UpdatedAt`, fields: { id: "string", [`${parent}Id`]: "string", [`${parent}UpdatedAt`]: "date-time", ...fields } });

export const shopifySpec = {
  type: "shopify",
  title: "Shopify",
  category: "ecommerce",
  auth_method: "api_key|oauth2_client_credentials",
  api_version: API_VERSION,
  config,
  secret_fields: ["access_token", "client_secret"],
  credential_sets: credentialSets,
  streams: [
    connection("orders", {
      ...created,
      name: "string",
      email: "string",
      processedAt: "date-time",
      cancelledAt: "date-time",
      closedAt: "date-time",
      displayFinancialStatus: "string",
      displayFulfillmentStatus: "string",
      currencyCode: "string",
      totalPriceSet: "object",
      customer: "object",
    }),
    // Nested connections and lists of an order, each its own stream (research §4: paginate children separately).
    child("orderLineItems", "order", { name: "string", sku: "string", quantity: "integer", currentQuantity: "integer", originalUnitPriceSet: "object", variant: "object" }),
    child("orderRefunds", "order", { legacyResourceId: "string", createdAt: "date-time", updatedAt: "date-time", note: "string", totalRefundedSet: "object" }),
    child("orderTransactions", "order", { kind: "string", status: "string", gateway: "string", createdAt: "date-time", processedAt: "date-time", amountSet: "object" }),
    child("fulfillments", "order", { legacyResourceId: "string", status: "string", createdAt: "date-time", updatedAt: "date-time", trackingInfo: "array" }),
    connection("customers", {
      ...created,
      firstName: "string",
      lastName: "string",
      state: "string",
      tags: "array",
      numberOfOrders: "string",
      verifiedEmail: "boolean",
    }),
    connection("products", {
      ...created,
      title: "string",
      handle: "string",
      status: "string",
      vendor: "string",
      productType: "string",
      tags: "array",
    }, true),
    // Filterable by updated_at but ProductVariantSortKeys has no UPDATED_AT: read through a bulk operation, unsorted.
    connection("productVariants", {
      ...created,
      title: "string",
      sku: "string",
      price: "string",
      product: "object",
      inventoryItem: "object",
      inventoryQuantity: "integer",
    }),
    child("productImages", "product", { url: "string", altText: "string", width: "integer", height: "integer" }),
    connection("collections", { title: "string", handle: "string", sortOrder: "string" }, true),
    connection("inventoryItems", { ...created, sku: "string", tracked: "boolean", unitCost: "object" }),
    child("inventoryLevels", "inventoryItem", { createdAt: "date-time", updatedAt: "date-time", location: "object", quantities: "array" }),
    connection("draftOrders", { ...created, name: "string", status: "string", email: "string", totalPriceSet: "object" }),
    // Few rows and no updated_at filter: read whole.
    stream("locations", {
      primaryKey: ["id"],
      cursor: null,
      fields: { id: "string", legacyResourceId: "string", name: "string", isActive: "boolean", address: "object" },
    }),
  ],
} satisfies LoaderTypeSpec<ShopifyConfig>;
