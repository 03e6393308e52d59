import { and, count, desc, eq } from "drizzle-orm";
import { loaderRuns } from "../../db/schema";
import type { ServiceContext } from "../context";
import { getLoaderRow } from "../loaders/loader-store";
import type { PageRequest } from "../pagination";

/** Newest first; a bare list holds the latest 100 (DESIGN §2). */
export async function listRuns(ctx: ServiceContext, workspaceId: string, loaderId: string, page: PageRequest) {
  await getLoaderRow(ctx, workspaceId, loaderId);
  const where = and(eq(loaderRuns.loaderId, loaderId), eq(loaderRuns.workspaceId, workspaceId));
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(loaderRuns).where(where).orderBy(desc(loaderRuns.createdAt), desc(loaderRuns.id)).limit(page.limit).offset(page.offset),
    ctx.db.select({ n: count() }).from(loaderRuns).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}
