/**
 * Builders for the billing objects — customers, products, prices, subscriptions, invoices and their lines — in the
 * shape the current API version renders them (https://docs.stripe.com/api, the "The … object" pages). They only
 * build; operations.ts stores the results and records the matching events.
 */
import type { Dataset } from "./dataset";
import { DAY } from "./dataset";
import type { JsonObject } from "./json";
import { num, text } from "./json";
import { ACCOUNT_CURRENCY } from "./build-payments";
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, PRODUCT_NAMES, STREETS, UNIT_AMOUNTS } from "./words";

/** Invoices embed the first ten lines; the rest are read from `/v1/invoices/{id}/lines`. */
const INVOICE_LINES_PAGE = 10;

export function buildCustomer(ds: Dataset, at: number): JsonObject {
  const rng = ds.rng;
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const place = rng.pick(CITIES);
  const handle = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
  return {
    id: ds.newId("cus"),
    object: "customer",
    address: rng.chance(0.6)
      ? {
          city: place.city,
          country: place.country,
          line1: `${rng.int(1, 999)} ${rng.pick(STREETS)}`,
          line2: rng.chance(0.2) ? `Suite ${rng.int(100, 900)}` : null,
          postal_code: place.postal,
          state: place.state,
        }
      : null,
    balance: rng.chance(0.08) ? -100 * rng.int(1, 50) : 0,
    created: at,
    currency: rng.chance(0.85) ? ACCOUNT_CURRENCY : null,
    default_source: null,
    delinquent: rng.chance(0.04),
    description: rng.chance(0.25) ? "Imported from CRM" : null,
    discount: null,
    email: `${handle}${rng.int(1, 999)}@${rng.pick(EMAIL_DOMAINS)}`,
    invoice_prefix: rng.chars(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: rng.chance(0.4) ? { crm_id: String(rng.int(10_000, 99_999)) } : {},
    name: `${first} ${last}`,
    next_invoice_sequence: 1,
    phone: rng.chance(0.5) ? `+1415555${rng.int(1000, 9999)}` : null,
    preferred_locales: rng.chance(0.3) ? [rng.pick(["en", "de", "fr", "en-GB"])] : [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
}

export function buildProduct(ds: Dataset, at: number): JsonObject {
  const rng = ds.rng;
  const name = rng.pick(PRODUCT_NAMES);
  return {
    id: ds.newId("prod"),
    object: "product",
    active: rng.chance(0.92),
    attributes: [],
    created: at,
    default_price: null,
    description: rng.chance(0.6) ? `${name} plan for growing teams` : null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: "service",
    unit_label: null,
    updated: at,
    url: null,
  };
}

export function buildPrice(ds: Dataset, at: number, product: JsonObject, recurring: boolean): JsonObject {
  const rng = ds.rng;
  const amount = rng.pick(UNIT_AMOUNTS);
  const interval = rng.weighted({ month: 7, year: 3 });
  return {
    id: ds.newId("price"),
    object: "price",
    active: rng.chance(0.9),
    billing_scheme: "per_unit",
    created: at,
    currency: rng.weighted({ usd: 8, eur: 1, gbp: 1 }),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: rng.chance(0.3) ? `${text(product, "name").toLowerCase().replaceAll(" ", "_")}_${interval}` : null,
    metadata: {},
    nickname: null,
    product: text(product, "id"),
    recurring: recurring
      ? { interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: "licensed" }
      : null,
    tax_behavior: "unspecified",
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? "recurring" : "one_time",
    unit_amount: amount,
    unit_amount_decimal: String(amount),
  };
}

/** Seconds in one billing interval of a recurring price (months as 30 days: the fake does not need calendars). */
export function intervalSeconds(price: JsonObject): number {
  const recurring = price.recurring as JsonObject | null;
  return recurring?.interval === "year" ? 365 * DAY : 30 * DAY;
}

export function buildSubscription(
  ds: Dataset,
  at: number,
  customer: JsonObject,
  price: JsonObject,
  status: string,
): JsonObject {
  const rng = ds.rng;
  const id = ds.newId("sub");
  const now = Math.max(ds.now(), at);
  const period = intervalSeconds(price);
  const trialing = status === "trialing";
  const trialEnd = trialing ? Math.max(at + 14 * DAY, now + rng.int(1, 13) * DAY) : null;
  const anchor = trialEnd ?? at;
  const ended = status === "canceled" || status === "incomplete_expired";
  const endedAt = ended ? at + Math.floor(rng.next() * Math.max(1, now - at)) : null;
  const reference = endedAt ?? now;
  const periodStart = trialing ? at : anchor + Math.max(0, Math.floor((reference - anchor) / period)) * period;
  const sendInvoice = rng.chance(0.15);
  return {
    id,
    object: "subscription",
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { type: "classic" },
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: status === "canceled" ? endedAt : null,
    cancellation_details: {
      comment: null,
      feedback: status === "canceled" && rng.chance(0.5) ? rng.pick(["too_expensive", "unused", "switched_service"]) : null,
      reason: status === "canceled" ? "cancellation_requested" : null,
    },
    collection_method: sendInvoice ? "send_invoice" : "charge_automatically",
    created: at,
    currency: text(price, "currency"),
    customer: text(customer, "id"),
    days_until_due: sendInvoice ? 30 : null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: endedAt,
    invoice_settings: { account_tax_ids: null, issuer: { type: "self" } },
    items: {
      object: "list",
      data: [
        {
          id: ds.newId("si"),
          object: "subscription_item",
          billing_thresholds: null,
          created: at,
          current_period_end: trialEnd ?? periodStart + period,
          current_period_start: periodStart,
          discounts: [],
          metadata: {},
          price,
          quantity: rng.chance(0.7) ? 1 : rng.int(2, 10),
          subscription: id,
          tax_rates: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: rng.chance(0.3) ? { plan_source: rng.pick(["web", "sales", "partner"]) } : {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: status === "paused" ? { behavior: "void", resumes_at: null } : null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: "off" },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: at,
    status,
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: "create_invoice" } },
    trial_start: trialing ? at : null,
  };
}

export interface InvoiceLineSpec {
  price: JsonObject;
  productName: string;
  quantity: number;
  subscriptionItem: string | null;
}

/** An invoice and all of its lines; the invoice embeds the first page of lines like the API. */
export function buildInvoice(
  ds: Dataset,
  at: number,
  customer: JsonObject,
  subscription: JsonObject | null,
  specs: readonly InvoiceLineSpec[],
  status: string,
  billingReason: string,
): { invoice: JsonObject; lines: JsonObject[] } {
  const rng = ds.rng;
  const id = ds.newId("in");
  const currency = specs[0] ? text(specs[0].price, "currency") : ACCOUNT_CURRENCY;
  const periodEnd = at;
  const periodStart = subscription && specs[0] ? at - intervalSeconds(specs[0].price) : at;
  const lines = specs.map((spec): JsonObject => {
    const unit = num(spec.price, "unit_amount");
    const subscriptionId = subscription ? text(subscription, "id") : null;
    return {
      id: ds.newId("il"),
      object: "line_item",
      amount: unit * spec.quantity,
      currency,
      description: `${spec.quantity} × ${spec.productName}`,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: id,
      livemode: false,
      metadata: {},
      parent: spec.subscriptionItem
        ? {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: subscriptionId,
              subscription_item: spec.subscriptionItem,
            },
            type: "subscription_item_details",
          }
        : {
            invoice_item_details: {
              invoice_item: ds.newId("ii"),
              proration: false,
              proration_details: { credited_items: null },
              subscription: subscriptionId,
            },
            subscription_item_details: null,
            type: "invoice_item_details",
          },
      period: { end: periodEnd, start: periodStart },
      pretax_credit_amounts: [],
      pricing: {
        price_details: { price: text(spec.price, "id"), product: text(spec.price, "product") },
        type: "price_details",
        unit_amount_decimal: String(unit),
      },
      quantity: spec.quantity,
      taxes: [],
    };
  });
  const total = lines.reduce((sum, line) => sum + num(line, "amount"), 0);
  const finalized = status !== "draft";
  const paid = status === "paid";
  const sendInvoice = subscription ? subscription.collection_method === "send_invoice" : rng.chance(0.4);
  let number: string | null = null;
  if (finalized) {
    const sequence = num(customer, "next_invoice_sequence");
    customer.next_invoice_sequence = sequence + 1;
    number = `${text(customer, "invoice_prefix")}-${String(sequence).padStart(4, "0")}`;
  }
  // Lifecycle stamps of seeded history never run past the present.
  const later = (max: number) => Math.max(at, Math.min(ds.now(), at + rng.int(60, max)));
  const finalizedAt = finalized ? later(3600) : null;
  const invoice: JsonObject = {
    id,
    object: "invoice",
    account_country: "US",
    account_name: "Loaders Test Account",
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_remaining: paid || status === "void" ? 0 : total,
    amount_shipping: 0,
    application: null,
    attempt_count: paid ? 1 : 0,
    attempted: paid,
    auto_advance: status === "draft" || status === "open",
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: status === "draft" ? at + 3600 : null,
    billing_reason: billingReason,
    collection_method: sendInvoice ? "send_invoice" : "charge_automatically",
    created: at,
    currency,
    custom_fields: null,
    customer: text(customer, "id"),
    customer_address: customer.address ?? null,
    customer_email: customer.email ?? null,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: "none",
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: sendInvoice ? at + 30 * DAY : null,
    effective_at: finalizedAt,
    ending_balance: finalized ? 0 : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: finalized ? `https://invoice.stripe.com/i/${ds.accountId}/test_${rng.chars(40)}` : null,
    invoice_pdf: finalized ? `https://pay.stripe.com/invoice/${ds.accountId}/test_${rng.chars(40)}/pdf` : null,
    issuer: { type: "self" },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: "list",
      data: lines.slice(0, INVOICE_LINES_PAGE),
      has_more: lines.length > INVOICE_LINES_PAGE,
      total_count: lines.length,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: status === "open" && !sendInvoice ? at + 3 * DAY : null,
    number,
    on_behalf_of: null,
    parent: subscription
      ? {
          quote_details: null,
          subscription_details: { metadata: {}, subscription: text(subscription, "id") },
          type: "subscription_details",
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: periodEnd,
    period_start: periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status,
    status_transitions: {
      finalized_at: finalizedAt,
      marked_uncollectible_at: status === "uncollectible" ? later(40 * DAY) : null,
      paid_at: paid ? later(3 * DAY) : null,
      voided_at: status === "void" ? later(10 * DAY) : null,
    },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalized ? at : null,
  };
  return { invoice, lines };
}
