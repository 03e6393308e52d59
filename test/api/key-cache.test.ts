/**
 * The per-isolate API key cache (src/services/api-keys/key-cache.ts) never lets a revoked key through for longer than
 * KEY_CACHE_TTL_MS: at once in the isolate that revoked it, within the TTL in any other (here: a revocation written
 * to D1 behind the cache's back, with the cache's clock moved by hand).
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { apiKeys } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/ids";
import { ApiKeyCache, KEY_CACHE_TTL_MS } from "../../src/services/api-keys/key-cache";
import { as, bootstrapWorkspace, createKey, expectError } from "../helpers/api";

async function lookupActive(hash: string) {
  const [key] = await database(env.DB).select().from(apiKeys).where(and(eq(apiKeys.keyHash, hash), eq(apiKeys.status, "active"))).limit(1);
  return key ?? null;
}

describe("API key cache", () => {
  it("a key revoked through the API is refused by the next request", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    expect((await as(member)("/loaders")).status).toBe(200);
    expect((await as(member)("/loaders")).status).toBe(200);
    expect((await as(owner)(`/api-keys/${member.id}`, { method: "DELETE" })).status).toBe(200);
    expectError(await as(member)("/loaders"), 401, "unauthorized");
  });

  it("a key revoked elsewhere passes only while its cached lookup is younger than the TTL, then never", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const hash = await sha256Hex(member.key);
    let now = 1_000_000;
    const cache = new ApiKeyCache(KEY_CACHE_TTL_MS, () => now);
    let lookups = 0;
    const lookup = () => {
      lookups++;
      return lookupActive(hash);
    };

    expect((await cache.get(hash, lookup))?.id).toBe(member.id);
    // Another isolate revokes: the row changes in D1, this cache is not told.
    await database(env.DB).update(apiKeys).set({ status: "revoked" }).where(eq(apiKeys.id, member.id));
    now += KEY_CACHE_TTL_MS - 1;
    expect((await cache.get(hash, lookup))?.id).toBe(member.id);
    expect(lookups).toBe(1);
    now += 1;
    expect(await cache.get(hash, lookup)).toBeNull();
    // A refused key is not remembered: every later request reads D1 again and is refused.
    for (let i = 0; i < 3; i++) expect(await cache.get(hash, lookup)).toBeNull();
    expect(lookups).toBe(5);
  });

  it("a key revoked in this isolate is forgotten at once, and a touch keeps the cached last_used_at current", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const hash = await sha256Hex(member.key);
    const cache = new ApiKeyCache(KEY_CACHE_TTL_MS, () => 0);
    await cache.get(hash, () => lookupActive(hash));
    cache.touched(member.id, "2026-01-01T00:00:00Z");
    expect((await cache.get(hash, () => lookupActive(hash)))?.lastUsedAt).toBe("2026-01-01T00:00:00Z");
    await database(env.DB).update(apiKeys).set({ status: "revoked" }).where(eq(apiKeys.id, member.id));
    cache.forgetId(member.id);
    expect(await cache.get(hash, () => lookupActive(hash))).toBeNull();
  });
});
