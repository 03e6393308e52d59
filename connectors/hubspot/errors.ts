/**
 * HubSpot's own failure shapes (research/connectors-saas.md §2 "Errors", "Rate limits"), asked before the kit's
 * default classification. Every body field is optional: HubSpot documents the shape, not which fields each error has.
 * Anything not recognised here falls through to the default (429/5xx retryable, other 4xx configuration).
 */
import { ConnectorError } from "../kit/errors";
import { apiMessage } from "../kit/http-errors";
import { parseRetryAfter } from "../kit/retry";

interface HubspotErrorBody {
  message?: unknown;
  category?: unknown;
  errorType?: unknown;
  policyName?: unknown;
  context?: { missingScopes?: unknown };
  errors?: Array<{ context?: { requiredScopes?: unknown } }>;
}

/**
 * The daily cap resets at midnight in the account's time zone, which the API does not tell: an hour is the longest
 * delay the engine accepts, and far above the client's in-process wait, so the chunk is re-queued rather than slept on.
 */
const DAILY_LIMIT_RETRY_SECONDS = 3600;

export function classifyHubspotError(status: number, body: string, headers: Headers): ConnectorError | undefined {
  const parsed = parseBody(body);
  const said = apiMessage(body);
  const suffix = said ? `: ${said}` : "";
  if (status === 429 || parsed.errorType === "RATE_LIMIT") {
    const policy = typeof parsed.policyName === "string" ? parsed.policyName : "unnamed";
    if (policy === "DAILY") {
      return new ConnectorError("retryable", `HubSpot daily API limit reached (policy DAILY)${suffix}`, {
        status,
        retryAfterSeconds: DAILY_LIMIT_RETRY_SECONDS,
      });
    }
    // Retry-After is sent on some 429s only; without it the client backs off exponentially.
    const retryAfterSeconds = parseRetryAfter(headers.get("retry-after"), Date.now());
    return new ConnectorError("retryable", `HubSpot rate limit reached (policy ${policy}, HTTP ${status})${suffix}`, {
      status,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (status === 401) {
    return new ConnectorError(
      "configuration",
      `HubSpot rejected the credentials (HTTP 401)${suffix}. Check the private app access token, or reconnect the OAuth app for a new refresh token.`,
      { status },
    );
  }
  if (status === 403) {
    const scopes = missingScopes(parsed);
    const what = scopes.length > 0 ? `the app lacks the scope(s) ${scopes.join(", ")}` : `permission denied${suffix}`;
    return new ConnectorError("configuration", `HubSpot refused the request (HTTP 403): ${what}. Grant them to the app and retry.`, { status });
  }
  // A malformed token can surface as Cloudflare's 530 (research §2 "Errors", from Airbyte); retrying cannot fix it.
  if (status === 530) {
    return new ConnectorError("configuration", "HubSpot answered HTTP 530, which it does for a malformed access token: check the token", { status });
  }
  return undefined;
}

function parseBody(body: string): HubspotErrorBody {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as HubspotErrorBody) : {};
  } catch {
    return {};
  }
}

function missingScopes(body: HubspotErrorBody): string[] {
  const listed = body.context?.missingScopes ?? body.errors?.[0]?.context?.requiredScopes;
  return Array.isArray(listed) ? listed.filter((scope): scope is string => typeof scope === "string") : [];
}
