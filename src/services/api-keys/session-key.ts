import { and, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { Database } from "../../db/client";

/** The active key a dashboard session refers to (by id, within its workspace), or null once it is revoked. */
export async function activeApiKeyById(db: Database, workspaceId: string, keyId: string) {
  const [key] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.status, "active")))
    .limit(1);
  return key ?? null;
}
