import { and, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { Database } from "../../db/client";
import { sha256Hex } from "../../lib/ids";
import { KEY_PREFIX } from "./mint";

/** Looks a presented key up by hash; revoked or unknown keys are the same to the caller (null). */
export async function authenticateApiKey(db: Database, presented: string) {
  if (!presented.startsWith(KEY_PREFIX)) return null;
  const hash = await sha256Hex(presented);
  const [key] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), eq(apiKeys.status, "active")))
    .limit(1);
  return key ?? null;
}
