import { listLoaders } from "../../services/loaders/crud";
import { listOf, listResponse, pageQuery, pageRequest, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { loaderBody, loaderResponse } from "./schemas";

export const listLoadersRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders",
    operationId: "listLoaders",
    summary: "List all loaders",
    tag: "Loaders",
    auth: "workspace",
    params: workspaceParams,
    query: pageQuery,
    responses: { 200: { description: "Loaders (a bare array unless page or page_size is given)", schema: listOf(loaderBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listLoaders(c.get("services"), params.id, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(loaderResponse) });
  },
);
