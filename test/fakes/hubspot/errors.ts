/**
 * HubSpot's error bodies (research/connectors-saas.md §2 "Errors" and "Rate limits"):
 * `{status:"error", message, correlationId, category, errors?, context?, links?}`; 429s carry
 * `errorType` and `policyName` instead of a category; the OAuth token endpoint uses its own
 * `{status:"BAD_REFRESH_TOKEN", message, ...}` shape.
 */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-util";

export function hubspotError(status: number, message: string, category?: string, extra: object = {}): Reply {
  return {
    status,
    body: { status: "error", message, correlationId: randomUUID(), ...(category ? { category } : {}), ...extra },
  };
}

/** Missing header, unknown token and malformed header all get this one body (HubSpot does not say which). */
export const missingCredentials = () =>
  hubspotError(
    401,
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    "INVALID_AUTHENTICATION",
  );

/** Wording as HubSpot reports an expired access token (seen in Airbyte issue #74726). */
export function expiredToken(expiredAt: number, now: number): Reply {
  const seconds = Math.max(0, Math.floor((now - expiredAt) / 1000));
  const ago = seconds >= 3600 ? `${Math.floor(seconds / 3600)} hour(s)` : `${seconds} second(s)`;
  return hubspotError(401, `The OAuth token used to make this call expired ${ago} ago.`, "EXPIRED_AUTHENTICATION", {
    context: { "expire time": [new Date(expiredAt).toISOString()] },
  });
}

export const validationError = (message: string, extra: object = {}) =>
  hubspotError(400, message, "VALIDATION_ERROR", extra);

export const notFound = (message = "resource not found") => hubspotError(404, message, "OBJECT_NOT_FOUND");

export function missingScopes(scopes: readonly string[]): Reply {
  return hubspotError(
    403,
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    "MISSING_SCOPES",
    {
      errors: [{ message: "One or more of the following scopes are required.", context: { requiredScopes: scopes } }],
      context: { missingScopes: scopes },
      links: { scopes: "https://developers.hubspot.com/scopes" },
    },
  );
}

export type RateLimitPolicy = "SECONDLY" | "TEN_SECONDLY_ROLLING" | "DAILY";

/**
 * The 429 body. The official Node client retries only when `message` is exactly the secondly text or
 * `policyName` is TEN_SECONDLY_ROLLING (RetryDecorator in @hubspot/api-client), so the wording matters.
 */
export function rateLimited(policy: RateLimitPolicy): Reply {
  const message = {
    SECONDLY: "You have reached your secondly limit.",
    TEN_SECONDLY_ROLLING: "You have reached your ten_secondly_rolling limit.",
    DAILY: "You have reached your daily limit.",
  }[policy];
  return {
    status: 429,
    body: { status: "error", message, errorType: "RATE_LIMIT", correlationId: randomUUID(), policyName: policy },
  };
}

/** 5xx bodies carry no category (verify: none documented); clients must treat every field as optional. */
export function serverError(status: number): Reply {
  const messages: Record<number, string> = { 500: "internal error", 502: "Bad Gateway", 504: "Gateway Timeout" };
  const message = messages[status] ?? "Service Unavailable";
  return { status, body: { status: "error", message, correlationId: randomUUID() } };
}

/** The OAuth endpoint's own error shape: the failure kind goes in `status` (research §2, BAD_REFRESH_TOKEN). */
export function oauthError(status: string, message: string): Reply {
  return { status: 400, body: { status, message, correlationId: randomUUID(), requestId: randomUUID() } };
}
