import { z } from "zod";
import { deleteWebhook } from "../../services/webhooks/crud";
import { defineRoute } from "../route";
import { webhookParams } from "./schemas";

export const deleteWebhookRoute = defineRoute(
  {
    method: "delete",
    path: "/workspaces/{id}/webhooks/{webhookId}",
    operationId: "deleteWebhook",
    summary: "Delete a webhook",
    description: "Its pending deliveries and its log go with it.",
    tag: "Webhooks",
    auth: "workspace",
    params: webhookParams,
    responses: { 200: { description: "Deleted", schema: z.object({ status: z.literal("deleted") }) } },
  },
  async (c, { params }) => {
    await deleteWebhook(c.get("services"), params.id, params.webhookId);
    return c.json({ status: "deleted" as const });
  },
);
