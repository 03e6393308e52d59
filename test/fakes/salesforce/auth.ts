/**
 * The gate every `/services/data/vXX.X/...` request passes: bearer-token check, then the org's daily
 * allocation, then injected faults. Only requests that get past authentication and the daily cap count
 * towards `api-usage`.
 */
import { type FakeResponse, apiError } from "./http";
import { type Tenant, type TenantRegistry, tenantOfAccessToken } from "./tenants";

export interface Admission {
  /** Known whenever the token names a tenant, even if the request is then refused (for the request log). */
  tenant?: Tenant;
  /** Set when the request is refused. */
  refusal?: FakeResponse;
}

const sessionInvalid = () => apiError(401, "INVALID_SESSION_ID", "Session expired or invalid");

export const serverError = () =>
  apiError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1733412046-58212 (-1104628104)");
export const serverUnavailable = () => apiError(503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later.");

export function admit(registry: TenantRegistry, headers: Record<string, string>): Admission {
  const authorization = headers.authorization;
  if (!authorization) return { refusal: sessionInvalid() };
  // Salesforce accepts both the standard `Bearer` scheme and its legacy `OAuth` scheme.
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return { refusal: apiError(401, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE") };
  const token = match[1];
  const name = tenantOfAccessToken(token);
  const tenant = name ? registry.find(name) : undefined;
  const state = tenant?.tokens.get(token);
  if (!tenant || !state) return { tenant, refusal: sessionInvalid() };

  const { faults } = tenant;
  if (faults.token_ttl_requests !== null && state.uses >= faults.token_ttl_requests) state.expired = true;
  if (!state.expired && faults.rates.session_expired > 0 && tenant.faultRng.chance(faults.rates.session_expired)) {
    state.expired = true;
  }
  if (state.expired) return { tenant, refusal: sessionInvalid() };

  if (tenant.apiUsage >= faults.daily_limit) {
    return { tenant, refusal: apiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.") };
  }
  tenant.apiUsage += 1;
  state.uses += 1;

  if (faults.fail_first > 0) {
    faults.fail_first -= 1;
    return { tenant, refusal: faults.fail_status === 500 ? serverError() : serverUnavailable() };
  }
  const roll = (rate: number) => rate > 0 && tenant.faultRng.chance(rate);
  if (roll(faults.rates.concurrent_limit)) {
    return { tenant, refusal: apiError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.") };
  }
  if (roll(faults.rates.server_error)) return { tenant, refusal: serverError() };
  if (roll(faults.rates.unavailable)) return { tenant, refusal: serverUnavailable() };
  return { tenant };
}

export function limitInfoHeader(tenant: Tenant): string {
  return `api-usage=${tenant.apiUsage}/${tenant.faults.daily_limit}`;
}
