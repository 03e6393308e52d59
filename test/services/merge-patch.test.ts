/** PUT config as a JSON Merge Patch (RFC 7386, issue 15), with secrets kept unless given and variants replaced. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mergePatchConfig } from "../../src/services/sealed-config";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";

describe("mergePatchConfig", () => {
  it("follows RFC 7386: absent members kept, null removes, objects merge, arrays and scalars replace", () => {
    const stored = { a: "b", c: { d: "e", f: "g" }, list: [1, 2], keep: 1 };
    expect(mergePatchConfig(stored, { a: "z", c: { f: null }, list: [3] })).toEqual({ a: "z", c: { d: "e" }, list: [3], keep: 1 });
    expect(mergePatchConfig({ a: 1 }, { a: { b: 2 } })).toEqual({ a: { b: 2 } });
    expect(mergePatchConfig({}, { a: { b: null } })).toEqual({ a: {} });
    expect(stored).toEqual({ a: "b", c: { d: "e", f: "g" }, list: [1, 2], keep: 1 });
  });

  it("replaces an object whose type changes (another variant), and merges one whose type stays", () => {
    const stored = { auth: { type: "bearer", token: "secret" }, base_url: "https://x" };
    expect(mergePatchConfig(stored, { auth: { type: "none" } })).toEqual({ auth: { type: "none" }, base_url: "https://x" });
    expect(mergePatchConfig(stored, { auth: { type: "bearer" } })).toEqual(stored);
  });
});

describe("PUT config through the API", () => {
  it("keeps the stored secrets a patch does not mention, clears one set to null, and switches auth variants", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const created = await as(owner)("/loaders", {
      method: "POST",
      body: {
        name: "REST",
        loader_type: "rest_api",
        source_id: sourceId,
        config: { base_url: "https://api.example.com/t/mp", auth: { type: "bearer", token: "tok-123" }, streams: [{ name: "items", path: "/items", primary_key: ["id"] }] },
        target_schema: "raw",
        selected_streams: [{ name: "items" }],
        sync_mode: "full_refresh",
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id;
    const sealed = async () => (await env.DB.prepare("select config, config_secrets from loaders where id = ?").bind(id).first<any>())!;
    const before = await sealed();

    const renamed = await as(owner)(`/loaders/${id}`, { method: "PUT", body: { config: { base_url: "https://api.example.com/t/mp2" } } });
    expect(renamed.json.config).toMatchObject({ base_url: "https://api.example.com/t/mp2", auth: { type: "bearer" }, streams: [{ name: "items" }] });
    // The token was neither resent nor lost.
    expect((await sealed()).config_secrets).not.toBeNull();
    expect(renamed.json.status).toBe("active");

    const cleared = await as(owner)(`/loaders/${id}`, { method: "PUT", body: { config: { auth: { token: null } } } });
    expect(cleared.json).toMatchObject({ status: "draft", status_error: expect.stringContaining("auth.token") });

    const none = await as(owner)(`/loaders/${id}`, { method: "PUT", body: { config: { auth: { type: "none" } } } });
    expect(none.status, JSON.stringify(none.json)).toBe(200);
    expect(none.json).toMatchObject({ status: "active", config: { auth: { type: "none" } } });
    expect((await sealed()).config_secrets).toBeNull();
    expect(before.config_secrets).not.toBeNull();
  });
});
