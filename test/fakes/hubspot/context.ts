/** What every API route handler gets, and the small helpers they share (scopes, JSON bodies, paging links). */
import { hubspotError, missingScopes, validationError } from "./errors";
import type { Reply } from "./http-util";
import type { Dataset } from "./records";
import { dataset, type Tenant } from "./tenants";

export interface RouteContext {
  tenant: Tenant;
  method: string;
  /** The request path as sent, version segment included (paging links echo it). */
  path: string;
  query: URLSearchParams;
  rawBody: string;
  /** Epoch ms, wall clock: only token expiry and the rate-limit window use it. */
  now: number;
}

export const data = (ctx: RouteContext): Dataset => dataset(ctx.tenant);

export function requireScopes(ctx: RouteContext, scopes: readonly string[]): Reply | null {
  const missing = scopes.filter((scope) => ctx.tenant.faults.config.missing_scopes.includes(scope));
  return missing.length > 0 ? missingScopes(missing) : null;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; reply: Reply };

export function jsonBody(ctx: RouteContext): JsonResult {
  try {
    return { ok: true, value: ctx.rawBody === "" ? undefined : (JSON.parse(ctx.rawBody) as unknown) };
  } catch (error) {
    return { ok: false, reply: validationError(`Invalid input JSON: ${(error as Error).message}`) };
  }
}

export const methodNotAllowed = () => hubspotError(405, "Method Not Allowed");

/**
 * The next page's link as HubSpot writes it: an absolute URL on the production host carrying the original
 * query with `after` replaced (HOST_OVERRIDES sends it back to the fake in development).
 */
export function nextLink(ctx: RouteContext, after: string): string {
  const params = new URLSearchParams(ctx.query);
  params.set("after", after);
  return `https://api.hubapi.com${ctx.path}?${params.toString()}`;
}

/** `limit` on GET lists: HubSpot caps it at the endpoint maximum rather than rejecting (verify). */
export function listLimit(ctx: RouteContext, fallback: number, max: number): number | Reply {
  const raw = ctx.query.get("limit");
  if (raw === null || raw === "") return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) return validationError(`limit must be a positive integer, got ${raw}`);
  return Math.min(limit, max);
}

/** List cursors are the next id to return, as a decimal string; anything else is rejected. */
export function listAfter(ctx: RouteContext): number | Reply {
  const raw = ctx.query.get("after");
  if (raw === null || raw === "") return 0;
  return /^\d+$/.test(raw) ? Number(raw) : validationError(`Invalid after cursor: ${raw}`);
}

export const flag = (ctx: RouteContext, name: string) => ctx.query.get(name)?.toLowerCase() === "true";
