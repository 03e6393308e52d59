/**
 * Events a workspace can subscribe to, and their emission: one outbox row per subscribed webhook, written before any
 * attempt, then a first attempt right away (not awaited: a slow receiver never holds up the run that emitted it; the
 * cron tick retries whatever it did not deliver).
 */
import { and, eq } from "drizzle-orm";
import { webhookDeliveries, webhooks } from "../../db/schema";
import { newId } from "../../lib/ids";
import { log } from "../../lib/log";
import { nowIso } from "../../lib/time";
import type { ServiceContext } from "../context";
import { deliverDueWebhooks } from "./deliver";

export const WEBHOOK_EVENTS = ["run.completed", "run.failed", "loader.error", "schema.changed"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export async function emitEvent(ctx: ServiceContext, workspaceId: string, type: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  try {
    const hooks = await ctx.db.select().from(webhooks).where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.status, "active")));
    const subscribed = hooks.filter((hook) => (JSON.parse(hook.events) as string[]).includes(type));
    if (subscribed.length === 0) return;
    const now = nowIso();
    const eventId = `evt_${newId().replaceAll("-", "")}`;
    const payload = JSON.stringify({ id: eventId, type, created_at: now, workspace_id: workspaceId, data });
    const rows = subscribed.map((hook) => ({
      id: newId(),
      webhookId: hook.id,
      workspaceId,
      eventId,
      eventType: type,
      payload,
      status: "pending" as const,
      attempts: 0,
      nextAttemptAt: now,
      lastStatus: null,
      lastError: "",
      createdAt: now,
      deliveredAt: null,
    }));
    await ctx.db.insert(webhookDeliveries).values(rows);
    void deliverDueWebhooks(ctx, new Date(), rows.map((r) => r.id)).catch((error: unknown) => log("warn", "webhook first attempt failed", { error: String(error) }));
  } catch (error) {
    // An event that cannot be recorded must not fail the run or the loader update that emitted it.
    log("error", "webhook event not recorded", { workspace_id: workspaceId, type, error: error instanceof Error ? error.message : String(error) });
  }
}
