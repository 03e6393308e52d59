import { listDeliveries } from "../../services/webhooks/crud";
import { listOf, listResponse, pageQuery, pageRequest } from "../common";
import { defineRoute } from "../route";
import { deliveryBody, deliveryResponse, webhookParams } from "./schemas";

export const listDeliveriesRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/webhooks/{webhookId}/deliveries",
    operationId: "listWebhookDeliveries",
    summary: "List a webhook's deliveries",
    description: "Newest first: each event sent, its attempts, the receiver's last status and error.",
    tag: "Webhooks",
    auth: "workspace",
    params: webhookParams,
    query: pageQuery,
    responses: { 200: { description: "Deliveries", schema: listOf(deliveryBody) } },
  },
  async (c, { params, query }) => {
    const page = pageRequest(query, 100);
    const result = await listDeliveries(c.get("services"), params.id, params.webhookId, page);
    return listResponse(c, page, { ...result, rows: result.rows.map(deliveryResponse) });
  },
);
