/**
 * A short per-isolate memory of API key lookups, so a busy client's requests do not each read D1 for the same key.
 * Revocation stays prompt: the isolate that revokes forgets the key at once, and any other isolate reads D1 again
 * at most KEY_CACHE_TTL_MS after it cached the key, so a revoked key is refused everywhere within that time
 * (README, The API: Auth). Only active keys are remembered; an unknown or revoked key is read from D1 every time.
 */
import type { apiKeys } from "../../db/schema";

type ApiKeyRow = typeof apiKeys.$inferSelect;

export const KEY_CACHE_TTL_MS = 5_000;
/** Bounds the isolate's memory: a lookup beyond it drops the oldest entry. */
const MAX_ENTRIES = 1_000;

interface Entry {
  key: ApiKeyRow;
  until: number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key stored under `hash` if it was read less than the TTL ago, else what `lookup` reads (cached if active). */
  async get(hash: string, lookup: () => Promise<ApiKeyRow | null>): Promise<ApiKeyRow | null> {
    const entry = this.entries.get(hash);
    if (entry && entry.until > this.now()) return entry.key;
    if (entry) this.entries.delete(hash);
    const key = await lookup();
    if (key?.status === "active") {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(hash, { key, until: this.now() + this.ttlMs });
    }
    return key;
  }

  /** Forgets a key by id (revoked here), so this isolate refuses it from its next request. */
  forgetId(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.key.id === keyId) this.entries.delete(hash);
  }

  /** Records a write of last_used_at, so the cached copy does not make every request write it again. */
  touched(keyId: string, at: string): void {
    for (const entry of this.entries.values()) if (entry.key.id === keyId) entry.key = { ...entry.key, lastUsedAt: at };
  }
}

/** The isolate's cache: every request of this isolate shares it. */
export const apiKeyCache = new ApiKeyCache();
