import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys } from "../../db/schema";
import { nowIso } from "../../lib/time";

const TOUCH_INTERVAL_MS = 60_000;

/** last_used_at at minute resolution: a write per request would double D1 writes for nothing a user needs. */
export async function touchApiKey(db: Database, key: { id: string; lastUsedAt: string | null }) {
  if (key.lastUsedAt && Date.now() - Date.parse(key.lastUsedAt) < TOUCH_INTERVAL_MS) return;
  await db.update(apiKeys).set({ lastUsedAt: nowIso() }).where(eq(apiKeys.id, key.id));
}
