/**
 * Three ways in: workspace routes need an API key of that workspace plus `X-Workspace-ID` equal to the path id;
 * the bootstrap route needs ADMIN_TOKEN; listing workspaces takes either. Checks run in this order so each failure
 * has one meaning: no/invalid credentials 401, header missing or unequal to the path 400, key of another
 * workspace 403 (DESIGN §2).
 */
import type { MiddlewareHandler } from "hono";
import { settings } from "../../env";
import { database } from "../../db/client";
import { AppError } from "../../lib/errors";
import { timingSafeEqualStrings } from "../../lib/ids";
import { authenticateApiKey } from "../../services/api-keys/authenticate";
import { touchApiKey } from "../../services/api-keys/touch-api-key";
import { serviceContext } from "../../services/context";
import { sessionApiKey } from "../../dashboard/api-session";
import type { RouteAuth } from "../route";
import type { AppEnv } from "../types";
import { underRateLimit } from "./rate-limit";

function bearer(header: string | undefined): string {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new AppError("unauthorized", "missing credentials: send Authorization: Bearer <api key>");
  return match[1]!;
}

async function isAdminToken(token: string, configured: string | undefined): Promise<boolean> {
  return configured !== undefined && (await timingSafeEqualStrings(token, configured));
}

const workspace: MiddlewareHandler<AppEnv> = async function workspaceAuth(c, next) {
  const db = database(c.env.DB);
  // No Authorization header: the dashboard's session cookie may stand in for the key (src/dashboard/api-session.ts).
  const authorization = c.req.header("authorization");
  const key = authorization === undefined ? await sessionApiKey(c) : await authenticateApiKey(db, bearer(authorization));
  if (!key) throw new AppError("unauthorized", "invalid or revoked API key");
  const pathId = c.req.param("id") ?? "";
  const header = c.req.header("x-workspace-id");
  if (!header) throw new AppError("workspace_header_mismatch", "X-Workspace-ID header is required");
  if (header !== pathId) throw new AppError("workspace_header_mismatch", "X-Workspace-ID must equal the workspace id in the path");
  if (key.workspaceId !== pathId) throw new AppError("forbidden", "this API key is not valid for this workspace");
  c.set("workspaceId", key.workspaceId);
  c.set("services", serviceContext(c.env, { kind: "api_key", workspaceId: key.workspaceId, keyId: key.id, role: key.role }));
  return underRateLimit(c, key.workspaceId, next, () => c.executionCtx.waitUntil(touchApiKey(db, key).catch(() => undefined)));
};

const adminToken: MiddlewareHandler<AppEnv> = async function adminTokenAuth(c, next) {
  const token = bearer(c.req.header("authorization"));
  if (!(await isAdminToken(token, settings(c.env).ADMIN_TOKEN))) throw new AppError("unauthorized", "invalid admin token");
  c.set("services", serviceContext(c.env, { kind: "admin_token" }));
  return next();
};

const keyOrAdminToken: MiddlewareHandler<AppEnv> = async function keyOrAdminAuth(c, next) {
  const token = bearer(c.req.header("authorization"));
  if (await isAdminToken(token, settings(c.env).ADMIN_TOKEN)) {
    c.set("services", serviceContext(c.env, { kind: "admin_token" }));
    return next();
  }
  const key = await authenticateApiKey(database(c.env.DB), token);
  if (!key) throw new AppError("unauthorized", "invalid or revoked API key");
  c.set("workspaceId", key.workspaceId);
  c.set("services", serviceContext(c.env, { kind: "api_key", workspaceId: key.workspaceId, keyId: key.id, role: key.role }));
  return underRateLimit(c, key.workspaceId, next);
};

/** No credentials (`/health`): the handler gets a system context, never a workspace. */
const open: MiddlewareHandler<AppEnv> = async function publicRoute(c, next) {
  c.set("services", serviceContext(c.env, { kind: "system", reason: "engine" }));
  return next();
};

export const authMiddleware: Record<RouteAuth, MiddlewareHandler<AppEnv>> = {
  workspace,
  admin_token: adminToken,
  key_or_admin_token: keyOrAdminToken,
  public: open,
};
