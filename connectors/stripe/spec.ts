/**
 * Stripe (research/connectors-saas.md §3). Lists are newest-first with an immutable `created`; changes to mutable
 * objects are only visible through /v1/events (30-day retention). So, as Airbyte's connector does, every record of a
 * mutable object carries `updated`: the event's `created` when the change came from an event; when read from its list
 * endpoint, the object's own `updated` where it has one (products) and otherwise the time the read started, less five
 * minutes for clock skew. Not the object's `created`, as Airbyte uses: a full read that follows a lapse of the event
 * retention must win over older versions already loaded from events. `updated` is the cursor, and `*.deleted` events
 * arrive as deletes.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { type Fields, lookbackDaysField, secretField, startDateField, stream } from "../kit/spec-helpers";

/**
 * The version of the official `stripe` npm client this project tests its fake against (stripe@23, ApiVersion). Stripe
 * keeps every version working, so the pin only moves when the record schemas below are reviewed.
 */
const API_VERSION = "2026-10-28.endive";

const config = z
  .object({
    api_key: secretField(
      "Secret key (sk_live_…/sk_test_…) or, better, a restricted key (rk_live_…/rk_test_…) with read access to the selected objects.",
      z.string().regex(/^(sk|rk)_(live|test)_[A-Za-z0-9]+$/, "must be a secret (sk_live_…, sk_test_…) or restricted (rk_live_…, rk_test_…) key"),
    ),
    account_id: z
      .string()
      .regex(/^acct_[A-Za-z0-9]+$/, "must be a Stripe account id (acct_…)")
      .optional()
      .describe("Connected account to read (sent as Stripe-Account), for Connect platforms. Empty reads the key's own account."),
    start_date: startDateField("Read objects created on or after this date (YYYY-MM-DD, UTC). Empty reads the account's full history."),
    lookback_window_days: lookbackDaysField({
      default: 0,
      max: 30,
      why: "picks up changes whose events were delayed. Events are kept 30 days, hence the maximum.",
    }),
  })
  .strict();

export type StripeConfig = z.infer<typeof config>;

const base: Fields = { id: "string", object: "string", created: "integer" };
/** Refunds and balance transactions have no `livemode`; events and balance transactions have no `metadata`. */
const livemode: Fields = { livemode: "boolean" };

/**
 * Objects with a `<object>.deleted` event (invoice.deleted fires for deleted drafts). customer.subscription.deleted
 * means cancelled, not removed: the subscription stays, with status "canceled".
 */
const DELETED_BY_EVENT = new Set(["customers", "invoices", "products", "prices", "coupons"]);

/** A mutable object: merged by id on `updated` (see header). All of them carry metadata. */
function mutable(name: string, fields: Fields) {
  return stream(name, {
    primaryKey: ["id"],
    cursor: "updated",
    deletes: DELETED_BY_EVENT.has(name),
    fields: { ...base, updated: "integer", metadata: "object", ...fields },
  });
}

/** Never changes after creation, so `created` is an exact cursor. */
function immutable(name: string, fields: Fields) {
  return stream(name, { primaryKey: ["id"], cursor: "created", fields: { ...base, ...fields } });
}

const money: Fields = { amount: "integer", currency: "string" };

export const stripeSpec = {
  type: "stripe",
  title: "Stripe",
  category: "payments",
  auth_method: "api_key",
  api_version: API_VERSION,
  config,
  secret_fields: ["api_key"],
  credential_sets: [["api_key"]],
  streams: [
    mutable("customers", {
      ...livemode,
      email: "string",
      name: "string",
      description: "string",
      currency: "string",
      delinquent: "boolean",
    }),
    mutable("charges", {
      ...livemode,
      ...money,
      status: "string",
      customer: "string",
      payment_intent: "string",
      paid: "boolean",
      refunded: "boolean",
      captured: "boolean",
    }),
    mutable("payment_intents", { ...livemode, ...money, status: "string", customer: "string", amount_received: "integer" }),
    mutable("invoices", {
      ...livemode,
      customer: "string",
      status: "string",
      number: "string",
      currency: "string",
      total: "integer",
      amount_due: "integer",
      amount_paid: "integer",
    }),
    mutable("subscriptions", {
      ...livemode,
      customer: "string",
      status: "string",
      cancel_at_period_end: "boolean",
      canceled_at: "integer",
    }),
    immutable("balance_transactions", {
      ...money,
      fee: "integer",
      net: "integer",
      type: "string",
      status: "string",
      source: "string",
      available_on: "integer",
    }),
    mutable("refunds", { ...money, charge: "string", payment_intent: "string", status: "string", reason: "string" }),
    mutable("payouts", { ...livemode, ...money, arrival_date: "integer", status: "string", method: "string", type: "string" }),
    mutable("disputes", {
      ...livemode,
      ...money,
      charge: "string",
      payment_intent: "string",
      status: "string",
      reason: "string",
    }),
    mutable("products", { ...livemode, name: "string", active: "boolean", description: "string" }),
    mutable("prices", {
      ...livemode,
      product: "string",
      active: "boolean",
      currency: "string",
      unit_amount: "integer",
      type: "string",
      recurring: "object",
    }),
    mutable("coupons", {
      ...livemode,
      name: "string",
      percent_off: "number",
      amount_off: "integer",
      currency: "string",
      duration: "string",
      valid: "boolean",
    }),
    // The change feed itself; Stripe keeps only the last 30 days.
    immutable("events", {
      ...livemode,
      type: "string",
      api_version: "string",
      data: "object",
      request: "object",
      pending_webhooks: "integer",
    }),
  ],
} satisfies LoaderTypeSpec<StripeConfig>;
