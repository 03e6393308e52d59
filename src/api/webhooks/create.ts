import { createWebhook } from "../../services/webhooks/crud";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";
import { DELIVERY_DESCRIPTION } from "./delivery-doc";
import { createdWebhookBody, createWebhookBody, webhookResponse } from "./schemas";

export const createWebhookRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/webhooks",
    operationId: "createWebhook",
    summary: "Create a webhook",
    description: `Events: run.completed, run.failed, loader.error, schema.changed. The signing secret is in this response only. ${DELIVERY_DESCRIPTION}`,
    tag: "Webhooks",
    auth: "workspace",
    params: workspaceParams,
    body: createWebhookBody,
    responses: { 201: { description: "Created", schema: createdWebhookBody } },
  },
  async (c, { params, body }) => {
    const created = await createWebhook(c.get("services"), params.id, body);
    return c.json({ ...webhookResponse(created.webhook), secret: created.secret }, 201);
  },
);
