import { listWebhooks } from "../../services/webhooks/crud";
import { listOf, listResponse, pageQuery, pageRequest, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { webhookBody, webhookResponse } from "./schemas";

export const listWebhooksRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/webhooks",
    operationId: "listWebhooks",
    summary: "List webhooks",
    tag: "Webhooks",
    auth: "workspace",
    params: workspaceParams,
    query: pageQuery,
    responses: { 200: { description: "Webhooks (a bare array unless page or page_size is given)", schema: listOf(webhookBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listWebhooks(c.get("services"), params.id, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(webhookResponse) });
  },
);
