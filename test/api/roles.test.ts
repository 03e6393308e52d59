/** Roles (issue 16 item 5): nobody acts above their role, the last owner stays, and ADMIN_TOKEN recovers an owner. */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, as, bootstrapWorkspace, call, createKey, expectError } from "../helpers/api";

describe("revoking keys", () => {
  it("an admin cannot revoke an owner key, nor create one; it can revoke admins and members", async () => {
    const owner = await bootstrapWorkspace();
    const admin = await createKey(owner, "admin");
    const otherAdmin = await createKey(owner, "admin");
    const member = await createKey(owner, "member");
    expectError(await as(admin)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" }), 403, "forbidden");
    expectError(await as(admin)("/api-keys", { method: "POST", body: { name: "x", role: "owner" } }), 403, "forbidden");
    expectError(await as(member)(`/api-keys/${member.id}`, { method: "DELETE" }), 403, "forbidden");
    // The owner key still works.
    expect((await as(owner)("/api-keys")).status).toBe(200);
    expect((await as(admin)(`/api-keys/${member.id}`, { method: "DELETE" })).json.status).toBe("revoked");
    expect((await as(admin)(`/api-keys/${otherAdmin.id}`, { method: "DELETE" })).json.status).toBe("revoked");
  });

  it("the last active owner key cannot be revoked; with a second owner it can", async () => {
    const owner = await bootstrapWorkspace();
    const refused = await as(owner)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" });
    expectError(refused, 409, "last_owner_key");
    expect(refused.json.error).toContain("owner-keys");
    expect((await as(owner)("/api-keys")).status).toBe(200);

    const second = await createKey(owner, "owner");
    expect((await as(second)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" })).json.status).toBe("revoked");
    expectError(await as(owner)("/api-keys"), 401, "unauthorized");
    expectError(await as(second)(`/api-keys/${second.id}`, { method: "DELETE" }), 409, "last_owner_key");
    // Revoking an already revoked key answers it as it stands.
    expect((await as(second)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" })).json.status).toBe("revoked");
  });
});

describe("recovery with the ADMIN_TOKEN", () => {
  it("mints a new owner key for a workspace; keys of the workspace cannot use the route", async () => {
    const owner = await bootstrapWorkspace();
    const admin = await createKey(owner, "admin");
    const path = `/api/v1/workspaces/${owner.workspaceId}/owner-keys`;
    expectError(await call(path, { method: "POST", key: owner.key, workspace: owner.workspaceId, body: {} }), 401, "unauthorized");
    expectError(await call(path, { method: "POST", key: admin.key, workspace: owner.workspaceId, body: {} }), 401, "unauthorized");
    expectError(await call(path, { method: "POST", body: {} }), 401, "unauthorized");

    const minted = await call(path, { method: "POST", key: ADMIN_TOKEN, body: {} });
    expect(minted.status).toBe(201);
    expect(minted.json).toMatchObject({ role: "owner", name: "Recovery owner key", workspace_id: owner.workspaceId, created_by: null, key: expect.stringMatching(/^sk_live_/) });
    const recovered = { workspaceId: owner.workspaceId, key: minted.json.key };
    // The new owner can do what owners do, including revoking the old owner key.
    expect((await as(recovered)(`/api-keys/${owner.apiKey.id}`, { method: "DELETE" })).json.status).toBe("revoked");
    const named = await call(path, { method: "POST", key: ADMIN_TOKEN, body: { name: "Ops recovery" } });
    expect(named.json.name).toBe("Ops recovery");

    expectError(await call("/api/v1/workspaces/00000000-0000-4000-8000-000000000000/owner-keys", { method: "POST", key: ADMIN_TOKEN, body: {} }), 404, "not_found");
    expectError(await call(path, { method: "POST", key: ADMIN_TOKEN, body: { role: "member" } }), 400, "validation_failed");
  });
});
