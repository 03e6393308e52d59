/** How events reach a receiver: the text every webhook route that creates or describes one repeats. */
export const DELIVERY_DESCRIPTION =
  "Each event is POSTed as JSON `{id, type, created_at, workspace_id, data}` with headers `Loaders-Event`, `Loaders-Delivery` and `Loaders-Signature: t=<unix>,v1=<hex>` where v1 is HMAC-SHA256 of `<t>.<body>` under the webhook's secret (Stripe's scheme). A non-2xx answer or no answer within 10 s is retried after 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, then every 8 h, for a day.";
