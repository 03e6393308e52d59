/**
 * The identity URL from the token response (`GET /id/{orgId}/{userId}`), which clients such as jsforce's
 * `identity()` call with the access token as a Bearer header or an `oauth_token` parameter. It is not part of
 * the REST API, so it neither counts against the allocation nor sees injected faults.
 */
import type { FakeResponse } from "./http";
import { baseUrlOf } from "./oauth";
import { formatDateTime } from "./records";
import { type TenantRegistry, tenantOfAccessToken } from "./tenants";

/** The identity service refuses with a bare-text body, not the REST API's JSON array. */
const refuse = (text: string): FakeResponse => ({ status: 403, text });

export function identityEndpoint(registry: TenantRegistry, segments: string[], params: URLSearchParams, headers: Record<string, string>) {
  const bearer = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
  const token = bearer ?? params.get("oauth_token") ?? "";
  const name = tenantOfAccessToken(token);
  const tenant = name ? registry.find(name) : undefined;
  const session = tenant?.tokens.get(token);
  if (!tenant || !session || session.expired) return { tenant, response: refuse("Bad_OAuth_Token") };
  const [orgId, userId] = segments;
  const user = userId ? tenant.dataset.stores.get("User")?.byId.get(userId) : undefined;
  if (orgId !== tenant.orgId || !user) return { tenant, response: refuse("Bad_Id") };
  const instance = baseUrlOf(headers.host);
  const id = `${instance}/id/${tenant.orgId}/${String(user.Id)}`;
  const urls = {
    enterprise: `${instance}/services/Soap/c/{version}/${tenant.orgId}`,
    partner: `${instance}/services/Soap/u/{version}/${tenant.orgId}`,
    rest: `${instance}/services/data/v{version}/`,
    sobjects: `${instance}/services/data/v{version}/sobjects/`,
    query: `${instance}/services/data/v{version}/query/`,
    profile: `${instance}/${String(user.Id)}`,
  };
  return {
    tenant,
    response: {
      status: 200,
      body: {
        id,
        asserted_user: true,
        user_id: user.Id,
        organization_id: tenant.orgId,
        username: user.Username,
        nick_name: String(user.Alias),
        display_name: user.Name,
        email: user.Email,
        email_verified: true,
        first_name: user.FirstName,
        last_name: user.LastName,
        timezone: user.TimeZoneSidKey,
        active: user.IsActive,
        user_type: "STANDARD",
        language: "en_US",
        locale: "en_US",
        utcOffset: 0,
        last_modified_date: formatDateTime(Number(user.LastModifiedDate)),
        is_app_installed: true,
        urls,
      },
    },
  };
}
