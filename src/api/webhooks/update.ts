import { updateWebhook } from "../../services/webhooks/crud";
import { defineRoute } from "../route";
import { updateWebhookBody, webhookBody, webhookParams, webhookResponse } from "./schemas";

export const updateWebhookRoute = defineRoute(
  {
    method: "put",
    path: "/workspaces/{id}/webhooks/{webhookId}",
    operationId: "updateWebhook",
    summary: "Update a webhook",
    description: "Partial. `status: disabled` stops deliveries (pending ones fail when due).",
    tag: "Webhooks",
    auth: "workspace",
    params: webhookParams,
    body: updateWebhookBody,
    responses: { 200: { description: "Updated", schema: webhookBody } },
  },
  async (c, { params, body }) => c.json(webhookResponse(await updateWebhook(c.get("services"), params.id, params.webhookId, body))),
);
