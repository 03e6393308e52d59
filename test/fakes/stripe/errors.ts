/**
 * Stripe's error envelope: `{"error":{"type","code","message","param","doc_url","request_log_url"}}`
 * (https://docs.stripe.com/api/errors). Thrown as ApiFailure anywhere in request handling and rendered once by the server.
 */

export type ErrorType = "invalid_request_error" | "api_error" | "card_error" | "idempotency_error";

export interface ErrorFields {
  type: ErrorType;
  message: string;
  code?: string;
  param?: string;
}

export class ApiFailure extends Error {
  readonly status: number;
  readonly fields: ErrorFields;
  readonly headers: Record<string, string>;

  constructor(status: number, fields: ErrorFields, headers: Record<string, string> = {}) {
    super(fields.message);
    this.status = status;
    this.fields = fields;
    this.headers = headers;
  }
}

/**
 * Coded errors carry `doc_url` (the code with dashes) and `request_log_url`; authentication failures and unknown
 * URLs are bare `{message, type}` as the reference shows them.
 */
export function errorBody(fields: ErrorFields, requestId: string, now: number) {
  const error: Record<string, string> = {};
  if (fields.code) {
    error.code = fields.code;
    error.doc_url = `https://stripe.com/docs/error-codes/${fields.code.replaceAll("_", "-")}`;
  }
  error.message = fields.message;
  if (fields.param) error.param = fields.param;
  if (fields.code) error.request_log_url = `https://dashboard.stripe.com/test/logs/${requestId}?t=${now}`;
  error.type = fields.type;
  return { error };
}

export function invalidRequest(message: string, extra: { param?: string; code?: string; status?: number } = {}) {
  const fields: ErrorFields = { type: "invalid_request_error", message };
  if (extra.code) fields.code = extra.code;
  if (extra.param) fields.param = extra.param;
  return new ApiFailure(extra.status ?? 400, fields);
}

export function parameterUnknown(param: string) {
  return invalidRequest(`Received unknown parameter: ${param}`, { param, code: "parameter_unknown" });
}

export function invalidInteger(param: string, value: string) {
  return invalidRequest(`Invalid integer: ${value}`, { param, code: "parameter_invalid_integer" });
}

/**
 * `No such customer: 'cus_…'`. A missing resource in the URL is a 404 with param "id"; an id passed as a parameter
 * (e.g. `starting_after`) is a 400 naming that parameter (verify: Stripe's reference shows only the 404 form).
 */
export function resourceMissing(objectName: string, id: string, param: string, status: number) {
  return invalidRequest(`No such ${objectName}: '${id}'`, { param, code: "resource_missing", status });
}

export function unrecognizedUrl(method: string, path: string) {
  return invalidRequest(
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    { status: 404 },
  );
}

/** A control-API request the fake refuses (e.g. deleting a charge, which the API cannot do either); answered 400. */
export class ControlError extends Error {}
