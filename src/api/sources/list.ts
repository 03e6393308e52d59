import { listSources } from "../../services/sources/crud";
import { listOf, listResponse, pageQuery, pageRequest, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { sourceBody, sourceResponse } from "./schemas";

export const listSourcesRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/sources",
    operationId: "listSources",
    summary: "List sources (warehouses)",
    tag: "Sources",
    auth: "workspace",
    params: workspaceParams,
    query: pageQuery,
    responses: { 200: { description: "Sources", schema: listOf(sourceBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listSources(c.get("services"), params.id, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(sourceResponse) });
  },
);
