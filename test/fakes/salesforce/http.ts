/** Response values handlers return, and the API's error-body shapes. */

export interface FakeResponse {
  status: number;
  /** Serialised as JSON; with neither `body` nor `text` the response is empty. */
  body?: unknown;
  /** A plain-text body, for the few endpoints that do not answer JSON. */
  text?: string;
  headers?: Record<string, string>;
}

/** REST errors are a JSON array of `{message, errorCode[, fields]}`. */
export function apiError(status: number, errorCode: string, message: string, fields?: string[]): FakeResponse {
  return { status, body: [{ message, errorCode, ...(fields ? { fields } : {}) }] };
}

/** The OAuth endpoints answer in OAuth's own shape instead. */
export function oauthError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

export const notFound = () => apiError(404, "NOT_FOUND", "The requested resource does not exist");

export function methodNotAllowed(method: string, allowed: string[]): FakeResponse {
  return apiError(405, "METHOD_NOT_ALLOWED", `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(",")}`);
}

export const ok = (body: unknown): FakeResponse => ({ status: 200, body });
