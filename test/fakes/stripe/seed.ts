/**
 * Builds a dataset's history: ~400 days of objects with relationships, second-precision ties, some later updates
 * and deletions. Everything flows through operations.ts in time order where order matters, so events within the
 * retention window carry the object as it was at that moment.
 */
import type { ObjectName } from "./catalog";
import { OBJECT_NAMES } from "./catalog";
import type { Dataset, StoredRecord } from "./dataset";
import { DAY, EVENT_RETENTION_SECONDS } from "./dataset";
import type { InvoiceLineSpec } from "./build-billing";
import type { JsonObject } from "./json";
import { num, text } from "./json";
import type { Moment } from "./operations";
import {
  REMOVERS,
  UPDATERS,
  addCharge,
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
import type { Rng } from "../shared/prng";

export type Counts = Partial<Record<ObjectName, number>>;

/** Listed (not deleted) records per object for a platform account; balance_transactions default to what the rest implies. */
export const DEFAULT_COUNTS: Readonly<Record<ObjectName, number>> = {
  customers: 800,
  products: 30,
  prices: 80,
  subscriptions: 500,
  invoices: 900,
  payment_intents: 1300,
  charges: 1200,
  refunds: 120,
  payouts: 60,
  balance_transactions: 0,
};
/** Connected accounts are usually smaller; a fifth of the platform's defaults keeps memory modest. */
export const CONNECTED_DIVISOR = 5;

const HISTORY_SECONDS = 400 * DAY;
/** The newest seeded record is at least this old, so a test's first mutation is clearly after the seed. */
const QUIET_SECONDS = 60;
const TIE_PROBABILITY = 0.12;
const UPDATE_SHARE = 0.03;

/** Random seconds that repeat now and then: real data has many objects created in the same second. */
function timeline(rng: Rng) {
  const recent: number[] = [];
  return (lower: number, upper: number): number => {
    const lo = Math.ceil(lower);
    const hi = Math.max(lo, Math.floor(upper));
    if (recent.length > 0 && rng.chance(TIE_PROBABILITY)) {
      const candidate = rng.pick(recent);
      if (candidate >= lo && candidate <= hi) return candidate;
    }
    const at = rng.int(lo, hi);
    recent.push(at);
    if (recent.length > 32) recent.shift();
    return at;
  };
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

const amountOf = (rng: Rng) => rng.int(5, 900) * 100 + rng.pick([0, 0, 50, 99]);

export interface SeedReport {
  counts: Record<ObjectName, number>;
  deleted: Partial<Record<ObjectName, number>>;
  events: number;
}

export function seedDataset(ds: Dataset, requested: Counts): SeedReport {
  const rng = ds.rng;
  const now = ds.now();
  const start = now - HISTORY_SECONDS;
  const end = now - QUIET_SECONDS;
  ds.retainEventsFrom = now - EVENT_RETENTION_SECONDS;
  const counts = (name: ObjectName) => Math.max(0, Math.floor(requested[name] ?? 0));
  const at = (time: number): Moment => ({ ds, at: time, origin: { requestId: null } });
  const bankAccount = `ba_${rng.chars(24)}`;

  // Catalogue first: each product launched with its default price, further prices added later.
  const productTime = timeline(rng);
  const products: JsonObject[] = [];
  const prices: JsonObject[] = [];
  const productCount = counts("products");
  const priceCount = counts("prices");
  for (let i = 0; i < productCount; i++) {
    const product = addProduct(at(productTime(start, start + 300 * DAY)), i < priceCount, i === 0 || rng.chance(0.75));
    products.push(product);
    if (product.default_price) prices.push(ds.require("prices", text(product, "default_price")).data);
  }
  const priceTime = timeline(rng);
  for (let i = prices.length; i < priceCount && products.length > 0; i++) {
    const product = rng.pick(products);
    prices.push(addPrice(at(priceTime(num(product, "created"), end)), product, rng.chance(0.75)));
  }
  const recurringPrices = prices.filter((price) => price.type === "recurring");

  const customerTime = timeline(rng);
  const customers: JsonObject[] = [];
  for (let i = 0; i < counts("customers"); i++) customers.push(addCustomer(at(customerTime(start, end))));

  const subscriptionTime = timeline(rng);
  const subscriptions: StoredRecord[] = [];
  if (customers.length > 0 && recurringPrices.length > 0) {
    for (let i = 0; i < counts("subscriptions"); i++) {
      const customer = rng.pick(customers);
      const price = rng.pick(recurringPrices);
      const created = subscriptionTime(Math.max(num(customer, "created"), num(price, "created")), end);
      const status = rng.weighted({
        active: 52, trialing: 7, past_due: 6, canceled: 20, unpaid: 3, incomplete: 4, incomplete_expired: 4, paused: 4,
      });
      const subscription = addSubscription(at(created), customer, price, status);
      subscriptions.push(ds.require("subscriptions", text(subscription, "id")));
    }
  }

  seedInvoices(ds, rng, counts("invoices"), customers, subscriptions, prices, products, end, at);
  const charges = seedPayments(ds, rng, counts("payment_intents"), counts("charges"), customers, start, end, at);
  seedRefunds(rng, counts("refunds"), charges, end, at);

  const payoutTime = timeline(rng);
  for (let i = 0; i < counts("payouts"); i++) {
    const created = payoutTime(start, end);
    const settled = created < now - 3 * DAY;
    const status = settled
      ? rng.weighted({ paid: 92, failed: 5, canceled: 3 })
      : rng.weighted({ pending: 4, in_transit: 3, paid: 3 });
    addPayout(at(created), rng.int(10, 5000) * 100, status, bankAccount);
  }

  const feeTime = timeline(rng);
  const transactions = ds.store("balance_transactions").size;
  for (let i = transactions; i < counts("balance_transactions"); i++) addFee(at(feeTime(start, end)), rng.int(1, 200) * 100);

  const deleted = seedDeletions(ds, rng, counts, products, start, end, at);
  seedUpdates(ds, rng, now, end, at);

  const report: SeedReport = { counts: {} as Record<ObjectName, number>, deleted, events: ds.sortedEvents().length };
  for (const name of OBJECT_NAMES) {
    report.counts[name] = [...ds.store(name).values()].filter((record) => !record.deleted).length;
  }
  return report;
}

function seedInvoices(
  ds: Dataset,
  rng: Rng,
  count: number,
  customers: readonly JsonObject[],
  subscriptions: readonly StoredRecord[],
  prices: readonly JsonObject[],
  products: readonly JsonObject[],
  end: number,
  at: (time: number) => Moment,
) {
  if (customers.length === 0 || prices.length === 0) return;
  const productName = (price: JsonObject) =>
    text(products.find((product) => product.id === price.product) ?? { name: "Item" }, "name");
  const invoiceTime = timeline(rng);
  const plans: { created: number; customer: JsonObject; subscription: StoredRecord | null; specs: InvoiceLineSpec[] }[] = [];
  for (let i = 0; i < count; i++) {
    const subscription = subscriptions.length > 0 && rng.chance(0.7) ? rng.pick(subscriptions) : null;
    if (subscription) {
      const sub = subscription.data;
      const item = ((sub.items as JsonObject).data as JsonObject[])[0] as JsonObject;
      const price = item.price as JsonObject;
      const customer = ds.require("customers", text(sub, "customer")).data;
      const lastDay = typeof sub.ended_at === "number" ? sub.ended_at : end;
      const created = invoiceTime(num(sub, "created"), Math.min(end, Math.max(num(sub, "created"), lastDay)));
      const specs = [{ price, productName: productName(price), quantity: num(item, "quantity"), subscriptionItem: text(item, "id") }];
      plans.push({ created, customer, subscription, specs });
    } else {
      const customer = rng.pick(customers);
      // A few long invoices, so `lines` has more than the embedded first page.
      const lineCount = rng.chance(0.03) ? rng.int(11, 25) : rng.int(1, 3);
      const currency = rng.pick(prices).currency;
      const sameCurrency = prices.filter((price) => price.currency === currency);
      const specs = Array.from({ length: lineCount }, () => {
        const price = rng.pick(sameCurrency);
        return { price, productName: productName(price), quantity: rng.int(1, 5), subscriptionItem: null };
      });
      const earliest = Math.max(num(customer, "created"), ...specs.map((spec) => num(spec.price, "created")));
      plans.push({ created: invoiceTime(earliest, end), customer, subscription: null, specs });
    }
  }
  plans.sort((a, b) => a.created - b.created);
  const invoiced = new Set<string>();
  for (const plan of plans) {
    const recent = plan.created > end - DAY;
    const status = recent
      ? rng.weighted({ draft: 3, open: 4, paid: 3 })
      : rng.weighted({ paid: 80, open: 7, void: 6, uncollectible: 3, draft: 1 });
    let reason = "manual";
    if (plan.subscription) {
      const id = text(plan.subscription.data, "id");
      reason = invoiced.has(id) ? "subscription_cycle" : "subscription_create";
      invoiced.add(id);
    }
    addInvoice(at(plan.created), plan.customer, plan.subscription, plan.specs, status, reason);
  }
}

function seedPayments(
  ds: Dataset,
  rng: Rng,
  intentCount: number,
  chargeCount: number,
  customers: readonly JsonObject[],
  start: number,
  end: number,
  at: (time: number) => Moment,
): StoredRecord[] {
  const paymentTime = timeline(rng);
  const withCharge = Math.min(intentCount, chargeCount);
  const chargedSlots = new Set(shuffled(rng, Array.from({ length: intentCount }, (_, i) => i)).slice(0, withCharge));
  const charges: StoredRecord[] = [];
  const payer = () => (customers.length > 0 && rng.chance(0.8) ? rng.pick(customers) : null);
  const currency = () => rng.weighted({ usd: 85, eur: 10, gbp: 5 });
  for (let i = 0; i < intentCount; i++) {
    const customer = payer();
    const created = paymentTime(customer ? num(customer, "created") : start, end);
    const charged = chargedSlots.has(i);
    const { charge } = addPayment(at(created), {
      customer: customer ? text(customer, "id") : null,
      amount: amountOf(rng),
      currency: currency(),
      charge: charged ? rng.weighted({ succeeded: 88, failed: 8, pending: 4 }) : null,
      captured: rng.chance(0.97),
      pendingStatus: rng.weighted({ requires_payment_method: 40, canceled: 35, requires_action: 15, requires_confirmation: 10 }),
    });
    if (charge) charges.push(ds.require("charges", text(charge, "id")));
  }
  // Charges beyond the intents are legacy Charges-API charges with no PaymentIntent.
  for (let i = withCharge; i < chargeCount; i++) {
    const customer = payer();
    const created = paymentTime(customer ? num(customer, "created") : start, end);
    const outcome = rng.weighted({ succeeded: 9, failed: 1 });
    const charge = addCharge(at(created), null, customer ? text(customer, "id") : null, amountOf(rng), currency(), outcome, true);
    charges.push(ds.require("charges", text(charge, "id")));
  }
  return charges;
}

/** Refunds go to distinct charges while there are enough; beyond that some charges are refunded in parts. */
function seedRefunds(rng: Rng, count: number, charges: readonly StoredRecord[], end: number, at: (time: number) => Moment) {
  const eligible = charges.filter((record) => refundable(record.data) > 0 && num(record.data, "created") < end - 60);
  if (eligible.length === 0) return;
  const order = shuffled(rng, eligible);
  const picks = Array.from({ length: count }, (_, i) => (i < order.length ? (order[i] as StoredRecord) : rng.pick(eligible)));
  const perCharge = new Map<StoredRecord, number>();
  for (const record of picks) perCharge.set(record, (perCharge.get(record) ?? 0) + 1);
  const plans = picks.map((record) => {
    const created = num(record.data, "created");
    return { record, created: rng.int(created + 60, Math.max(created + 60, Math.min(end, created + 60 * DAY))) };
  });
  plans.sort((a, b) => a.created - b.created);
  for (const plan of plans) {
    const left = perCharge.get(plan.record) ?? 1;
    perCharge.set(plan.record, left - 1);
    const remaining = refundable(plan.record.data);
    // The last refund of a charge takes what is left; earlier ones are partial.
    const amount = left <= 1 ? (rng.chance(0.7) ? remaining : Math.max(1, Math.floor(remaining / 2))) : Math.max(1, Math.floor(remaining / (left + 1)));
    if (amount > 0) addRefund(at(plan.created), plan.record, amount);
  }
}

/** Extra records that were created and later deleted: they are not in the listed counts, only in events and GET. */
function seedDeletions(
  ds: Dataset,
  rng: Rng,
  counts: (name: ObjectName) => number,
  products: readonly JsonObject[],
  start: number,
  end: number,
  at: (time: number) => Moment,
): Partial<Record<ObjectName, number>> {
  const plan: { name: ObjectName; record: StoredRecord; when: number }[] = [];
  const created = (name: ObjectName, data: JsonObject) => {
    const record = ds.require(name, text(data, "id"));
    plan.push({ name, record, when: rng.int(num(data, "created") + 1, Math.max(num(data, "created") + 1, end)) });
  };
  const time = timeline(rng);
  for (let i = 0; i < Math.round(counts("customers") * 0.02); i++) created("customers", addCustomer(at(time(start, end))));
  for (let i = 0; i < Math.round(counts("products") * 0.05); i++)
    created("products", addProduct(at(time(start, end)), false, false));
  for (let i = 0; i < Math.round(counts("prices") * 0.03) && products.length > 0; i++) {
    const product = rng.pick(products);
    created("prices", addPrice(at(time(num(product, "created"), end)), product, false));
  }
  plan.sort((a, b) => a.when - b.when);
  const deleted: Partial<Record<ObjectName, number>> = {};
  for (const step of plan) {
    REMOVERS[step.name]?.apply(at(step.when), step.record);
    deleted[step.name] = (deleted[step.name] ?? 0) + 1;
  }
  return deleted;
}

/** A few records changed recently, so the events feed has `*.updated` entries with `previous_attributes`. */
function seedUpdates(ds: Dataset, rng: Rng, now: number, end: number, at: (time: number) => Moment) {
  const windowStart = now - EVENT_RETENTION_SECONDS + DAY;
  const plan: { name: ObjectName; record: StoredRecord; when: number }[] = [];
  for (const name of OBJECT_NAMES) {
    const updater = UPDATERS[name];
    if (!updater) continue;
    for (const record of ds.store(name).values()) {
      if (!updater.eligible(record) || !rng.chance(UPDATE_SHARE)) continue;
      const earliest = Math.max(num(record.data, "created") + 60, windowStart);
      if (earliest >= end) continue;
      plan.push({ name, record, when: rng.int(earliest, end) });
    }
  }
  plan.sort((a, b) => a.when - b.when);
  for (const step of plan) {
    const updater = UPDATERS[step.name];
    if (updater?.eligible(step.record)) updater.apply(at(step.when), step.record);
  }
}
