/**
 * The default classification of an HTTP failure (DESIGN §3) and the extraction of the API's own message, so that a
 * user reads "credentials rejected: Invalid API Key provided" rather than "HTTP 401".
 */
import { ConnectorError } from "./errors";
import { parseRetryAfter } from "./retry";

const MAX_MESSAGE_CHARS = 300;

export function classifyHttpFailure(status: number, body: string, headers: Headers, target: URL, nowMs: number): ConnectorError {
  const message = apiMessage(body);
  const where = `${target.host}${target.pathname}`;
  const details = { status, url: `${target.origin}${target.pathname}` };
  const said = message ? `: ${message}` : "";
  // 408 is the server giving up on a slow request; like 429 and 5xx it is worth another try.
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterSeconds = parseRetryAfter(headers.get("retry-after"), nowMs);
    const what = status === 429 ? "rate limited" : status === 408 ? "request timeout" : "server error";
    return new ConnectorError("retryable", `${what} (HTTP ${status}) from ${where}${said}`, {
      ...details,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  // Redirects are followed by the client; one left over had no Location or was one hop too many.
  if (status >= 300 && status < 400) return new ConnectorError("configuration", `${where} answered HTTP ${status} without a redirect that can be followed`, details);
  if (status === 401) return new ConnectorError("configuration", `credentials rejected by ${target.host} (HTTP 401)${said}`, details);
  if (status === 403) return new ConnectorError("configuration", `permission denied for ${where} (HTTP 403)${said}`, details);
  if (status === 404) return new ConnectorError("configuration", `not found: ${where} (HTTP 404)${said}`, details);
  if (status >= 400) return new ConnectorError("configuration", `${target.host} rejected the request to ${target.pathname} (HTTP ${status})${said}`, details);
  return new ConnectorError("data", `unexpected HTTP ${status} from ${where}`, details);
}

/** The human message inside an error body, from the shapes common APIs use; undefined when there is none. */
export function apiMessage(body: string): string | undefined {
  const text = body.trim();
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // An HTML error page says nothing useful and can be long; plain text is often the message itself.
    return /^<(!doctype|html)/i.test(text) ? undefined : truncate(text);
  }
  const found = messageIn(parsed, 0);
  return found === undefined ? undefined : truncate(found);
}

function messageIn(value: unknown, depth: number): string | undefined {
  if (depth > 3 || value === null || value === undefined) return undefined;
  if (typeof value === "string") return value || undefined;
  if (Array.isArray(value)) return messageIn(value[0], depth + 1); // Salesforce: [{message, errorCode}]
  if (typeof value !== "object") return undefined;
  const obj = value as Record<string, unknown>;
  // OAuth token endpoints: {error: "invalid_grant", error_description: "..."}: the description is the sentence.
  if (typeof obj.error_description === "string" && obj.error_description) {
    return typeof obj.error === "string" ? `${obj.error}: ${obj.error_description}` : obj.error_description;
  }
  for (const key of ["message", "error", "errors", "detail", "title", "error_message", "errorMessage", "msg"]) {
    const found = messageIn(obj[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS)}…` : oneLine;
}

/**
 * Replaces every known secret value in a message: API error bodies and driver messages sometimes echo the credential
 * they rejected. The one redaction of the project (connectors, warehouses, connection tests). Longer secrets first, so
 * a secret that contains another (a Basic header's base64 and its password) is replaced whole.
 */
export function redact(message: string, secrets: readonly (string | null | undefined)[]): string {
  let out = message;
  const known = secrets.filter((secret): secret is string => typeof secret === "string" && secret.length > 0);
  for (const secret of known.sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  return out;
}

export const REDACTED = "[redacted]";

/**
 * Query parameters that commonly carry a credential or a signature (API keys, OAuth tokens, AWS presigned URLs).
 * Their values are replaced wherever a URL is put into an error message or a log line (issue 16 item 6). Compared
 * case-insensitively, as servers differ in the case they accept.
 */
export const SECRET_QUERY_PARAMS: readonly string[] = [
  "api_key",
  "apikey",
  "key",
  "access_token",
  "token",
  "client_secret",
  "signature",
  "sig",
  "password",
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token",
];

const QUERY_PAIR = /([?&;])([^=&#\s?;"'<>]+)=([^&#\s"'<>;]*)/g;
const USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*):[^/?#@\s]*@/gi;

function secretNames(extra: readonly string[]): Set<string> {
  return new Set([...SECRET_QUERY_PARAMS, ...extra].map((name) => name.toLowerCase()));
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * Every URL in a text with the values of its secret query parameters (the table above plus `extra`, e.g. the name
 * a rest_api config sends its key under) and any password in its user info replaced by `[redacted]`. Works on text
 * that merely contains URLs (error messages, API error bodies) and on strings that do not parse as a URL.
 */
export function redactUrls(text: string, extra: readonly string[] = []): string {
  const names = secretNames(extra);
  return text
    .replace(QUERY_PAIR, (pair, separator: string, name: string) => (names.has(decodedName(name)) ? `${separator}${name}=${REDACTED}` : pair))
    .replace(USER_INFO, `$1:${REDACTED}@`);
}

/** A URL fit for a message or a log line: `redactUrls` over one URL. */
export function redactUrl(url: string | URL, extra: readonly string[] = []): string {
  return redactUrls(String(url), extra);
}

/**
 * A URL without the named query parameters, for URLs that are stored (a next-page link in a checkpoint): the auth
 * provider adds its own query credential to every request again, so the stored link needs none, and the API's
 * habit of echoing the key into its links does not put the key into queue messages and run state.
 */
export function withoutQueryParams(url: string, names: readonly string[]): string {
  if (names.length === 0) return url;
  const drop = new Set(names.map((name) => name.toLowerCase()));
  const match = /^([^?#]*)\?([^#]*)(#.*)?$/.exec(url);
  if (!match) return url;
  const [, head, query = "", fragment = ""] = match;
  // Textual, pair by pair: re-serialising through URLSearchParams would re-encode the pairs that stay, and a signed
  // or raw link must reach the API exactly as it gave it.
  const kept = query.split("&").filter((pair) => pair !== "" && !drop.has(decodedName(pair.split("=")[0] ?? "")));
  return `${head}${kept.length > 0 ? `?${kept.join("&")}` : ""}${fragment}`;
}
