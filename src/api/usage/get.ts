import { usageReport } from "../../services/usage/usage-report";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { usageQuery, usageReportBody } from "./schemas";

export const getUsageRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/usage",
    operationId: "getUsage",
    summary: "Usage and estimated cost",
    description:
      "The usage counts of the workspace's runs created from `from` to `to` (inclusive UTC dates, at most 366 days), summed for the workspace, per loader and per day, with their estimated cost at Cloudflare's published prices.",
    tag: "Usage",
    auth: "workspace",
    params: workspaceParams,
    query: usageQuery,
    responses: { 200: { description: "The usage report", schema: usageReportBody } },
  },
  async (c, { params, query }) => c.json(await usageReport(c.get("services"), params.id, query.from, query.to)),
);
