/**
 * Google's OAuth 2.0 token endpoint as the Google API fakes need it (https://developers.google.com/identity/protocols/oauth2/service-account,
 * https://developers.google.com/identity/protocols/oauth2/web-server#offline):
 * - `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`: the JWT's RS256 signature is verified
 *   against the public key the test registered for its `iss` (client_email); `aud` must be the token endpoint, `exp`
 *   at most an hour after `iat`, `scope` present. A key Google does not know, a deleted key, a bad signature or a
 *   stale assertion is `400 {"error":"invalid_grant", ...}` as Google answers.
 * - `grant_type=refresh_token` with client_id/client_secret in the form: a wrong client is `401 invalid_client`, a
 *   revoked refresh token `400 invalid_grant "Token has been expired or revoked."`.
 * Access tokens live 3599 s. The API fakes ask `principal(authorization header)` who is calling: the Google fake's
 * Sheets, GA4 and Ads APIs and, through the same instance, the BigQuery fake (one Google token fake for the test run).
 */
import { randomBytes } from "node:crypto";
import { decodeJwt, rs256Valid } from "../shared/jwt-verify";

export const TOKEN_AUDIENCES = ["https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"];
const TOKEN_LIFETIME_SECONDS = 3599;

export interface Principal {
  /** The service account's client_email, or the OAuth client's `user` (the Google account that authorized it). */
  id: string;
  scopes: string[];
}

interface ServiceAccount {
  email: string;
  publicKeyPem: string;
  revoked: boolean;
}

interface RefreshGrant {
  clientId: string;
  user: string;
  scopes: string[];
  revoked: boolean;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class GoogleTokenIssuer {
  private readonly accounts = new Map<string, ServiceAccount>();
  private readonly clients = new Map<string, string>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly tokens = new Map<string, { principal: Principal; expiresAt: number }>();
  /** Grants answered, by principal id (refused ones under `refused:<iss or client>`), for tests to count. */
  readonly grants = new Map<string, number>();

  addServiceAccount(email: string, publicKeyPem: string): void {
    this.accounts.set(email, { email, publicKeyPem, revoked: false });
  }

  /** The key is deleted in the console: new assertions fail, and tokens already issued stop working. */
  revokeServiceAccount(email: string): void {
    const account = this.accounts.get(email);
    if (account) account.revoked = true;
    for (const [token, held] of this.tokens) if (held.principal.id === email) this.tokens.delete(token);
  }

  addOAuthClient(clientId: string, clientSecret: string, refreshToken: string, user: string, scopes: string[]): void {
    this.clients.set(clientId, clientSecret);
    this.refreshTokens.set(refreshToken, { clientId, user, scopes, revoked: false });
  }

  revokeRefreshToken(refreshToken: string): void {
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant) return;
    grant.revoked = true;
    for (const [token, held] of this.tokens) if (held.principal.id === grant.user) this.tokens.delete(token);
  }

  /** Every live token expires now (a test of renewal on 401). */
  expireTokens(): void {
    for (const held of this.tokens.values()) held.expiresAt = 0;
  }

  principal(authorization: string | undefined, nowMs = Date.now()): Principal | undefined {
    const token = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1];
    const held = token ? this.tokens.get(token) : undefined;
    if (held) return held.expiresAt > nowMs ? held.principal : undefined;
    return token ? this.selfSigned(token, nowMs) : undefined;
  }

  /**
   * A self-signed service-account JWT used directly as the bearer token (https://google.aip.dev/auth/4111), as
   * Google's Node clients send by default: signed by the account's key, `aud` the API's URL or `scope` set, an hour at most.
   */
  private selfSigned(token: string, nowMs: number): Principal | undefined {
    const jwt = decodeJwt(token);
    const account = jwt ? this.accounts.get(String(jwt.claims.iss ?? "")) : undefined;
    if (!jwt || !account || account.revoked || !rs256Valid(jwt, account.publicKeyPem)) return undefined;
    const exp = Number(jwt.claims.exp);
    if (!(exp > nowMs / 1000 && exp - Number(jwt.claims.iat) <= 3600)) return undefined;
    const aud = String(jwt.claims.aud ?? "");
    const scopes = String(jwt.claims.scope ?? "").split(" ").filter(Boolean);
    // An audience-scoped token may call that API: the scope the API needs is implied.
    if (aud.startsWith("https://analyticsdata.googleapis.com")) scopes.push("https://www.googleapis.com/auth/analytics.readonly");
    if (aud.startsWith("https://sheets.googleapis.com")) scopes.push("https://www.googleapis.com/auth/spreadsheets.readonly");
    if (aud.startsWith("https://bigquery.googleapis.com")) scopes.push("https://www.googleapis.com/auth/bigquery");
    return scopes.length ? { id: account.email, scopes } : undefined;
  }

  grant(form: URLSearchParams, nowMs = Date.now()): TokenAnswer {
    const grantType = form.get("grant_type");
    if (grantType === "urn:ietf:params:oauth:grant-type:jwt-bearer") return this.jwtBearer(form.get("assertion") ?? "", nowMs);
    if (grantType === "refresh_token") return this.refresh(form, nowMs);
    return { status: 400, body: { error: "unsupported_grant_type", error_description: "Invalid grant_type: " + (grantType ?? "") } };
  }

  private count(key: string): void {
    this.grants.set(key, (this.grants.get(key) ?? 0) + 1);
  }

  private issue(principal: Principal, nowMs: number): TokenAnswer {
    const token = `ya29.fake-${randomBytes(24).toString("base64url")}`;
    this.tokens.set(token, { principal, expiresAt: nowMs + TOKEN_LIFETIME_SECONDS * 1000 });
    this.count(principal.id);
    return { status: 200, body: { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, scope: principal.scopes.join(" "), token_type: "Bearer" } };
  }

  private jwtBearer(assertion: string, nowMs: number): TokenAnswer {
    const invalid = (key: string, description: string): TokenAnswer => {
      this.count(`refused:${key}`);
      return { status: 400, body: { error: "invalid_grant", error_description: description } };
    };
    const jwt = decodeJwt(assertion);
    if (!jwt) return invalid("?", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
    const iss = String(jwt.claims.iss ?? "");
    const account = this.accounts.get(iss);
    // Google says the same for an unknown key id and a deleted key: the account's key is not found.
    if (!account || account.revoked) return invalid(iss, "Invalid grant: account not found");
    if (!rs256Valid(jwt, account.publicKeyPem)) return invalid(iss, "Invalid JWT Signature.");
    const iat = Number(jwt.claims.iat);
    const exp = Number(jwt.claims.exp);
    const now = nowMs / 1000;
    if (!(Number.isFinite(iat) && Number.isFinite(exp) && exp > now && exp - iat <= 3600 && iat <= now + 300)) {
      return invalid(iss, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
    }
    if (!TOKEN_AUDIENCES.includes(String(jwt.claims.aud))) return invalid(iss, "Invalid JWT: audience must be the token endpoint");
    const scopes = String(jwt.claims.scope ?? "").split(" ").filter(Boolean);
    if (scopes.length === 0) {
      this.count(`refused:${iss}`);
      return { status: 400, body: { error: "invalid_scope", error_description: "Invalid OAuth scope or ID token audience provided." } };
    }
    return this.issue({ id: iss, scopes }, nowMs);
  }

  private refresh(form: URLSearchParams, nowMs: number): TokenAnswer {
    const clientId = form.get("client_id") ?? "";
    if (!this.clients.has(clientId) || this.clients.get(clientId) !== form.get("client_secret")) {
      this.count(`refused:${clientId}`);
      return { status: 401, body: { error: "invalid_client", error_description: "Unauthorized" } };
    }
    const grant = this.refreshTokens.get(form.get("refresh_token") ?? "");
    if (!grant || grant.revoked || grant.clientId !== clientId) {
      this.count(`refused:${clientId}`);
      return { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } };
    }
    return this.issue({ id: grant.user, scopes: grant.scopes }, nowMs);
  }
}

/** Google's 401 for a missing, unknown or expired access token (the same body on every Google API). */
export const UNAUTHENTICATED_BODY = {
  error: {
    code: 401,
    message:
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    status: "UNAUTHENTICATED",
    details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED", domain: "googleapis.com" }],
  },
};
