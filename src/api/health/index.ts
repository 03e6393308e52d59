import { z } from "zod";
import { checkHealth } from "../../services/health";
import { defineRoute } from "../route";

export const healthRoute = defineRoute(
  {
    method: "get",
    path: "/health",
    root: true,
    operationId: "getHealth",
    summary: "Health check",
    description: "No authentication. 200 when the Worker and its D1 database answer, 503 when the database does not.",
    tag: "Service",
    auth: "public",
    responses: {
      200: { description: "Healthy", schema: z.object({ status: z.enum(["ok", "degraded"]), database: z.enum(["ok", "unavailable"]) }) },
      503: { description: "The database does not answer" },
    },
  },
  async (c) => {
    const health = await checkHealth(c.get("services"));
    return c.json(health, health.status === "ok" ? 200 : 503);
  },
);

export const healthRoutes = [healthRoute];
