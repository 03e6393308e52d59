import { and, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema";
import type { Database } from "../../db/client";
import { sha256Hex } from "../../lib/ids";
import { apiKeyCache } from "./key-cache";
import { KEY_PREFIX } from "./mint";

/**
 * Looks a presented key up by hash; revoked or unknown keys are the same to the caller (null). Active keys come
 * from the isolate's cache for up to KEY_CACHE_TTL_MS (key-cache.ts: how revocation still applies within it).
 */
export async function authenticateApiKey(db: Database, presented: string) {
  if (!presented.startsWith(KEY_PREFIX)) return null;
  const hash = await sha256Hex(presented);
  return apiKeyCache.get(hash, async () => {
    const [key] = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, hash), eq(apiKeys.status, "active")))
      .limit(1);
    return key ?? null;
  });
}
