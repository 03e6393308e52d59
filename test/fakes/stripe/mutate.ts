/**
 * The control API's `mutate`: create, update and delete records of one object type at one moment (the same
 * second for the whole call, after everything already stored), recording the events the API would record.
 */
import type { ObjectName } from "./catalog";
import { isObjectName } from "./catalog";
import type { Dataset, StoredRecord } from "./dataset";
import { ControlError } from "./errors";
import type { JsonObject } from "./json";
import { text } from "./json";
import type { Moment } from "./operations";
import {
  REMOVERS,
  UPDATERS,
  addCustomer,
  addFee,
  addInvoice,
  addPayment,
  addPayout,
  addPrice,
  addProduct,
  addRefund,
  addSubscription,
  refundable,
} from "./operations";

function liveRecords(ds: Dataset, name: ObjectName, keep: (data: JsonObject) => boolean = () => true): StoredRecord[] {
  return [...ds.store(name).values()].filter((record) => !record.deleted && keep(record.data));
}

function pickLive(ds: Dataset, name: ObjectName, keep?: (data: JsonObject) => boolean): StoredRecord {
  const candidates = liveRecords(ds, name, keep);
  if (candidates.length === 0) throw new ControlError(`no suitable ${name} to build on; seed some first`);
  return ds.rng.pick(candidates);
}

const amount = (m: Moment) => m.ds.rng.int(5, 900) * 100;

function payment(m: Moment) {
  const customers = liveRecords(m.ds, "customers");
  return addPayment(m, {
    customer: customers.length > 0 ? text(m.ds.rng.pick(customers).data, "id") : null,
    amount: amount(m),
    currency: "usd",
    charge: "succeeded",
    captured: true,
    pendingStatus: "requires_payment_method",
  });
}

/**
 * How a new record of each type comes about. Paying creates the PaymentIntent, its charge and the balance
 * transaction together, as confirming a payment does; a refund needs a refundable charge.
 */
const CREATORS: Record<ObjectName, (m: Moment) => string> = {
  customers: (m) => text(addCustomer(m), "id"),
  products: (m) => text(addProduct(m, true, true), "id"),
  prices: (m) => text(addPrice(m, pickLive(m.ds, "products").data, true), "id"),
  subscriptions: (m) => {
    const customer = pickLive(m.ds, "customers").data;
    const price = pickLive(m.ds, "prices", (data) => data.type === "recurring" && data.active === true).data;
    return text(addSubscription(m, customer, price, "active"), "id");
  },
  invoices: (m) => {
    const subscription = pickLive(m.ds, "subscriptions", (data) => data.status === "active");
    const customer = m.ds.require("customers", text(subscription.data, "customer"));
    const item = ((subscription.data.items as JsonObject).data as JsonObject[])[0] as JsonObject;
    const price = item.price as JsonObject;
    const product = m.ds.get("products", text(price, "product"));
    const spec = {
      price,
      productName: product ? text(product.data, "name") : "Item",
      quantity: item.quantity as number,
      subscriptionItem: text(item, "id"),
    };
    return text(addInvoice(m, customer.data, subscription, [spec], "paid", "subscription_cycle"), "id");
  },
  payment_intents: (m) => text(payment(m).intent, "id"),
  charges: (m) => text(payment(m).charge ?? {}, "id"),
  refunds: (m) => {
    const charge = pickLive(m.ds, "charges", (data) => refundable(data) > 0);
    return text(addRefund(m, charge, refundable(charge.data)), "id");
  },
  payouts: (m) => {
    const previous = liveRecords(m.ds, "payouts")[0];
    const destination = previous ? text(previous.data, "destination") : `ba_${m.ds.rng.chars(24)}`;
    return text(addPayout(m, amount(m) * 10, "pending", destination), "id");
  },
  balance_transactions: (m) => text(addFee(m, amount(m) / 10), "id"),
};

/** `n` picks n eligible records at random (deterministically); a list names them. */
function targets(
  ds: Dataset,
  name: ObjectName,
  spec: unknown,
  rule: { eligible(record: StoredRecord): boolean } | undefined,
  verb: string,
): StoredRecord[] {
  if (spec === undefined) return [];
  if (!rule) throw new ControlError(`${name} cannot be ${verb}d through the API`);
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0) throw new ControlError(`${verb} must be a count or a list of ids`);
    const eligible = [...ds.store(name).values()].filter((record) => rule.eligible(record));
    if (eligible.length < spec) throw new ControlError(`only ${eligible.length} ${name} can be ${verb}d`);
    const chosen: StoredRecord[] = [];
    while (chosen.length < spec) {
      const index = ds.rng.int(0, eligible.length - 1);
      chosen.push(eligible[index] as StoredRecord);
      eligible.splice(index, 1);
    }
    return chosen;
  }
  if (!Array.isArray(spec) || !spec.every((id) => typeof id === "string")) {
    throw new ControlError(`${verb} must be a count or a list of ids`);
  }
  return (spec as string[]).map((id) => {
    const record = ds.get(name, id);
    if (!record) throw new ControlError(`no ${name} ${id}`);
    if (!rule.eligible(record)) throw new ControlError(`${name} ${id} cannot be ${verb}d in its current state`);
    return record;
  });
}

export interface MutateResult {
  time: number;
  created: string[];
  updated: string[];
  deleted: string[];
  events: string[];
}

export function mutate(ds: Dataset, body: Record<string, unknown>, requestId: string): MutateResult {
  const name = body.object;
  if (typeof name !== "string" || !isObjectName(name)) throw new ControlError("object must name a listed object type");
  const toUpdate = targets(ds, name, body.update, UPDATERS[name], "update");
  const toDelete = targets(ds, name, body.delete, REMOVERS[name], "delete");
  const createCount = body.create ?? 0;
  if (typeof createCount !== "number" || !Number.isInteger(createCount) || createCount < 0) {
    throw new ControlError("create must be a count");
  }
  const m: Moment = { ds, at: ds.mutationTime(), origin: { requestId } };
  const before = new Set(ds.sortedEvents().map((event) => event.id));
  for (const record of toUpdate) UPDATERS[name]?.apply(m, record);
  const created = Array.from({ length: createCount }, () => CREATORS[name](m));
  for (const record of toDelete) {
    // An earlier target may already have taken this one with it (a customer's subscriptions).
    if (REMOVERS[name]?.eligible(record)) REMOVERS[name]?.apply(m, record);
  }
  const events = ds
    .sortedEvents()
    .filter((event) => !before.has(event.id))
    .map((event) => event.id)
    .reverse();
  return {
    time: m.at,
    created,
    updated: toUpdate.map((record) => text(record.data, "id")),
    deleted: toDelete.map((record) => text(record.data, "id")),
    events,
  };
}
