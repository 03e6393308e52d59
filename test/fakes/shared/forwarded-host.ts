/**
 * The production host a request was addressed to. The kit's http client sends `X-Forwarded-Host: <production host>`
 * whenever HOST_OVERRIDES sends a request to a local fake (development only), so one fake can serve many shops,
 * buckets or datacenters (`*.myshopify.com`, `<bucket>.s3.amazonaws.com`, `us6.api.mailchimp.com`) and verify
 * signatures computed over the production host. Erasable TypeScript only, like ./http.ts.
 */
import type { IncomingMessage } from "node:http";

export function addressedHost(req: IncomingMessage): string {
  const forwarded = req.headers["x-forwarded-host"];
  const value = Array.isArray(forwarded) ? forwarded[0] : forwarded;
  return (value ?? req.headers.host ?? "").toLowerCase();
}

/** The left-most label of the addressed host under `suffix` (`shop1` of `shop1.myshopify.com`), or undefined. */
export function subdomainOf(req: IncomingMessage, suffix: string): string | undefined {
  const host = addressedHost(req).replace(/:\d+$/, "");
  const tail = `.${suffix.replace(/^\*?\./, "").toLowerCase()}`;
  return host.endsWith(tail) && host.length > tail.length ? host.slice(0, -tail.length) : undefined;
}
