/**
 * Stripe authentication (https://docs.stripe.com/api/authentication): the secret or restricted key as a Bearer
 * token, or as the HTTP Basic username with an empty password. In the fake the key also names the tenant:
 * `sk_test_<tenant>` / `rk_test_<tenant>`.
 */
import { ApiFailure } from "./errors";

export interface Credentials {
  key: string;
  tenant: string;
  restricted: boolean;
}

const KEY = /^(sk|rk)_test_([A-Za-z0-9_]+)$/;
/** Tenant ids are what follows the key prefix; the control API accepts the same alphabet. */
export const TENANT_ID = /^[A-Za-z0-9_]+$/;

/** The API echoes a key with its prefix and last four characters only: `sk_test_****abcd`. */
export function redactKey(key: string): string {
  const prefix = /^[a-z]{2}_(test|live)_/.exec(key)?.[0] ?? "";
  return `${prefix}****${key.slice(-4)}`;
}

/** 401s carry `WWW-Authenticate` like any Basic-auth realm (verify: Stripe's realm string). */
const CHALLENGE = { "WWW-Authenticate": 'Basic realm="Stripe"' };

function unauthorized(message: string) {
  return new ApiFailure(401, { type: "invalid_request_error", message }, CHALLENGE);
}

export function invalidKey(key: string) {
  return unauthorized(`Invalid API Key provided: ${redactKey(key)}`);
}

const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

function keyFromHeader(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "bearer") return value || null;
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return (colon < 0 ? decoded : decoded.slice(0, colon)) || null;
  }
  return header.trim() || null;
}

export function authenticate(header: string | undefined): Credentials {
  const key = keyFromHeader(header);
  if (key === null) throw unauthorized(NO_KEY);
  if (/^pk_(test|live)_/.test(key)) {
    throw unauthorized(
      "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
    );
  }
  const match = KEY.exec(key);
  if (!match) throw invalidKey(key);
  return { key, tenant: match[2] ?? "", restricted: match[1] === "rk" };
}
