/**
 * The object types the fake serves, as data: URL segment, `object` value, id prefix, the list filters each list
 * endpoint documents (https://docs.stripe.com/api — "List all …" pages), and which fields `expand[]` may inflate.
 * Parameters not declared here are answered with `parameter_unknown`, like the API does.
 */
import type { JsonObject } from "./json";
import type { ParamObject } from "./params";
import { readBoolean, readString, readStringArray } from "./params";
import { invalidRequest } from "./errors";

export const OBJECT_NAMES = [
  "customers",
  "products",
  "prices",
  "subscriptions",
  "invoices",
  "payment_intents",
  "charges",
  "refunds",
  "payouts",
  "balance_transactions",
] as const;
export type ObjectName = (typeof OBJECT_NAMES)[number];

type Predicate = (record: JsonObject) => boolean;
/** Builds the predicate for one list parameter; returns undefined when the parameter does not filter. */
type Filter = (params: ParamObject, name: string) => Predicate | undefined;

export interface ObjectKind {
  name: ObjectName;
  object: string;
  prefix: string;
  filters: Record<string, Filter>;
  expandable: readonly string[];
}

const equals =
  (field: string): Filter =>
  (params, name) => {
    const value = readString(params, name);
    return value === undefined ? undefined : (record) => record[field] === value;
  };

const flag =
  (field: string): Filter =>
  (params, name) => {
    const value = readBoolean(params, name);
    return value === undefined ? undefined : (record) => record[field] === value;
  };

const oneOf =
  (field: string, values: readonly string[]): Filter =>
  (params, name) => {
    const value = readString(params, name);
    if (value === undefined) return undefined;
    if (!values.includes(value))
      throw invalidRequest(`Invalid ${name}: must be one of ${values.join(", ")}`, { param: name });
    return (record) => record[field] === value;
  };

const SUBSCRIPTION_STATUSES = [
  "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused",
] as const;

/**
 * "If no value is supplied, all subscriptions that have not been canceled are returned"; `ended` means canceled plus
 * incomplete_expired; `all` means every status (https://docs.stripe.com/api/subscriptions/list).
 */
const subscriptionStatus: Filter = (params, name) => {
  const value = readString(params, name);
  if (value === undefined) return (record) => record.status !== "canceled";
  if (value === "all") return () => true;
  if (value === "ended") return (record) => record.status === "canceled" || record.status === "incomplete_expired";
  if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(value))
    throw invalidRequest(`Invalid status: must be one of all, ended, ${SUBSCRIPTION_STATUSES.join(", ")}`, {
      param: name,
    });
  return (record) => record.status === value;
};

const subscriptionPrice: Filter = (params, name) => {
  const value = readString(params, name);
  if (value === undefined) return undefined;
  return (record) => {
    const items = record.items as JsonObject;
    return (items.data as JsonObject[]).some((item) => (item.price as JsonObject).id === value);
  };
};

const productIds: Filter = (params, name) => {
  const ids = readStringArray(params, name);
  return ids === undefined ? undefined : (record) => ids.includes(record.id as string);
};

const priceType = oneOf("type", ["one_time", "recurring"]);

const kinds: readonly ObjectKind[] = [
  {
    name: "customers",
    object: "customer",
    prefix: "cus",
    filters: { email: equals("email") },
    expandable: [],
  },
  {
    name: "products",
    object: "product",
    prefix: "prod",
    filters: { active: flag("active"), ids: productIds, shippable: flag("shippable") },
    expandable: ["default_price"],
  },
  {
    name: "prices",
    object: "price",
    prefix: "price",
    filters: {
      active: flag("active"),
      currency: equals("currency"),
      product: equals("product"),
      type: priceType,
    },
    expandable: ["product"],
  },
  {
    name: "subscriptions",
    object: "subscription",
    prefix: "sub",
    filters: {
      customer: equals("customer"),
      price: subscriptionPrice,
      status: subscriptionStatus,
      collection_method: oneOf("collection_method", ["charge_automatically", "send_invoice"]),
    },
    expandable: ["customer", "latest_invoice"],
  },
  {
    name: "invoices",
    object: "invoice",
    prefix: "in",
    filters: {
      customer: equals("customer"),
      status: oneOf("status", ["draft", "open", "paid", "uncollectible", "void"]),
      collection_method: oneOf("collection_method", ["charge_automatically", "send_invoice"]),
      subscription: (params, name) => {
        const value = readString(params, name);
        if (value === undefined) return undefined;
        return (record) => {
          const parent = record.parent as JsonObject | null;
          const details = parent?.subscription_details as JsonObject | null | undefined;
          return details?.subscription === value;
        };
      },
    },
    expandable: ["customer"],
  },
  {
    name: "payment_intents",
    object: "payment_intent",
    prefix: "pi",
    filters: { customer: equals("customer") },
    expandable: ["customer", "latest_charge"],
  },
  {
    name: "charges",
    object: "charge",
    prefix: "ch",
    filters: {
      customer: equals("customer"),
      payment_intent: equals("payment_intent"),
      transfer_group: equals("transfer_group"),
    },
    expandable: ["customer", "payment_intent", "balance_transaction"],
  },
  {
    name: "refunds",
    object: "refund",
    prefix: "re",
    filters: { charge: equals("charge"), payment_intent: equals("payment_intent") },
    expandable: ["charge", "payment_intent", "balance_transaction"],
  },
  {
    name: "payouts",
    object: "payout",
    prefix: "po",
    filters: {
      status: oneOf("status", ["pending", "paid", "failed", "canceled", "in_transit"]),
      destination: equals("destination"),
    },
    expandable: ["balance_transaction"],
  },
  {
    name: "balance_transactions",
    object: "balance_transaction",
    prefix: "txn",
    filters: {
      type: equals("type"),
      currency: equals("currency"),
      source: equals("source"),
    },
    expandable: ["source"],
  },
];

export const KINDS = new Map<ObjectName, ObjectKind>(kinds.map((kind) => [kind.name, kind]));

export function kindOf(name: ObjectName): ObjectKind {
  const kind = KINDS.get(name);
  if (!kind) throw new Error(`unknown object ${name}`);
  return kind;
}

/** Which object an id refers to, by its prefix — what `expand[]` and `starting_after` resolve through. */
export function kindOfId(id: string): ObjectKind | undefined {
  const prefix = id.slice(0, id.indexOf("_"));
  return kinds.find((kind) => kind.prefix === prefix);
}

export function isObjectName(value: string): value is ObjectName {
  return (OBJECT_NAMES as readonly string[]).includes(value);
}
