import { and, count, desc, eq, sql } from "drizzle-orm";
import { resolveTarget } from "../../../connectors/kit/host-policy";
import { isConnectorError } from "../../../connectors/kit/errors";
import { conditionalInsert } from "../../db/client";
import { webhookDeliveries, webhooks, workspaces } from "../../db/schema";
import { notFound, validationError } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { actorStillActiveSql } from "../api-keys/create-api-key";
import { actorId, requireRole, type ServiceContext } from "../context";
import type { PageRequest } from "../pagination";
import { sealSecret } from "../sealed-config";
import type { WebhookEvent } from "./events";

export type WebhookRow = typeof webhooks.$inferSelect;

/** The same host rules as every outbound request: https to a public host outside development (no SSRF to loopback). */
function validateUrl(ctx: ServiceContext, url: string): void {
  try {
    resolveTarget(new URL(url), { development: ctx.settings.development, hostOverrides: ctx.settings.HOST_OVERRIDES });
  } catch (error) {
    const message = isConnectorError(error) ? error.message : "must be an absolute URL";
    throw validationError("webhook url is not allowed", [{ path: "url", message }]);
  }
}

export async function createWebhook(ctx: ServiceContext, workspaceId: string, input: { url: string; events: WebhookEvent[]; description?: string }) {
  requireRole(ctx, "admin");
  validateUrl(ctx, input.url);
  const id = newId();
  const secret = `whsec_${randomToken(32)}`;
  const now = nowIso();
  const row: WebhookRow = {
    id,
    workspaceId,
    url: input.url,
    description: input.description ?? "",
    events: JSON.stringify([...new Set(input.events)]),
    secretSealed: await sealSecret(ctx.settings.SECRETS_KEYRING, { kind: "webhook", workspaceId, id }, secret),
    status: "active",
    createdBy: actorId(ctx),
    createdAt: now,
    updatedAt: now,
  };
  const condition = sql`EXISTS (SELECT 1 FROM ${workspaces} WHERE ${workspaces.id} = ${workspaceId}) AND ${actorStillActiveSql(ctx)}`;
  const inserted = await conditionalInsert(ctx.env.DB, webhooks, row, condition).run();
  if (inserted.meta.changes !== 1) throw notFound("workspace");
  return { webhook: row, secret };
}

export async function listWebhooks(ctx: ServiceContext, workspaceId: string, page: PageRequest) {
  const where = eq(webhooks.workspaceId, workspaceId);
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(webhooks).where(where).orderBy(desc(webhooks.createdAt), desc(webhooks.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(webhooks).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function getWebhook(ctx: ServiceContext, workspaceId: string, webhookId: string): Promise<WebhookRow> {
  const [row] = await ctx.db.select().from(webhooks).where(and(eq(webhooks.id, webhookId), eq(webhooks.workspaceId, workspaceId))).limit(1);
  if (!row) throw notFound("webhook");
  return row;
}

export async function updateWebhook(
  ctx: ServiceContext,
  workspaceId: string,
  webhookId: string,
  input: { url?: string; events?: WebhookEvent[]; description?: string; status?: "active" | "disabled" },
) {
  requireRole(ctx, "admin");
  await getWebhook(ctx, workspaceId, webhookId);
  if (input.url !== undefined) validateUrl(ctx, input.url);
  const [row] = await ctx.db
    .update(webhooks)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: JSON.stringify([...new Set(input.events)]) } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      updatedAt: nowIso(),
    })
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound("webhook");
  return row;
}

/** Its pending deliveries go with it (nobody would receive them) and so does its log. */
export async function deleteWebhook(ctx: ServiceContext, workspaceId: string, webhookId: string) {
  requireRole(ctx, "admin");
  await getWebhook(ctx, workspaceId, webhookId);
  await ctx.db.batch([
    ctx.db.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId)),
    ctx.db.delete(webhooks).where(and(eq(webhooks.id, webhookId), eq(webhooks.workspaceId, workspaceId))),
  ]);
}

/** The delivery log, newest first. */
export async function listDeliveries(ctx: ServiceContext, workspaceId: string, webhookId: string, page: PageRequest) {
  await getWebhook(ctx, workspaceId, webhookId);
  const where = and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.workspaceId, workspaceId));
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(webhookDeliveries).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}
