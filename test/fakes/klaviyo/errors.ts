/**
 * Klaviyo's JSON:API error document (https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling):
 * `{"errors":[{id, status, code, title, detail, source: {pointer | parameter}, links, meta}]}`. Codes follow the
 * DRF-style names the API uses (not_authenticated, authentication_failed, permission_denied, not_found, invalid,
 * throttled); the exact titles of the last four are (verify).
 */
import { randomUUID } from "node:crypto";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly source: Record<string, string> = { pointer: "/data/" },
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  body() {
    return { errors: [{ id: randomUUID(), status: this.status, code: this.code, title: this.title, detail: this.detail, source: this.source, links: {}, meta: {} }] };
  }

  static notAuthenticated() {
    return new ApiError(401, "not_authenticated", "Authentication credentials were not provided.", "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.");
  }

  static authenticationFailed() {
    return new ApiError(401, "authentication_failed", "Incorrect authentication credentials.", "Incorrect authentication credentials.");
  }

  static permissionDenied(scopes: string[]) {
    return new ApiError(403, "permission_denied", "You do not have permission to perform this action.", `This API key is missing required scopes: ${scopes.join(", ")}.`);
  }

  static notFound(detail = "Not found.") {
    return new ApiError(404, "not_found", "Not found.", detail);
  }

  static invalid(detail: string, parameter?: string) {
    return new ApiError(400, "invalid", "Invalid input.", detail, parameter ? { parameter } : { pointer: "/data/" });
  }

  static invalidFilter(detail: string) {
    return ApiError.invalid(detail, "filter");
  }

  static throttled(retryAfter: number) {
    return new ApiError(429, "throttled", "Request was throttled.", `Request was throttled. Expected available in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`, { pointer: "/data/" }, {
      "Retry-After": String(retryAfter),
    });
  }

  static server(status: number) {
    return new ApiError(status, "error", "A server error occurred.", "A server error occurred.");
  }
}

/** Thrown by the control API: a 400 with a plain message, never a vendor-shaped body. */
export class ControlError extends Error {}
