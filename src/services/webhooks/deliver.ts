/**
 * Webhook delivery from the outbox (webhook_deliveries): each due row is claimed with a compare-and-set on its
 * next_attempt_at (two ticks never send one delivery at once), POSTed once with its signature, and either marked
 * delivered or rescheduled with backoff; a delivery still failing a day after its event is marked failed. The rows
 * are written with the event, so nothing is lost when the Worker restarts: the next cron tick sends what is due.
 */
import { and, eq, inArray, lte } from "drizzle-orm";
import { createHttpClient } from "../../../connectors/kit/http";
import { isConnectorError } from "../../../connectors/kit/errors";
import { webhookDeliveries, webhooks } from "../../db/schema";
import { log } from "../../lib/log";
import { isoSeconds } from "../../lib/time";
import type { ServiceContext } from "../context";
import { openSecret } from "../sealed-config";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";

/** Seconds before attempt n+1 after n failed attempts; the last one repeats until the day is over. */
export const RETRY_DELAYS_SECONDS = [60, 300, 1800, 3600, 7200, 14_400, 28_800];
export const GIVE_UP_AFTER_MS = 24 * 3600_000;
/** A claimed delivery is not due again for this long (a tick that died mid-send is retried after it). */
const CLAIM_SECONDS = 120;
const SEND_TIMEOUT_MS = 10_000;
const BATCH = 50;

const later = (from: Date, seconds: number) => isoSeconds(new Date(from.getTime() + seconds * 1000));

export async function deliverDueWebhooks(ctx: ServiceContext, now: Date = new Date(), onlyIds?: string[]): Promise<{ delivered: number; failed: number; retried: number }> {
  const outcome = { delivered: 0, failed: 0, retried: 0 };
  const due = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lte(webhookDeliveries.nextAttemptAt, isoSeconds(now)), onlyIds ? inArray(webhookDeliveries.id, onlyIds) : undefined))
    .limit(BATCH);
  const http = createHttpClient({ development: ctx.settings.development, hostOverrides: ctx.settings.HOST_OVERRIDES, maxAttempts: 1, timeoutMs: SEND_TIMEOUT_MS });
  for (const delivery of due) {
    const [claimed] = await ctx.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: later(now, CLAIM_SECONDS) })
      .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.status, "pending"), eq(webhookDeliveries.nextAttemptAt, delivery.nextAttemptAt!)))
      .returning({ id: webhookDeliveries.id });
    if (!claimed) continue;
    const [hook] = await ctx.db.select().from(webhooks).where(eq(webhooks.id, delivery.webhookId)).limit(1);
    const attempts = delivery.attempts + 1;
    if (!hook || hook.status !== "active") {
      await ctx.db
        .update(webhookDeliveries)
        .set({ status: "failed", lastError: hook ? "the webhook is disabled" : "the webhook was deleted", nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, delivery.id));
      outcome.failed += 1;
      continue;
    }
    let status: number | null = null;
    let error = "";
    try {
      const secret = await openSecret(ctx.settings.SECRETS_KEYRING, { kind: "webhook", workspaceId: hook.workspaceId, id: hook.id }, hook.secretSealed);
      const result = await http.request({
        method: "POST",
        url: hook.url,
        body: delivery.payload,
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "Loaders-Webhooks/1",
          "Loaders-Event": delivery.eventType,
          "Loaders-Delivery": delivery.id,
          [SIGNATURE_HEADER]: await signatureHeader(secret, delivery.payload, new Date()),
        },
      });
      status = result.status;
    } catch (failure) {
      status = isConnectorError(failure) ? (failure.details.status ?? null) : null;
      error = failure instanceof Error ? failure.message : String(failure);
    }
    if (!error) {
      await ctx.db
        .update(webhookDeliveries)
        .set({ status: "delivered", attempts, lastStatus: status, lastError: "", nextAttemptAt: null, deliveredAt: isoSeconds(now) })
        .where(eq(webhookDeliveries.id, delivery.id));
      outcome.delivered += 1;
      continue;
    }
    const delay = RETRY_DELAYS_SECONDS[Math.min(attempts - 1, RETRY_DELAYS_SECONDS.length - 1)]!;
    const giveUp = now.getTime() + delay * 1000 > Date.parse(delivery.createdAt) + GIVE_UP_AFTER_MS;
    await ctx.db
      .update(webhookDeliveries)
      .set({ status: giveUp ? "failed" : "pending", attempts, lastStatus: status, lastError: error.slice(0, 500), nextAttemptAt: giveUp ? null : later(now, delay) })
      .where(eq(webhookDeliveries.id, delivery.id));
    if (giveUp) outcome.failed += 1;
    else outcome.retried += 1;
    log("warn", "webhook delivery failed", { webhook_id: hook.id, delivery_id: delivery.id, attempts, status, give_up: giveUp });
  }
  return outcome;
}
