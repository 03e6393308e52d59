/** The one http client a Stripe read uses: the engine's client with Stripe's host, key, version and error shapes. */
import { bearer } from "../kit/auth";
import type { ConnectorContext } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { classifyStripeError } from "./errors";
import { type StripeConfig, stripeSpec } from "./spec";

export const STRIPE_API = "https://api.stripe.com/v1";

export function stripeClient(ctx: ConnectorContext, config: StripeConfig): HttpClient {
  // A draft loader may lack its key; a request without one would only earn a 401 that says less.
  if (!config.api_key) throw new ConnectorError("configuration", "api_key is not set: add a Stripe secret or restricted key");
  return ctx.http.extend({
    baseUrl: STRIPE_API,
    auth: bearer(config.api_key),
    defaultHeaders: {
      // Without it the account's default version applies, and record shapes would change when someone upgrades it.
      "stripe-version": stripeSpec.api_version,
      ...(config.account_id ? { "stripe-account": config.account_id } : {}),
    },
    classifyError: classifyStripeError,
  });
}
