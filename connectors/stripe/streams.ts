/**
 * Where each catalog stream of spec.ts is read from: its list endpoint, and for mutable objects the event types
 * that carry its changes (https://docs.stripe.com/api/events/types, checked against the `stripe` npm client's
 * Event type union for the pinned version). Types are listed, never `charge.*`: that wildcard would also match
 * `charge.dispute.*`, whose object is a dispute. `invoice.upcoming` is left out: its invoice has no id yet.
 */
import type { Query } from "../kit/http";
import type { StreamSpec } from "../kit/contract";
import { stripeSpec } from "./spec";

export interface StripeStream {
  /** The list endpoint, below https://api.stripe.com/v1. */
  path: string;
  /** Filters every list request needs. */
  params?: Query;
  /** The `object` value of its records; an event whose `data.object` is anything else is not this stream's. */
  object: string;
  /**
   * Mutable objects: the event types that change it. Immutable ones (no list) are read by `created` alone.
   * "types: an array of up to 20 strings" — https://docs.stripe.com/api/events/list
   */
  events?: readonly string[];
}

export const MAX_EVENT_TYPES = 20;

const STREAMS: Record<string, StripeStream> = {
  customers: { path: "/customers", object: "customer", events: ["customer.created", "customer.updated", "customer.deleted"] },
  charges: {
    path: "/charges",
    object: "charge",
    events: ["charge.captured", "charge.expired", "charge.failed", "charge.pending", "charge.refunded", "charge.succeeded", "charge.updated"],
  },
  payment_intents: {
    path: "/payment_intents",
    object: "payment_intent",
    // There is no payment_intent.updated: every visible change is one of these transitions.
    events: [
      "payment_intent.created",
      "payment_intent.amount_capturable_updated",
      "payment_intent.canceled",
      "payment_intent.partially_funded",
      "payment_intent.payment_failed",
      "payment_intent.processing",
      "payment_intent.requires_action",
      "payment_intent.succeeded",
    ],
  },
  invoices: {
    path: "/invoices",
    object: "invoice",
    events: [
      "invoice.created",
      "invoice.updated",
      "invoice.deleted",
      "invoice.finalization_failed",
      "invoice.finalized",
      "invoice.marked_uncollectible",
      "invoice.overdue",
      "invoice.overpaid",
      "invoice.paid",
      "invoice.payment_action_required",
      "invoice.payment_attempt_required",
      "invoice.payment_failed",
      "invoice.payment_succeeded",
      "invoice.sent",
      "invoice.voided",
      "invoice.will_be_due",
    ],
  },
  subscriptions: {
    path: "/subscriptions",
    // "If no value is supplied, all subscriptions that have not been canceled are returned."
    params: { status: "all" },
    object: "subscription",
    events: [
      "customer.subscription.created",
      "customer.subscription.updated",
      "customer.subscription.deleted",
      "customer.subscription.paused",
      "customer.subscription.resumed",
      "customer.subscription.pending_update_applied",
      "customer.subscription.pending_update_expired",
      "customer.subscription.trial_will_end",
    ],
  },
  balance_transactions: { path: "/balance_transactions", object: "balance_transaction" },
  refunds: {
    path: "/refunds",
    object: "refund",
    // charge.refund.updated carries a refund, despite its prefix.
    events: ["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"],
  },
  payouts: {
    path: "/payouts",
    object: "payout",
    events: ["payout.created", "payout.updated", "payout.canceled", "payout.failed", "payout.paid", "payout.reconciliation_completed"],
  },
  disputes: {
    path: "/disputes",
    object: "dispute",
    events: ["charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_reinstated", "charge.dispute.funds_withdrawn"],
  },
  products: { path: "/products", object: "product", events: ["product.created", "product.updated", "product.deleted"] },
  prices: { path: "/prices", object: "price", events: ["price.created", "price.updated", "price.deleted"] },
  coupons: { path: "/coupons", object: "coupon", events: ["coupon.created", "coupon.updated", "coupon.deleted"] },
  events: { path: "/events", object: "event" },
};

/**
 * The table must agree with the catalog: a stream served by /loader-types that could not be read, or an event list
 * the API would refuse, is a bug of this file, so it fails at import rather than in a user's run.
 */
function checked(streams: readonly StreamSpec[]): Map<string, StripeStream> {
  const problems: string[] = [];
  for (const spec of streams) {
    const entry = STREAMS[spec.name];
    if (!entry) {
      problems.push(`${spec.name} has no endpoint`);
      continue;
    }
    if ((spec.cursor_field === "updated") !== Boolean(entry.events)) problems.push(`${spec.name}: event types iff the cursor is "updated"`);
    if (entry.events && entry.events.length > MAX_EVENT_TYPES) problems.push(`${spec.name}: more than ${MAX_EVENT_TYPES} event types`);
    if (spec.reports_deletes && !entry.events?.some((type) => type.endsWith(".deleted"))) problems.push(`${spec.name}: reports deletes without a .deleted event`);
  }
  for (const name of Object.keys(STREAMS)) if (!streams.some((spec) => spec.name === name)) problems.push(`${name} is not in the catalog`);
  if (problems.length > 0) throw new Error(`stripe streams table: ${problems.join("; ")}`);
  return new Map(Object.entries(STREAMS));
}

const BY_NAME = checked(stripeSpec.streams);

export function stripeStream(name: string): StripeStream | undefined {
  return BY_NAME.get(name);
}
