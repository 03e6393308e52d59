import { listApiKeys } from "../../services/api-keys/list-api-keys";
import { listOf, listResponse, pageQuery, pageRequest, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { apiKeyBody, apiKeyResponse } from "./schemas";

export const listApiKeysRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/api-keys",
    operationId: "listApiKeys",
    summary: "List API keys",
    description: "The key itself is never listed, only its prefix.",
    tag: "API keys",
    auth: "workspace",
    params: workspaceParams,
    query: pageQuery,
    responses: { 200: { description: "API keys", schema: listOf(apiKeyBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listApiKeys(c.get("services"), params.id, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(apiKeyResponse) });
  },
);
