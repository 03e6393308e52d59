import { getWebhook } from "../../services/webhooks/crud";
import { defineRoute } from "../route";
import { webhookBody, webhookParams, webhookResponse } from "./schemas";

export const getWebhookRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/webhooks/{webhookId}",
    operationId: "getWebhook",
    summary: "Get a webhook",
    tag: "Webhooks",
    auth: "workspace",
    params: webhookParams,
    responses: { 200: { description: "The webhook", schema: webhookBody } },
  },
  async (c, { params }) => c.json(webhookResponse(await getWebhook(c.get("services"), params.id, params.webhookId))),
);
