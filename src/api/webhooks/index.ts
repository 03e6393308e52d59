import { createWebhookRoute } from "./create";
import { deleteWebhookRoute } from "./delete";
import { listDeliveriesRoute } from "./deliveries";
import { getWebhookRoute } from "./get";
import { listWebhooksRoute } from "./list";
import { updateWebhookRoute } from "./update";

/**
 * Workspace webhooks: CRUD and the delivery log. Events are POSTed as JSON, signed like Stripe's
 * (`Loaders-Signature: t=…,v1=<HMAC-SHA256 of "t.body">`), retried with backoff for a day.
 */
export const webhookRoutes = [listWebhooksRoute, createWebhookRoute, getWebhookRoute, updateWebhookRoute, deleteWebhookRoute, listDeliveriesRoute];
