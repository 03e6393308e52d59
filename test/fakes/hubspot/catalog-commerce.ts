/** Products (the product library) and line items (a product's quantity and price on a deal). */
import type { CrmObjectDef } from "./catalog";
import { RECURRING_PERIODS } from "./option-sets";
import { number, select, systemProperties, text, textarea } from "./property-defs";

const products: CrmObjectDef = {
  name: "products",
  singular: "product",
  objectTypeId: "0-7",
  createdProperty: "createdate",
  modifiedProperty: "hs_lastmodifieddate",
  defaultProperties: ["createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"],
  queryProperties: ["name", "description", "hs_sku"],
  // Products sit behind the e-commerce scope rather than a crm.objects.* one (verify).
  readScope: "e-commerce",
  writeScope: "e-commerce",
  schemaScope: "e-commerce",
  properties: [
    ...systemProperties("productinformation", "createdate", "hs_lastmodifieddate"),
    text("name", "Name", "productinformation"),
    textarea("description", "Description", "productinformation"),
    number("price", "Unit price", "productinformation"),
    text("hs_sku", "SKU", "productinformation", { unique: true }),
    number("hs_cost_of_goods_sold", "Unit cost", "productinformation"),
    select("hs_recurring_billing_period", "Term", "productinformation", RECURRING_PERIODS),
  ],
};

const lineItems: CrmObjectDef = {
  name: "line_items",
  singular: "line_item",
  objectTypeId: "0-8",
  createdProperty: "createdate",
  modifiedProperty: "hs_lastmodifieddate",
  defaultProperties: [
    "amount",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
    "hs_product_id",
    "name",
    "price",
    "quantity",
  ],
  queryProperties: ["name", "hs_sku"],
  readScope: "crm.objects.line_items.read",
  writeScope: "crm.objects.line_items.write",
  schemaScope: "crm.objects.line_items.read",
  properties: [
    ...systemProperties("lineiteminformation", "createdate", "hs_lastmodifieddate"),
    text("name", "Name", "lineiteminformation"),
    number("quantity", "Quantity", "lineiteminformation"),
    number("price", "Unit price", "lineiteminformation"),
    number("amount", "Net price", "lineiteminformation", { readOnly: true, calculated: true }),
    number("hs_product_id", "Product ID", "lineiteminformation"),
    text("hs_sku", "SKU", "lineiteminformation"),
    number("discount", "Unit discount", "lineiteminformation"),
  ],
};

export const COMMERCE_OBJECTS = { products, line_items: lineItems } as const;
