/** The Hono app: middleware in order (request id, JSON body rules), every resource's routes, errors in one place. */
import { Hono } from "hono";
import { apiKeyRoutes } from "./api-keys";
import { mountDashboard } from "../dashboard";
import { docsPage } from "./docs/docs-page";
import { healthRoutes } from "./health";
import { openApiDocument } from "./docs/openapi";
import { loaderTypeRoutes } from "./loader-types";
import { loaderRoutes } from "./loaders";
import { authMiddleware } from "./middleware/auth";
import { jsonBody } from "./middleware/json-body";
import { notFoundHandler, onError } from "./middleware/on-error";
import { requestContext } from "./middleware/request-context";
import { runRoutes } from "./runs";
import { sourceRoutes } from "./sources";
import type { AppEnv } from "./types";
import { usageRoutes } from "./usage";
import { webhookRoutes } from "./webhooks";
import { workspaceRoutes } from "./workspaces";

const routes = [...healthRoutes, ...workspaceRoutes, ...apiKeyRoutes, ...sourceRoutes, ...loaderRoutes, ...runRoutes, ...loaderTypeRoutes, ...webhookRoutes, ...usageRoutes];

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext);
  app.use("/api/*", jsonBody);
  // The baseline of bench/api-latency.mjs: a route that does nothing, in the same app and workerd, only when the
  // benchmark sets the var (wrangler dev --var LOADERS_BENCH_BARE_ROUTE:1); elsewhere it is the API's 404.
  app.get("/__bench/bare", (c, next) =>
    (c.env as unknown as Record<string, unknown>).LOADERS_BENCH_BARE_ROUTE === "1" ? c.json({ ok: true }) : next(),
  );
  for (const route of routes) route.mount(app, authMiddleware);

  const document = openApiDocument(routes);
  // `servers` names the origin the document was fetched from: the real base URL of this deployment.
  app.get("/api/v1/openapi.json", (c) => c.json({ ...document, servers: [{ url: new URL(c.req.url).origin, description: "This deployment" }] }));
  app.get("/docs", (c) => c.html(docsPage(document)));
  mountDashboard(app);

  app.notFound(notFoundHandler);
  app.onError(onError);
  return app;
}
