import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, as, bootstrapWorkspace, call, createKey, expectError, ISO, UUID } from "../helpers/api";

describe("bootstrap and workspaces", () => {
  it("creates a workspace with an owner key shown once", async () => {
    const res = await call("/api/v1/workspaces", { method: "POST", key: ADMIN_TOKEN, body: { name: "Acme Data" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.json.workspace).toEqual({
      id: expect.stringMatching(UUID),
      name: "Acme Data",
      slug: "acme-data",
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(res.json.api_key).toEqual({
      id: expect.stringMatching(UUID),
      workspace_id: res.json.workspace.id,
      name: "Owner key",
      key_prefix: res.json.api_key.key.slice(0, 12),
      role: "owner",
      status: "active",
      created_by: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
      last_used_at: null,
      key: expect.stringMatching(/^sk_live_[A-Za-z0-9]{32}$/),
    });
  });

  it("refuses the bootstrap without the admin token", async () => {
    expectError(await call("/api/v1/workspaces", { method: "POST", body: { name: "x" } }), 401, "unauthorized");
    expectError(await call("/api/v1/workspaces", { method: "POST", key: "wrong-token-wrong-token", body: { name: "x" } }), 401, "unauthorized");
    const owner = await bootstrapWorkspace();
    expectError(await call("/api/v1/workspaces", { method: "POST", key: owner.key, body: { name: "x" } }), 401, "unauthorized");
    expectError(await call("/api/v1/workspaces", { method: "POST", key: ADMIN_TOKEN, body: { name: "" } }), 400, "validation_failed");
    expectError(await call("/api/v1/workspaces", { method: "POST", key: ADMIN_TOKEN, body: { name: "x", extra: 1 } }), 400, "validation_failed");
  });

  it("lists only the key's own workspace; the admin token sees all", async () => {
    const a = await bootstrapWorkspace("A");
    const b = await bootstrapWorkspace("B");
    const seenByA = await call("/api/v1/workspaces", { key: a.key });
    expect(seenByA.status).toBe(200);
    expect(seenByA.json).toEqual([a.workspace]);
    const seenByAdmin = await call("/api/v1/workspaces", { key: ADMIN_TOKEN });
    expect(seenByAdmin.json.map((w: any) => w.id)).toEqual(expect.arrayContaining([a.workspaceId, b.workspaceId]));
  });
});

describe("API keys", () => {
  it("creates, lists (never the key itself) and revokes keys", async () => {
    const owner = await bootstrapWorkspace();
    const api = as(owner);
    const created = await api("/api-keys", { method: "POST", body: { name: "CI/CD Pipeline Key" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "CI/CD Pipeline Key", role: "member", status: "active", created_by: owner.apiKey.id });
    expect(created.json.key).toMatch(/^sk_live_/);

    const list = await api("/api-keys");
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(2);
    expect(list.text).not.toContain(created.json.key);
    expect(list.json.every((k: any) => !("key" in k) && !("key_hash" in k))).toBe(true);

    const paged = await api("/api-keys?page=1&page_size=1");
    expect(paged.json).toMatchObject({ data: [expect.any(Object)], pagination: { page: 1, page_size: 1, total: 2 } });

    const revoked = await api(`/api-keys/${created.json.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id: created.json.id, status: "revoked" });
    expectError(await as({ workspaceId: owner.workspaceId, key: created.json.key })("/loaders"), 401, "unauthorized");
    expectError(await api("/api-keys/00000000-0000-4000-8000-000000000000", { method: "DELETE" }), 404, "not_found");
  });

  it("stores only a hash of the key", async () => {
    const { env } = await import("cloudflare:workers");
    const owner = await bootstrapWorkspace();
    const rows = await env.DB.prepare("select * from api_keys where workspace_id = ?").bind(owner.workspaceId).all();
    expect(JSON.stringify(rows.results)).not.toContain(owner.key);
    expect(rows.results[0]).toMatchObject({ key_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("enforces roles: members read and trigger, admins manage, nobody escalates", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const admin = await createKey(owner, "admin");
    expect((await as(member)("/loaders")).status).toBe(200);
    expectError(await as(member)("/api-keys", { method: "POST", body: { name: "x" } }), 403, "forbidden");
    expectError(await as(member)("/sources", { method: "POST", body: { name: "x", source_type: "d1" } }), 403, "forbidden");
    expectError(await as(admin)("/api-keys", { method: "POST", body: { name: "x", role: "owner" } }), 403, "forbidden");
    expect((await as(admin)("/api-keys", { method: "POST", body: { name: "x", role: "admin" } })).status).toBe(201);
  });
});

describe("authentication and workspace scoping", () => {
  it("answers 401, 400 and 403 for each way of getting it wrong", async () => {
    const a = await bootstrapWorkspace("A");
    const b = await bootstrapWorkspace("B");
    const path = `/api/v1/workspaces/${a.workspaceId}/loaders`;
    expectError(await call(path, { workspace: a.workspaceId }), 401, "unauthorized");
    expectError(await call(path, { key: "sk_live_notarealkeynotarealkeynotareal", workspace: a.workspaceId }), 401, "unauthorized");
    expectError(await call(path, { headers: { authorization: `Basic ${a.key}` }, workspace: a.workspaceId }), 401, "unauthorized");
    expectError(await call(path, { key: a.key }), 400, "workspace_header_mismatch");
    expectError(await call(path, { key: a.key, workspace: b.workspaceId }), 400, "workspace_header_mismatch");
    expectError(await call(path, { key: b.key, workspace: a.workspaceId }), 403, "forbidden");
    expect((await call(path, { key: a.key, workspace: a.workspaceId })).status).toBe(200);
  });

  it("answers unknown routes with the envelope", async () => {
    const res = await call("/api/v1/nope");
    expectError(res, 404, "not_found");
  });
});
