/**
 * Builders for the money-movement objects — PaymentIntents, charges, refunds, payouts and balance transactions — in
 * the shape the current API version renders them (https://docs.stripe.com/api). They only build; operations.ts
 * stores the results, links them and records the matching events.
 */
import type { Dataset } from "./dataset";
import { DAY } from "./dataset";
import type { JsonObject } from "./json";
import { num, text } from "./json";
import { CARD_BRANDS, CITIES, FIRST_NAMES, LAST_NAMES } from "./words";

export const ACCOUNT_CURRENCY = "usd";
/** The fake's fixed conversion for presentment currencies other than the account's. */
const EXCHANGE_RATES: Record<string, number> = { usd: 1, eur: 1.08, gbp: 1.27 };
/** Stripe's standard US card pricing: 2.9% + 30¢ per successful charge. */
const cardFee = (amount: number) => Math.round(amount * 0.029) + 30;

export function buildPaymentIntent(
  ds: Dataset,
  at: number,
  customer: string | null,
  amount: number,
  currency: string,
  status: string,
): JsonObject {
  const rng = ds.rng;
  const id = ds.newId("pi");
  const canceled = status === "canceled";
  return {
    id,
    object: "payment_intent",
    amount,
    amount_capturable: status === "requires_capture" ? amount : 0,
    amount_details: { tip: {} },
    amount_received: status === "succeeded" ? amount : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: { allow_redirects: "always", enabled: true },
    canceled_at: canceled ? Math.max(at, Math.min(ds.now(), at + rng.int(60, DAY))) : null,
    cancellation_reason: canceled ? rng.pick(["abandoned", "requested_by_customer", "duplicate"]) : null,
    capture_method: status === "requires_capture" ? "manual" : "automatic_async",
    client_secret: `${id}_secret_${rng.chars(25)}`,
    confirmation_method: "automatic",
    created: at,
    currency,
    customer,
    description: rng.chance(0.5) ? `Order #${rng.int(10_000, 99_999)}` : null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: rng.chance(0.3) ? { order_id: String(rng.int(10_000, 99_999)) } : {},
    next_action: null,
    on_behalf_of: null,
    payment_method: status === "requires_payment_method" || canceled ? null : `pm_${rng.chars(24)}`,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: "automatic" },
    },
    payment_method_types: ["card"],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function buildCharge(
  ds: Dataset,
  at: number,
  paymentIntent: JsonObject | null,
  customer: string | null,
  amount: number,
  currency: string,
  status: "succeeded" | "pending" | "failed",
  captured: boolean,
): JsonObject {
  const rng = ds.rng;
  const card = rng.pick(CARD_BRANDS);
  const failed = status === "failed";
  const place = rng.pick(CITIES);
  return {
    id: ds.newId("ch"),
    object: "charge",
    amount,
    amount_captured: status === "succeeded" && captured ? amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: { city: null, country: place.country, line1: null, line2: null, postal_code: place.postal, state: null },
      email: null,
      name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: "LOADERS TEST",
    captured: status === "succeeded" && captured,
    created: at,
    currency,
    customer,
    description: paymentIntent ? (paymentIntent.description ?? null) : rng.chance(0.5) ? "Legacy charge" : null,
    destination: null,
    dispute: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failed ? "card_declined" : null,
    failure_message: failed ? "Your card was declined." : null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: failed ? "declined_by_network" : "approved_by_network",
      reason: failed ? "generic_decline" : null,
      risk_level: "normal",
      risk_score: rng.int(0, 64),
      seller_message: failed ? "The bank did not return any further details with this decline." : "Payment complete.",
      type: failed ? "issuer_declined" : "authorized",
    },
    paid: status === "succeeded",
    payment_intent: paymentIntent ? text(paymentIntent, "id") : null,
    payment_method: paymentIntent?.payment_method ?? `pm_${rng.chars(24)}`,
    payment_method_details: {
      card: {
        amount_authorized: failed ? null : amount,
        authorization_code: failed ? null : String(rng.int(100_000, 999_999)),
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: "pass", cvc_check: "pass" },
        country: card.country,
        exp_month: rng.int(1, 12),
        exp_year: rng.int(2027, 2032),
        extended_authorization: { status: "disabled" },
        fingerprint: rng.chars(16),
        funding: card.funding,
        incremental_authorization: { status: "unavailable" },
        installments: null,
        last4: String(rng.int(0, 9999)).padStart(4, "0"),
        mandate: null,
        multicapture: { status: "unavailable" },
        network: card.brand,
        network_token: { used: false },
        network_transaction_id: String(rng.int(100_000_000, 999_999_999)),
        overcapture: { maximum_amount_capturable: amount, status: "unavailable" },
        regulated_status: "unregulated",
        three_d_secure: null,
        wallet: null,
      },
      type: "card",
    },
    radar_options: {},
    receipt_email: null,
    receipt_number: null,
    receipt_url: status === "succeeded" ? `https://pay.stripe.com/receipts/payment/${rng.chars(60)}` : null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function buildRefund(ds: Dataset, at: number, charge: JsonObject, amount: number): JsonObject {
  const rng = ds.rng;
  return {
    id: ds.newId("re"),
    object: "refund",
    amount,
    balance_transaction: null,
    charge: text(charge, "id"),
    created: at,
    currency: text(charge, "currency"),
    destination_details: {
      card: { reference: rng.chars(22), reference_status: "available", reference_type: "acquirer_reference_number", type: "refund" },
      type: "card",
    },
    metadata: {},
    payment_intent: charge.payment_intent ?? null,
    reason: rng.chance(0.1) ? null : rng.weighted({ requested_by_customer: 6, duplicate: 2, fraudulent: 1 }),
    receipt_number: null,
    source_transfer_reversal: null,
    status: "succeeded",
    transfer_reversal: null,
  };
}

export function buildPayout(ds: Dataset, at: number, amount: number, status: string, destination: string): JsonObject {
  const rng = ds.rng;
  const failed = status === "failed";
  return {
    id: ds.newId("po"),
    object: "payout",
    amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: at - (at % DAY) + 2 * DAY,
    automatic: true,
    balance_transaction: null,
    created: at,
    currency: ACCOUNT_CURRENCY,
    description: "STRIPE PAYOUT",
    destination,
    failure_balance_transaction: null,
    failure_code: failed ? "account_closed" : null,
    failure_message: failed ? "The bank account has been closed." : null,
    livemode: false,
    metadata: {},
    method: "standard",
    original_payout: null,
    payout_method: null,
    reconciliation_status: status === "paid" ? "completed" : "not_applicable",
    reversed_by: null,
    source_type: "card",
    statement_descriptor: null,
    status,
    trace_id: { status: status === "paid" ? "supported" : "pending", value: status === "paid" ? rng.chars(15) : null },
    type: "bank_account",
  };
}

export type BalanceSource =
  | { type: "charge"; object: JsonObject }
  | { type: "refund"; object: JsonObject }
  | { type: "payout"; object: JsonObject }
  | { type: "stripe_fee"; amount: number };

/** Balance transactions are always in the account's currency; foreign charges carry the exchange rate. */
export function buildBalanceTransaction(ds: Dataset, at: number, source: BalanceSource): JsonObject {
  let amount: number;
  let fee = 0;
  let exchangeRate: number | null = null;
  let description: string | null;
  let sourceId: string | null = null;
  let category: string;
  let availableOn = at - (at % DAY) + 2 * DAY;
  if (source.type === "stripe_fee") {
    amount = -source.amount;
    description = "Billing - Usage Fee";
    category = "fee";
  } else {
    const object = source.object;
    sourceId = text(object, "id");
    const currency = text(object, "currency");
    const rate = EXCHANGE_RATES[currency] ?? 1;
    if (currency !== ACCOUNT_CURRENCY) exchangeRate = rate;
    const converted = Math.round(num(object, "amount") * rate);
    if (source.type === "charge") {
      amount = converted;
      fee = cardFee(converted);
      description = (object.description as string | null) ?? null;
      category = "charge";
    } else if (source.type === "refund") {
      amount = -converted;
      description = "REFUND FOR CHARGE";
      category = "refund";
    } else {
      amount = -converted;
      description = "STRIPE PAYOUT";
      category = "payout";
      availableOn = at;
    }
  }
  return {
    id: ds.newId("txn"),
    object: "balance_transaction",
    amount,
    available_on: availableOn,
    balance_type: "payments",
    created: at,
    currency: ACCOUNT_CURRENCY,
    description,
    exchange_rate: exchangeRate,
    fee,
    fee_details:
      fee > 0
        ? [{ amount: fee, application: null, currency: ACCOUNT_CURRENCY, description: "Stripe processing fees", type: "stripe_fee" }]
        : [],
    net: amount - fee,
    reporting_category: category,
    source: sourceId,
    status: availableOn <= ds.now() ? "available" : "pending",
    type: source.type,
  };
}
