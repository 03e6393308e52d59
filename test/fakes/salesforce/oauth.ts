/**
 * `POST /services/oauth2/token` (refresh_token grant) and `POST /services/oauth2/revoke`. The tenant is read from
 * the refresh token `refresh-<tenant>`; the response has no `expires_in` (session lifetime is an org setting,
 * clients refresh on 401) and its `instance_url` is the host the request came in on.
 */
import { createHmac } from "node:crypto";
import { type FakeResponse, oauthError } from "./http";
import { currentRefreshToken, issueAccessToken, type Tenant, type TenantRegistry, tenantOfAccessToken, tenantOfRefreshToken } from "./tenants";

/** Production hosts the fake answers for; a login host hands out the org's My Domain host as instance_url. */
const LOGIN_HOSTS = new Set(["login.salesforce.com", "test.salesforce.com"]);
const PRODUCTION_INSTANCE = "mycompany.my.salesforce.com";
const PRODUCTION_HOSTS = new Set([...LOGIN_HOSTS, PRODUCTION_INSTANCE, "mycompany.salesforce.com"]);

export function baseUrlOf(host: string | undefined): string {
  const name = (host ?? "127.0.0.1").toLowerCase();
  const bare = name.replace(/:\d+$/, "");
  if (LOGIN_HOSTS.has(bare)) return `https://${PRODUCTION_INSTANCE}`;
  if (PRODUCTION_HOSTS.has(bare)) return `https://${bare}`;
  return `http://${name}`;
}

function clientCredentials(form: URLSearchParams, authorization: string | undefined) {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    }
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

const expiredGrant = () => oauthError(400, "invalid_grant", "expired access/refresh token");

export function tokenEndpoint(
  registry: TenantRegistry,
  method: string,
  headers: Record<string, string>,
  body: string,
): { tenant?: Tenant; response: FakeResponse } {
  if (method !== "POST") return { response: oauthError(400, "invalid_request", "must use HTTP POST") };
  const form = new URLSearchParams(body);
  const grantType = form.get("grant_type");
  if (grantType !== "refresh_token") return { response: oauthError(400, "unsupported_grant_type", "grant type not supported") };
  const client = clientCredentials(form, headers.authorization);
  if (!client.id) return { response: oauthError(400, "invalid_client_id", "client identifier invalid") };
  const refreshToken = form.get("refresh_token") ?? "";
  const name = tenantOfRefreshToken(refreshToken);
  if (!name) return { response: expiredGrant() };
  const tenant = registry.get(name);
  if (tenant.client.id !== undefined && tenant.client.id !== client.id) {
    return { tenant, response: oauthError(400, "invalid_client_id", "client identifier invalid") };
  }
  if (tenant.client.secret !== undefined && tenant.client.secret !== client.secret) {
    return { tenant, response: oauthError(400, "invalid_client", "invalid client credentials") };
  }
  if (tenant.faults.revoke_refresh_token || refreshToken !== currentRefreshToken(tenant)) {
    return { tenant, response: expiredGrant() };
  }
  if (tenant.faults.rotate_refresh_token) tenant.refreshGeneration += 1;

  const instanceUrl = baseUrlOf(headers.host);
  const issuedAt = String(Date.now());
  const id = `${baseUrlOf(headers.host)}/id/${tenant.orgId}/${tenant.dataset.integrationUserId}`;
  // The documented signature: HMAC-SHA256 over id + issued_at, keyed with the consumer secret, base64.
  const signature = createHmac("sha256", client.secret ?? "").update(id + issuedAt).digest("base64");
  return {
    tenant,
    response: {
      status: 200,
      body: {
        access_token: issueAccessToken(tenant),
        ...(tenant.faults.rotate_refresh_token ? { refresh_token: currentRefreshToken(tenant) } : {}),
        signature,
        scope: "refresh_token api",
        instance_url: instanceUrl,
        id,
        token_type: "Bearer",
        issued_at: issuedAt,
      },
    },
  };
}

/** Revoking an access token ends that session; revoking the refresh token ends it and every session it issued. */
export function revokeEndpoint(registry: TenantRegistry, method: string, body: string): { tenant?: Tenant; response: FakeResponse } {
  if (method !== "POST") return { response: oauthError(400, "invalid_request", "must use HTTP POST") };
  const token = new URLSearchParams(body).get("token") ?? "";
  for (const name of [tenantOfRefreshToken(token), tenantOfAccessToken(token)]) {
    const tenant = name ? registry.find(name) : undefined;
    if (!tenant) continue;
    const session = tenant.tokens.get(token);
    if (session) {
      session.expired = true;
      return { tenant, response: { status: 200 } };
    }
    if (token === currentRefreshToken(tenant)) {
      tenant.faults.revoke_refresh_token = true;
      for (const state of tenant.tokens.values()) state.expired = true;
      return { tenant, response: { status: 200 } };
    }
  }
  return { response: oauthError(400, "unsupported_token_type", "this token type is not supported") };
}
