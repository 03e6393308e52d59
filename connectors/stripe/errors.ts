/**
 * Stripe's own failure shapes (https://docs.stripe.com/rate-limits, https://docs.stripe.com/error-low-level), asked
 * before the kit's default classification. Everything not decided here (401, 403, 404, 400, plain 5xx) keeps the
 * default, which already quotes `error.message` from Stripe's `{"error":{type, code, message}}` body.
 */
import { ConnectorError } from "../kit/errors";
import type { ErrorClassifier } from "../kit/http";
import { apiMessage } from "../kit/http-errors";

/**
 * When Stripe says a transient failure must not be retried now, the chunk goes back to the engine, which re-queues
 * it after this many seconds instead of retrying in process (above the client's longest in-process wait).
 */
export const HAND_BACK_SECONDS = 60;

interface StripeErrorBody {
  type?: string;
  code?: string;
}

function errorFields(body: string): StripeErrorBody {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    const error = parsed?.error;
    if (error && typeof error === "object") {
      const { type, code } = error as Record<string, unknown>;
      return { ...(typeof type === "string" ? { type } : {}), ...(typeof code === "string" ? { code } : {}) };
    }
  } catch {
    // Not Stripe's JSON (a proxy's error page): nothing Stripe-specific to read.
  }
  return {};
}

const transient = (status: number) => status === 429 || status === 408 || status >= 500;

export const classifyStripeError: ErrorClassifier = (status, body, headers) => {
  const { code } = errorFields(body);
  const message = apiMessage(body);
  const said = message ? `: ${message}` : "";
  const what = code ? `HTTP ${status}, ${code}` : `HTTP ${status}`;
  // "Stripe-Should-Retry … when present, overrides heuristics" (research §3, rate limits).
  const shouldRetry = headers.get("stripe-should-retry");
  if (shouldRetry === "true") return new ConnectorError("retryable", `Stripe asked for a retry (${what})${said}`, { status });
  if (shouldRetry === "false" && transient(status)) {
    return new ConnectorError("retryable", `Stripe said not to retry this request now (${what})${said}`, { status, retryAfterSeconds: HAND_BACK_SECONDS });
  }
  if (status === 429) {
    // Neither 429 carries Retry-After: the client backs off exponentially.
    if (code === "lock_timeout") return new ConnectorError("retryable", `Stripe object busy (${what})${said}`, { status });
    const reason = headers.get("stripe-rate-limited-reason");
    return new ConnectorError("retryable", `Stripe rate limit reached (${what}${reason ? `, ${reason}` : ""})${said}`, { status });
  }
  if (status === 401) {
    // A Stripe key cannot be refreshed: invalid, expired or rolled, it stays so until the user replaces it.
    return new ConnectorError("configuration", `Stripe rejected the API key (HTTP 401)${said}. Set a valid secret or restricted key in api_key.`, { status });
  }
  return undefined;
};
