/**
 * One declaration per operation: method, path, auth, zod schemas and responses. The same object mounts the
 * handler (with validators whose failures become our 400 envelope, never the validator's raw body) and feeds
 * the OpenAPI document, so the docs cannot drift from what is enforced.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { validationError, zodDetails } from "../lib/errors";
import type { AppEnv } from "./types";

export type RouteAuth = "workspace" | "admin_token" | "key_or_admin_token" | "public";
export type Method = "get" | "post" | "put" | "delete";

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** OpenAPI form, relative to /api/v1: `/workspaces/{id}/loaders/{loaderId}`. */
  path: string;
  /** A stable name for clients generated from the document (`listLoaders`, `triggerRun`). */
  operationId: string;
  /** Served at `path` itself rather than under /api/v1 (`/health`). */
  root?: true;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType; eventStream?: true }>;
}

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
}

export interface Route {
  spec: RouteSpec;
  mount(app: Hono<AppEnv>, auth: Record<RouteAuth, MiddlewareHandler<AppEnv>>): void;
}

function failWith(where: string) {
  return (result: { success: boolean; error?: { issues: z.core.$ZodIssue[] } }) => {
    if (!result.success) throw validationError(`invalid ${where}`, zodDetails(result.error?.issues ?? []));
  };
}

/**
 * The body exactly as the JSON-body middleware parsed it (middleware/json-body.ts holds the one media-type rule);
 * an empty body is validated as `{}`, so a route with required fields answers which are missing.
 */
function validBody<B extends z.ZodType>(c: Context<AppEnv>, schema: B): z.output<B> {
  const result = schema.safeParse(c.get("jsonBody") ?? {});
  if (!result.success) throw validationError("invalid request body", zodDetails(result.error.issues));
  return result.data;
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
  handler: (c: Context<AppEnv>, input: RouteInput<P, Q, B>) => Response | Promise<Response>,
): Route {
  return {
    spec: spec as unknown as RouteSpec,
    mount(app, auth) {
      const honoPath = `${spec.root ? "" : "/api/v1"}${spec.path.replace(/\{(\w+)\}/g, ":$1")}`;
      const validators: MiddlewareHandler<AppEnv>[] = [];
      if (spec.params) validators.push(zValidator("param", spec.params, failWith("path parameters")) as unknown as MiddlewareHandler<AppEnv>);
      if (spec.query) validators.push(zValidator("query", spec.query, failWith("query parameters")) as unknown as MiddlewareHandler<AppEnv>);
      app.on(spec.method.toUpperCase(), honoPath, auth[spec.auth], ...validators, async (c) => {
        const req = c.req as unknown as { valid(target: string): unknown };
        return handler(c, {
          params: (spec.params ? req.valid("param") : {}) as z.output<P>,
          query: (spec.query ? req.valid("query") : {}) as z.output<Q>,
          body: (spec.body ? validBody(c, spec.body) : undefined) as z.output<B>,
        });
      });
    },
  };
}
