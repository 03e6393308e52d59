/**
 * Credentials → tenant. A private-app token `pat-<tenant>` never expires; OAuth access tokens are issued by
 * POST /oauth/v1/token (or /oauth/v3/token) for the refresh token `refresh-<tenant>` (or the authorization
 * code `code-<tenant>`) and last 1800 s, like HubSpot's (research §2 "Auth").
 */
import { randomBytes } from "node:crypto";
import { expiredToken, missingCredentials, oauthError } from "./errors";
import { ok, type Reply } from "./http-util";

export const FAKE_CLIENT_ID = "fake-hubspot-client-id";
export const FAKE_CLIENT_SECRET = "fake-hubspot-client-secret";
const ACCESS_TOKEN_SECONDS = 1800;

interface IssuedToken {
  tenant: string;
  expiresAt: number;
}

export type TokenStore = Map<string, IssuedToken>;

export interface Credential {
  tenant: string;
  kind: "private_app" | "oauth";
}

export type AuthOutcome =
  | { ok: true; credential: Credential }
  | { ok: false; tenant: string | null; reply: Reply };

export function authenticate(tokens: TokenStore, header: string | undefined, now: number): AuthOutcome {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (token === undefined) return { ok: false, tenant: null, reply: missingCredentials() };
  if (token.startsWith("pat-") && token.length > 4) {
    return { ok: true, credential: { tenant: token.slice(4), kind: "private_app" } };
  }
  const issued = tokens.get(token);
  if (!issued) return { ok: false, tenant: null, reply: missingCredentials() };
  if (issued.expiresAt <= now) return { ok: false, tenant: issued.tenant, reply: expiredToken(issued.expiresAt, now) };
  return { ok: true, credential: { tenant: issued.tenant, kind: "oauth" } };
}

/** The `expire_tokens` fault: every token issued so far to the tenant is past its expiry from now on. */
export function expireTokens(tokens: TokenStore, tenant: string, now: number) {
  for (const issued of tokens.values()) if (issued.tenant === tenant) issued.expiresAt = Math.min(issued.expiresAt, now);
}

function issue(tokens: TokenStore, tenant: string, now: number): Reply {
  const accessToken = `fake-at-${randomBytes(18).toString("base64url")}`;
  tokens.set(accessToken, { tenant, expiresAt: now + ACCESS_TOKEN_SECONDS * 1000 });
  // HubSpot hands back the same refresh token: its refresh tokens do not rotate and do not expire.
  return ok({
    token_type: "bearer",
    refresh_token: `refresh-${tenant}`,
    access_token: accessToken,
    expires_in: ACCESS_TOKEN_SECONDS,
  });
}

/**
 * The token endpoint takes a form body only. Error `status` names follow HubSpot's BAD_* convention;
 * BAD_REFRESH_TOKEN is documented, the others are (verify).
 */
export function tokenRequest(
  tokens: TokenStore,
  form: Record<string, string>,
  now: number,
): { tenant: string | null; reply: Reply } {
  const grant = form.grant_type;
  if (grant !== "refresh_token" && grant !== "authorization_code") {
    return { tenant: null, reply: oauthError("BAD_GRANT_TYPE", "missing or unknown grant type") };
  }
  if (form.client_id !== FAKE_CLIENT_ID) {
    return { tenant: null, reply: oauthError("BAD_CLIENT_ID", "missing or unknown client id") };
  }
  if (form.client_secret !== FAKE_CLIENT_SECRET) {
    return { tenant: null, reply: oauthError("BAD_CLIENT_SECRET", "missing or invalid client secret") };
  }
  if (grant === "refresh_token") {
    const tenant = /^refresh-(.+)$/.exec(form.refresh_token ?? "")?.[1];
    if (tenant === undefined) {
      return { tenant: null, reply: oauthError("BAD_REFRESH_TOKEN", "missing or invalid refresh token") };
    }
    return { tenant, reply: issue(tokens, tenant, now) };
  }
  const tenant = /^code-(.+)$/.exec(form.code ?? "")?.[1];
  if (tenant === undefined) return { tenant: null, reply: oauthError("BAD_AUTH_CODE", "missing or unknown auth code") };
  if (!form.redirect_uri) return { tenant, reply: oauthError("BAD_REDIRECT_URI", "missing redirect uri") };
  return { tenant, reply: issue(tokens, tenant, now) };
}
