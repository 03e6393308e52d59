/**
 * Salesforce's own error shapes (research/connectors-saas.md §1): the body is a JSON array
 * `[{"message", "errorCode", "fields"?}]`, and one errorCode, REQUEST_LIMIT_EXCEEDED, covers two different limits
 * that need opposite handling. Given to the kit's http client as its `classifyError`.
 */
import { ConnectorError } from "../kit/errors";
import type { ErrorClassifier } from "../kit/http";

export interface SalesforceApiError {
  errorCode: string;
  message: string;
}

const MAX_MESSAGE_CHARS = 300;

/** The first error of a Salesforce error body, or undefined when the body is another shape (HTML, OAuth). */
export function salesforceApiError(body: string): SalesforceApiError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (first === null || typeof first !== "object") return undefined;
  const { errorCode, message } = first as Record<string, unknown>;
  if (typeof errorCode !== "string") return undefined;
  return { errorCode, message: typeof message === "string" ? message : "" };
}

/**
 * A SOQL error message repeats the whole query before the reason (`\n<query>\n   ^\nERROR at Row:1:Column:N\n<reason>`);
 * with an explicit field list the query alone can run to kilobytes, so the reason is moved to the front.
 */
function readable(message: string): string {
  const located = /ERROR at Row:(\d+):Column:(\d+)\s*([\s\S]*)$/.exec(message);
  const text = (located ? `${located[3]} (at column ${located[2]} of the query)` : message).replace(/\s+/g, " ").trim();
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

export function describeApiError(error: SalesforceApiError): string {
  return `${error.errorCode}: ${readable(error.message)}`;
}

/**
 * REQUEST_LIMIT_EXCEEDED is both the org's rolling 24-hour allocation ("TotalRequests Limit exceeded.") and the cap
 * on concurrent long-running requests ("ConcurrentPerOrgLongTxn Limit exceeded."). Only the second frees up within
 * seconds (research §1: "stop the sync (daily cap) unless it's the concurrency cap").
 */
const CONCURRENCY_LIMIT = /concurrent/i;

export const classifySalesforceError: ErrorClassifier = (status, body) => {
  const error = salesforceApiError(body);
  if (!error) return undefined;
  const said = describeApiError(error);
  const details = { status };
  if (error.errorCode === "REQUEST_LIMIT_EXCEEDED") {
    if (CONCURRENCY_LIMIT.test(error.message)) {
      return new ConnectorError("retryable", `Salesforce concurrent request limit reached (${said})`, details);
    }
    // Not retryable: the allocation frees up over hours, and every retry would spend more of it. "data" fails the
    // stream without parking the loader in `error`, so the next scheduled run simply tries again; what was already
    // written stays (incremental merges, a full_refresh keeps the previous table).
    return new ConnectorError(
      "data",
      `Salesforce daily API request limit reached (${said}): the org has used its rolling 24-hour API allocation. ` +
        "Rows loaded before the limit are kept; the next run continues from the last completed state once the allocation frees up " +
        "(Setup → Company Information shows the usage).",
      details,
    );
  }
  // 5xx (SERVER_UNAVAILABLE, UNKNOWN_EXCEPTION) and 429: the kit's default retries them and extracts the message.
  if (status >= 500 || status === 429 || status === 408) return undefined;
  if (status === 401) {
    // The kit refreshes the token once on a 401 before asking; a second 401 means the grant itself is no good.
    return new ConnectorError(
      "configuration",
      `Salesforce rejected the session even after a token refresh (${said}): reconnect the loader (a new refresh_token) or check that the connected app is still authorized`,
      details,
    );
  }
  if (status === 403) {
    return new ConnectorError(
      "configuration",
      `Salesforce denied access (${said}): the integration user needs the "API Enabled" permission and read access to the object`,
      details,
    );
  }
  return new ConnectorError("configuration", `Salesforce rejected the request (HTTP ${status}, ${said})`, details);
};

/** A query locator (`nextRecordsUrl`) that the server no longer knows: it expires after 15 idle minutes. */
export function isExpiredQueryLocator(error: unknown): boolean {
  return error instanceof ConnectorError && error.message.includes("INVALID_QUERY_LOCATOR");
}
