/**
 * Check-then-write races (issue 16 item 4): each write whose precondition is another row (a loader's source, a key's
 * creator, the last owner) checks it in the same statement. Every test fires the two conflicting requests at once,
 * many times, and asserts the database never holds the outcome both would have produced on their own.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, createKey, seedLoaderBody } from "../helpers/api";

const TRIALS = 12;

describe("a loader and its source", () => {
  it("creating a loader and deleting its source at the same moment never both succeed", async () => {
    const outcomes = new Set<string>();
    for (let trial = 0; trial < TRIALS; trial++) {
      // A workspace per trial: the per-workspace rate limit (20 a second) would otherwise throttle the loop.
      const owner = await bootstrapWorkspace(`race ${trial}`);
      const sourceId = await createD1Source(owner);
      const [created, deleted] = await Promise.all([
        as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) }),
        as(owner)(`/sources/${sourceId}`, { method: "DELETE" }),
      ]);
      outcomes.add(`${created.status}/${deleted.status}`);
      expect([created.status, deleted.status], JSON.stringify([created.json, deleted.json])).not.toEqual([201, 200]);
      const loaders = await env.DB.prepare("select source_id from loaders where workspace_id = ?").bind(owner.workspaceId).all<{ source_id: string }>();
      const sources = await env.DB.prepare("select id from sources where workspace_id = ?").bind(owner.workspaceId).all<{ id: string }>();
      // No loader points at a source that is gone.
      for (const loader of loaders.results) expect(sources.results.map((s) => s.id)).toContain(loader.source_id);
      if (created.status === 201) expect(deleted.json.code).toBe("source_in_use");
      else expect(created.json).toMatchObject({ code: "validation_failed", details: [{ path: "source_id" }] });
    }
    // Both orders happened at least once or the race was never run: either way each trial was checked above.
    expect(outcomes.size).toBeGreaterThanOrEqual(1);
  });

  it("repointing a loader at a source being deleted never leaves it pointing at nothing", async () => {
    for (let trial = 0; trial < TRIALS / 2; trial++) {
      const owner = await bootstrapWorkspace(`repoint ${trial}`);
      const first = await createD1Source(owner, "first");
      const second = await createD1Source(owner, "second");
      const loader = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(first) })).json;
      const [updated, deleted] = await Promise.all([
        as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { source_id: second } }),
        as(owner)(`/sources/${second}`, { method: "DELETE" }),
      ]);
      expect([updated.status, deleted.status]).not.toEqual([200, 200]);
      const row = await env.DB.prepare("select source_id from loaders where id = ?").bind(loader.id).first<{ source_id: string }>();
      const exists = await env.DB.prepare("select 1 as one from sources where id = ?").bind(row!.source_id).first();
      expect(exists).not.toBeNull();
    }
  });
});

describe("API keys", () => {
  it("a key being revoked cannot mint a successor that outlives it", async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const owner = await bootstrapWorkspace(`revoke race ${trial}`);
      const admin = await createKey(owner, "admin");
      const [minted, revoked] = await Promise.all([
        as(admin)("/api-keys", { method: "POST", body: { name: "successor", role: "admin" } }),
        as(owner)(`/api-keys/${admin.id}`, { method: "DELETE" }),
      ]);
      expect(revoked.status).toBe(200);
      const keys = await env.DB.prepare("select name, status from api_keys where workspace_id = ? and name = 'successor'").bind(owner.workspaceId).all();
      if (minted.status === 201) {
        // It landed before the revocation: the revoked key's successor exists, as a key created while it was valid.
        expect(keys.results).toHaveLength(1);
      } else {
        expect(minted.status).toBe(401);
        expect(keys.results).toHaveLength(0);
      }
    }
  });

  it("two owners revoking each other at once leave one owner", async () => {
    for (let trial = 0; trial < TRIALS / 2; trial++) {
      const owner = await bootstrapWorkspace(`owners ${trial}`);
      const second = await createKey(owner, "owner");
      const [a, b] = await Promise.all([
        as(owner)(`/api-keys/${second.id}`, { method: "DELETE" }),
        as(second)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" }),
      ]);
      const active = await env.DB.prepare("select count(*) as n from api_keys where workspace_id = ? and role = 'owner' and status = 'active'")
        .bind(owner.workspaceId)
        .first<{ n: number }>();
      expect(active!.n, JSON.stringify([a.json, b.json])).toBe(1);
      expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
      // The other is refused: its own key was revoked first (401), or it would have removed the last owner (409).
      expect([401, 409]).toContain(a.status === 200 ? b.status : a.status);
    }
  });
});
