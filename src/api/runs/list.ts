import { listRuns } from "../../services/runs/list-runs";
import { listOf, listResponse, loaderParams, pageQuery, pageRequest } from "../common";
import { defineRoute } from "../route";
import { runBody, runResponse } from "./schemas";

export const listRunsRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}/runs",
    operationId: "listRuns",
    summary: "List loader runs",
    description: "Newest first; without page/page_size, the latest 100.",
    tag: "Runs",
    auth: "workspace",
    params: loaderParams,
    query: pageQuery,
    responses: { 200: { description: "Runs", schema: listOf(runBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listRuns(c.get("services"), params.id, params.loaderId, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(runResponse) });
  },
);
