/**
 * Workspace webhooks: CRUD and the delivery log. Events are POSTed as JSON, signed like Stripe's
 * (`Loaders-Signature: t=…,v1=<HMAC-SHA256 of "t.body">`), retried with backoff for a day.
 */
import { z } from "zod";
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, updateWebhook } from "../../services/webhooks/crud";
import { listOf, listResponse, pageQuery, pageRequest, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { createdWebhookBody, createWebhookBody, deliveryBody, deliveryResponse, updateWebhookBody, webhookBody, webhookParams, webhookResponse } from "./schemas";

const DELIVERY =
  "Each event is POSTed as JSON `{id, type, created_at, workspace_id, data}` with headers `Loaders-Event`, `Loaders-Delivery` and `Loaders-Signature: t=<unix>,v1=<hex>` where v1 is HMAC-SHA256 of `<t>.<body>` under the webhook's secret (Stripe's scheme). A non-2xx answer or no answer within 10 s is retried after 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, then every 8 h, for a day.";

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

export const createWebhookRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/webhooks",
    operationId: "createWebhook",
    summary: "Create a webhook",
    description: `Events: run.completed, run.failed, loader.error. The signing secret is in this response only. ${DELIVERY}`,
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

export const webhookRoutes = [listWebhooksRoute, createWebhookRoute, getWebhookRoute, updateWebhookRoute, deleteWebhookRoute, listDeliveriesRoute];
