import type { MiddlewareHandler } from "hono";
import { log } from "../../lib/log";
import type { AppEnv } from "../types";

/** A request id on every response (and in every error body and log line), honouring a caller's own id. */
export const requestContext: MiddlewareHandler<AppEnv> = async function requestContext(c, next) {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll("-", "")}`;
  c.set("requestId", requestId);
  const started = Date.now();
  await next();
  c.header("X-Request-ID", requestId);
  log("info", "request", {
    request_id: requestId,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    ms: Date.now() - started,
    workspace_id: c.get("workspaceId"),
  });
};
