import { z } from "zod";
import type { webhookDeliveries } from "../../db/schema";
import type { WebhookRow } from "../../services/webhooks/crud";
import { WEBHOOK_EVENTS } from "../../services/webhooks/events";
import { timestamp, uuid, workspaceParams } from "../common";
import { examples } from "../examples";

export const webhookParams = workspaceParams.extend({ webhookId: z.string() });

const eventList = z.array(z.enum(WEBHOOK_EVENTS)).min(1, "subscribe to at least one event");

export const webhookBody = z.object({
  id: uuid,
  workspace_id: uuid,
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  status: z.enum(["active", "disabled"]),
  created_by: uuid.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ examples: [examples.webhook] });

export const createdWebhookBody = webhookBody.extend({
  secret: z.string().describe("The signing secret (whsec_…), shown only in this response"),
});

export const createWebhookBody = z
  .object({
    url: z.string().url().max(2048).describe("https:// and a public host (http and loopback only in development)"),
    events: eventList,
    description: z.string().max(500).optional(),
  })
  .strict()
  .meta({ examples: [examples.createWebhook] });

export const updateWebhookBody = createWebhookBody.partial().extend({ status: z.enum(["active", "disabled"]).optional() }).strict();

export const deliveryBody = z.object({
  id: uuid,
  event_id: z.string(),
  event_type: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  next_attempt_at: timestamp.nullable(),
  last_status: z.number().int().nullable().describe("The receiver's HTTP status on the last attempt; null when it did not answer"),
  last_error: z.string(),
  created_at: timestamp,
  delivered_at: timestamp.nullable(),
});

export function webhookResponse(row: WebhookRow): z.infer<typeof webhookBody> {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as z.infer<typeof webhookBody>["events"],
    status: row.status,
    created_by: row.createdBy,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function deliveryResponse(row: typeof webhookDeliveries.$inferSelect): z.infer<typeof deliveryBody> {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.nextAttemptAt,
    last_status: row.lastStatus,
    last_error: row.lastError,
    created_at: row.createdAt,
    delivered_at: row.deliveredAt,
  };
}
