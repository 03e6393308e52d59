import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys } from "../../db/schema";
import { nowIso } from "../../lib/time";
import { apiKeyCache } from "./key-cache";

const TOUCH_INTERVAL_MS = 60_000;

/** last_used_at at minute resolution: a write per request would double D1 writes for nothing a user needs. */
export async function touchApiKey(db: Database, key: { id: string; lastUsedAt: string | null }) {
  if (key.lastUsedAt && Date.now() - Date.parse(key.lastUsedAt) < TOUCH_INTERVAL_MS) return;
  const at = nowIso();
  apiKeyCache.touched(key.id, at);
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, key.id));
}
