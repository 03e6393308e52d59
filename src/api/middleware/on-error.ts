/**
 * The one mapping from thrown errors to the envelope, in three tiers: our AppError → its code; Hono's
 * HTTPException (e.g. a body the framework refused) → the code for its status; anything else → logged with its
 * stack and answered as a 500 with no internals.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { EnvironmentError } from "../../env";
import { AppError, type ErrorCode, errorStatus } from "../../lib/errors";
import { log } from "../../lib/log";
import type { AppEnv } from "../types";

const codeForStatus: Record<number, ErrorCode> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const body: Record<string, unknown> = { error: error.message, code: error.code, request_id: c.get("requestId") };
  if (error.details && error.details.length > 0) body.details = error.details;
  return c.json(body, error.status, error.headers);
}

export function onError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) return errorResponse(c, error);
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? "invalid_request";
    return errorResponse(c, new AppError(code, error.message || code.replaceAll("_", " ")));
  }
  const misconfigured = error instanceof EnvironmentError;
  log("error", misconfigured ? "environment invalid" : "unhandled error", {
    request_id: c.get("requestId"),
    error: error.message,
    stack: error.stack,
  });
  return c.json(
    {
      error: misconfigured ? "service is misconfigured" : "internal error",
      code: "internal_error",
      request_id: c.get("requestId"),
    },
    errorStatus.internal_error,
  );
}

export function notFoundHandler(c: Context<AppEnv>): Response {
  return errorResponse(c, new AppError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
}
