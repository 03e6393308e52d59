/**
 * What happens when objects are created, updated and deleted: stored state changes plus the events the API records
 * for them (https://docs.stripe.com/api/events/types). Seeding and the control API's `mutate` both go through here,
 * so seeded history and test mutations look alike.
 */
import type { ObjectName } from "./catalog";
import type { Dataset, EventOrigin, StoredRecord } from "./dataset";
import type { InvoiceLineSpec } from "./build-billing";
import { buildCustomer, buildInvoice, buildPrice, buildProduct, buildSubscription } from "./build-billing";
import { buildBalanceTransaction, buildCharge, buildPaymentIntent, buildPayout, buildRefund } from "./build-payments";
import type { Json, JsonObject } from "./json";
import { clone, num, text } from "./json";

export interface Moment {
  ds: Dataset;
  at: number;
  origin: EventOrigin;
}

function emit(m: Moment, type: string, object: JsonObject, previous?: JsonObject) {
  m.ds.emit(type, object, m.at, m.origin, previous);
}

/** Applies top-level field changes and records the event with `previous_attributes`, as the API does. */
function change(m: Moment, record: StoredRecord, changes: JsonObject, type: string | null) {
  const previous: JsonObject = {};
  for (const [key, value] of Object.entries(changes)) {
    previous[key] = clone(record.data[key] ?? null);
    record.data[key] = value;
  }
  m.ds.touch(m.at);
  if (type) emit(m, type, record.data, previous);
}

export function addCustomer(m: Moment): JsonObject {
  const customer = buildCustomer(m.ds, m.at);
  m.ds.insert("customers", customer);
  emit(m, "customer.created", customer);
  return customer;
}

/** A product, optionally created together with its default price (`default_price_data`), both in the same second. */
export function addProduct(m: Moment, withDefaultPrice: boolean, recurring: boolean): JsonObject {
  const product = buildProduct(m.ds, m.at);
  m.ds.insert("products", product);
  if (withDefaultPrice) {
    const price = buildPrice(m.ds, m.at, product, recurring);
    price.active = true;
    product.default_price = text(price, "id");
    m.ds.insert("prices", price);
    emit(m, "product.created", product);
    emit(m, "price.created", price);
  } else {
    emit(m, "product.created", product);
  }
  return product;
}

export function addPrice(m: Moment, product: JsonObject, recurring: boolean): JsonObject {
  const price = buildPrice(m.ds, m.at, product, recurring);
  m.ds.insert("prices", price);
  emit(m, "price.created", price);
  return price;
}

export function addSubscription(m: Moment, customer: JsonObject, price: JsonObject, status: string): JsonObject {
  const subscription = buildSubscription(m.ds, m.at, customer, clone(price), status);
  m.ds.insert("subscriptions", subscription);
  emit(m, "customer.subscription.created", subscription);
  return subscription;
}

export function addInvoice(
  m: Moment,
  customer: JsonObject,
  subscription: StoredRecord | null,
  specs: readonly InvoiceLineSpec[],
  status: string,
  billingReason: string,
): JsonObject {
  const { invoice, lines } = buildInvoice(m.ds, m.at, customer, subscription?.data ?? null, specs, status, billingReason);
  m.ds.insert("invoices", invoice, lines);
  emit(m, "invoice.created", invoice);
  if (subscription && subscription.data.status !== "canceled") {
    change(m, subscription, { latest_invoice: text(invoice, "id") }, "customer.subscription.updated");
  }
  return invoice;
}

function addBalanceTransaction(m: Moment, source: Parameters<typeof buildBalanceTransaction>[2]): JsonObject {
  const transaction = buildBalanceTransaction(m.ds, m.at, source);
  m.ds.insert("balance_transactions", transaction);
  return transaction;
}

export type ChargeOutcome = "succeeded" | "failed" | "pending";

export interface PaymentSpec {
  customer: string | null;
  amount: number;
  currency: string;
  /** Whether the payment was confirmed (producing a charge) and how that went; null leaves the intent unconfirmed. */
  charge: ChargeOutcome | null;
  captured: boolean;
  /** The intent's status when there is no charge. */
  pendingStatus: string;
}

const intentStatusFor: Record<ChargeOutcome, string> = {
  succeeded: "succeeded",
  failed: "requires_payment_method",
  pending: "processing",
};

const intentEventFor: Record<ChargeOutcome, string> = {
  succeeded: "payment_intent.succeeded",
  failed: "payment_intent.payment_failed",
  pending: "payment_intent.processing",
};

/** A PaymentIntent and, once confirmed, its charge and (for a settled charge) the balance transaction. */
export function addPayment(m: Moment, spec: PaymentSpec): { intent: JsonObject; charge: JsonObject | null } {
  const status = spec.charge
    ? spec.charge === "succeeded" && !spec.captured
      ? "requires_capture"
      : intentStatusFor[spec.charge]
    : spec.pendingStatus;
  const intent = buildPaymentIntent(m.ds, m.at, spec.customer, spec.amount, spec.currency, status);
  m.ds.insert("payment_intents", intent);
  emit(m, "payment_intent.created", intent);
  if (!spec.charge) return { intent, charge: null };
  const charge = addCharge(m, intent, spec.customer, spec.amount, spec.currency, spec.charge, spec.captured);
  intent.latest_charge = text(charge, "id");
  if (spec.charge === "failed") {
    intent.last_payment_error = {
      charge: text(charge, "id"),
      code: "card_declined",
      decline_code: "generic_decline",
      message: "Your card was declined.",
      type: "card_error",
    };
  }
  emit(m, spec.captured || spec.charge !== "succeeded" ? intentEventFor[spec.charge] : "payment_intent.amount_capturable_updated", intent);
  return { intent, charge };
}

/** Charges emit `charge.succeeded|failed|pending` on creation; the API has no `charge.created` event. */
export function addCharge(
  m: Moment,
  intent: JsonObject | null,
  customer: string | null,
  amount: number,
  currency: string,
  outcome: ChargeOutcome,
  captured: boolean,
): JsonObject {
  const charge = buildCharge(m.ds, m.at, intent, customer, amount, currency, outcome, captured);
  if (outcome === "succeeded" && captured) {
    charge.balance_transaction = text(addBalanceTransaction(m, { type: "charge", object: charge }), "id");
  }
  m.ds.insert("charges", charge);
  emit(m, `charge.${outcome}`, charge);
  return charge;
}

export function refundable(charge: JsonObject): number {
  if (charge.status !== "succeeded" || charge.captured !== true) return 0;
  return num(charge, "amount") - num(charge, "amount_refunded");
}

export function addRefund(m: Moment, chargeRecord: StoredRecord, amount: number): JsonObject {
  const charge = chargeRecord.data;
  const refund = buildRefund(m.ds, m.at, charge, amount);
  refund.balance_transaction = text(addBalanceTransaction(m, { type: "refund", object: refund }), "id");
  m.ds.insert("refunds", refund);
  emit(m, "refund.created", refund);
  const refunded = num(charge, "amount_refunded") + amount;
  change(m, chargeRecord, { amount_refunded: refunded, refunded: refunded === num(charge, "amount") }, "charge.refunded");
  return refund;
}

export function addPayout(m: Moment, amount: number, status: string, destination: string): JsonObject {
  const payout = buildPayout(m.ds, m.at, amount, status, destination);
  if (status !== "failed" && status !== "canceled") {
    payout.balance_transaction = text(addBalanceTransaction(m, { type: "payout", object: payout }), "id");
  }
  m.ds.insert("payouts", payout);
  emit(m, "payout.created", payout);
  return payout;
}

/** Balance transactions have no events: the ledger is append-only and read by `created`. */
export function addFee(m: Moment, amount: number): JsonObject {
  return addBalanceTransaction(m, { type: "stripe_fee", amount });
}

// ---- updates: each changes a field the API lets you change and records what the API records for it ----

interface Updater {
  eligible(record: StoredRecord): boolean;
  apply(m: Moment, record: StoredRecord): void;
}

const revision = (record: StoredRecord): JsonObject => {
  const metadata = record.data.metadata as JsonObject;
  return { ...metadata, revision: String(Number(metadata.revision ?? "0") + 1) };
};

const live = (record: StoredRecord) => !record.deleted;

export const UPDATERS: Partial<Record<ObjectName, Updater>> = {
  customers: {
    eligible: live,
    apply(m, record) {
      const handle = text(record.data, "email").split("@")[0] ?? "customer";
      change(m, record, { email: `${handle}+${m.ds.rng.chars(4).toLowerCase()}@example.com` }, "customer.updated");
    },
  },
  products: {
    eligible: live,
    apply(m, record) {
      change(m, record, { description: `${text(record.data, "name")} (rev ${m.ds.rng.chars(4)})`, updated: m.at }, "product.updated");
    },
  },
  prices: {
    eligible: live,
    apply(m, record) {
      change(m, record, { nickname: `Tier ${m.ds.rng.chars(3).toUpperCase()}` }, "price.updated");
    },
  },
  subscriptions: {
    // "A canceled subscription can't be updated" — only live subscriptions change.
    eligible: (record) => record.data.status !== "canceled" && record.data.status !== "incomplete_expired",
    apply(m, record) {
      const cancelling = record.data.cancel_at_period_end !== true;
      const item = ((record.data.items as JsonObject).data as JsonObject[])[0];
      change(
        m,
        record,
        {
          cancel_at_period_end: cancelling,
          cancel_at: cancelling && item ? num(item, "current_period_end") : null,
          cancellation_details: { comment: null, feedback: null, reason: cancelling ? "cancellation_requested" : null },
        },
        "customer.subscription.updated",
      );
    },
  },
  invoices: {
    eligible: live,
    apply(m, record) {
      const invoice = record.data;
      const transitions = clone(invoice.status_transitions as JsonObject);
      if (invoice.status === "open") {
        transitions.paid_at = m.at;
        const changes: JsonObject = {
          amount_paid: num(invoice, "amount_due"),
          amount_remaining: 0,
          attempt_count: num(invoice, "attempt_count") + 1,
          attempted: true,
          status: "paid",
          status_transitions: transitions,
        };
        change(m, record, changes, "invoice.updated");
      } else if (invoice.status === "draft") {
        transitions.finalized_at = m.at;
        change(m, record, { status: "open", effective_at: m.at, status_transitions: transitions }, "invoice.updated");
      } else {
        change(m, record, { metadata: revision(record) }, "invoice.updated");
      }
    },
  },
  payment_intents: {
    // PaymentIntents have no `payment_intent.updated` event: a visible change is a status transition.
    eligible: (record) => ["requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing"].includes(record.data.status as string),
    apply(m, record) {
      const intent = record.data;
      if (intent.status === "processing") {
        change(m, record, { status: "succeeded", amount_received: num(intent, "amount") }, "payment_intent.succeeded");
      } else {
        change(
          m,
          record,
          { status: "canceled", canceled_at: m.at, cancellation_reason: "abandoned", amount_capturable: 0 },
          "payment_intent.canceled",
        );
      }
    },
  },
  charges: {
    eligible: live,
    apply(m, record) {
      change(m, record, { description: `Order #${m.ds.rng.int(10_000, 99_999)} (updated)` }, "charge.updated");
    },
  },
  refunds: {
    // Only metadata of a refund can be updated.
    eligible: live,
    apply(m, record) {
      change(m, record, { metadata: revision(record) }, "refund.updated");
    },
  },
  payouts: {
    eligible: live,
    apply(m, record) {
      const next: Record<string, string> = { pending: "in_transit", in_transit: "paid" };
      const status = next[record.data.status as string];
      if (status) {
        const changes: JsonObject = { status };
        if (status === "paid") changes.reconciliation_status = "completed";
        change(m, record, changes, "payout.updated");
      } else {
        change(m, record, { metadata: revision(record) }, "payout.updated");
      }
    },
  },
};

// ---- deletions: the API's own notion of each; objects it cannot delete are refused ----

interface Remover {
  eligible(record: StoredRecord): boolean;
  apply(m: Moment, record: StoredRecord): void;
}

/** Deleted customers, products, prices and invoices leave lists; retrieving one answers `{id, object, deleted: true}`. */
function markDeleted(m: Moment, record: StoredRecord, type: string) {
  record.deleted = true;
  m.ds.touch(m.at);
  emit(m, type, record.data);
}

export function cancelSubscription(m: Moment, record: StoredRecord) {
  change(
    m,
    record,
    {
      status: "canceled",
      canceled_at: m.at,
      ended_at: m.at,
      cancel_at_period_end: false,
      cancellation_details: { comment: null, feedback: null, reason: "cancellation_requested" },
    },
    null,
  );
  emit(m, "customer.subscription.deleted", record.data);
}

export const REMOVERS: Partial<Record<ObjectName, Remover>> = {
  customers: {
    eligible: live,
    apply(m, record) {
      // "Also immediately cancels any active subscriptions on the customer." — DELETE /v1/customers/:id
      for (const subscription of m.ds.store("subscriptions").values()) {
        if (subscription.data.customer === record.data.id && UPDATERS.subscriptions?.eligible(subscription)) {
          cancelSubscription(m, subscription);
        }
      }
      markDeleted(m, record, "customer.deleted");
    },
  },
  products: { eligible: live, apply: (m, record) => markDeleted(m, record, "product.deleted") },
  prices: { eligible: live, apply: (m, record) => markDeleted(m, record, "price.deleted") },
  subscriptions: {
    // Deleting a subscription cancels it; it stays listable with `status=canceled|ended|all`.
    eligible: (record) => UPDATERS.subscriptions?.eligible(record) ?? false,
    apply: cancelSubscription,
  },
  invoices: {
    // "You can only delete draft invoices."
    eligible: (record) => !record.deleted && record.data.status === "draft",
    apply: (m, record) => markDeleted(m, record, "invoice.deleted"),
  },
};

export function deletedStub(record: StoredRecord): Json {
  return { id: record.data.id ?? null, object: record.data.object ?? null, deleted: true };
}
