import { and, count, desc, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { ServiceContext } from "../context";
import type { PageRequest } from "../pagination";

export async function listApiKeys(ctx: ServiceContext, workspaceId: string, page: PageRequest) {
  const where = and(eq(apiKeys.workspaceId, workspaceId));
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(apiKeys).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}
