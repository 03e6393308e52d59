/**
 * The one error module. Services, middleware and handlers throw `AppError` with a closed code; the API's single
 * `onError` turns it into the envelope `{error, code, request_id, details?}` (DESIGN §2). The status comes from the
 * code, so a code always means the same status everywhere.
 */
export const errorStatus = {
  invalid_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  workspace_header_mismatch: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  run_in_progress: 409,
  loader_not_ready: 409,
  run_not_cancellable: 409,
  source_in_use: 409,
  last_owner_key: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  source_unavailable: 502,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): (typeof errorStatus)[ErrorCode] {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);

export function validationError(message: string, details: ErrorDetail[]): AppError {
  return new AppError("validation_failed", message, details);
}

/** zod issues → details; messages only, never the rejected input (it may hold a secret). */
export function zodDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ""): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
}
