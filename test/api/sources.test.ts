import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, createKey, expectError, ISO, pgConfig, seedLoaderBody, UUID } from "../helpers/api";

function sseEvents(text: string) {
  return text
    .trim()
    .split(/\n\n+/)
    .map((block) => {
      const event = block.match(/^event: (.*)$/m)?.[1];
      const data = block.match(/^data: (.*)$/m)?.[1];
      return { event, data: data ? JSON.parse(data) : undefined };
    });
}

describe("sources", () => {
  it("creates, reads, updates and deletes a d1 source", async () => {
    const owner = await bootstrapWorkspace();
    const api = as(owner);
    const created = await api("/sources", { method: "POST", body: { name: "Embedded", source_type: "d1" } });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(UUID),
      workspace_id: owner.workspaceId,
      name: "Embedded",
      source_type: "d1",
      config: {},
      status: "connected",
      status_error: "",
      created_by: owner.apiKey.id,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    const id = created.json.id;
    expect((await api(`/sources/${id}`)).json).toEqual(created.json);
    expect((await api("/sources")).json).toEqual([created.json]);
    const renamed = await api(`/sources/${id}`, { method: "PUT", body: { name: "Renamed" } });
    expect(renamed.json).toMatchObject({ id, name: "Renamed", source_type: "d1" });
    expectError(await api(`/sources/${id}`, { method: "PUT", body: { source_type: "postgresql" } }), 400, "validation_failed");
    const deleted = await api(`/sources/${id}`, { method: "DELETE" });
    expect(deleted.json).toEqual({ status: "deleted" });
    expectError(await api(`/sources/${id}`), 404, "not_found");
  });

  it("keeps a postgresql password encrypted, never returned, and kept across partial updates", async () => {
    const owner = await bootstrapWorkspace();
    const api = as(owner);
    const config = { ...pgConfig(), password: "pg-secret-password-123" };
    const created = await api("/sources", { method: "POST", body: { name: "PG", source_type: "postgresql", config } });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe("untested");
    expect(created.text).not.toContain("pg-secret-password-123");
    expect(created.json.config).toEqual({ host: config.host, port: config.port, database: config.database, user: config.user, sslmode: "disable" });
    const row = await env.DB.prepare("select config, config_secrets from sources where id = ?").bind(created.json.id).first<any>();
    expect(row.config).not.toContain("pg-secret-password-123");
    expect(row.config_secrets).toMatch(/^v1:k1:/);

    const updated = await api(`/sources/${created.json.id}`, { method: "PUT", body: { config: { ...created.json.config, port: 5432 } } });
    expect(updated.status).toBe(200);
    const after = await env.DB.prepare("select config_secrets from sources where id = ?").bind(created.json.id).first<any>();
    expect(after.config_secrets).toMatch(/^v1:k1:/);
    expect(updated.text).not.toContain("pg-secret-password-123");
  });

  it("validates each warehouse type's config and leaves nothing behind", async () => {
    const owner = await bootstrapWorkspace();
    const api = as(owner);
    const cases: Array<[string, unknown]> = [
      ["unknown type", { name: "x", source_type: "oracle" }],
      ["d1 with config", { name: "x", source_type: "d1", config: { path: "/tmp" } }],
      ["postgres missing host", { name: "x", source_type: "postgresql", config: { database: "d", user: "u", password: "p" } }],
      ["postgres bad port", { name: "x", source_type: "postgresql", config: { host: "h", port: 70000, database: "d", user: "u", password: "p" } }],
      ["snowflake both auths", { name: "x", source_type: "snowflake", config: { account: "a", warehouse: "w", database: "d", schema: "s", username: "u", password: "p", private_key: "k" } }],
      ["bigquery bad key file", { name: "x", source_type: "bigquery", config: { project_id: "p", dataset: "d", service_account_json: "{}" } }],
      ["databricks host with scheme", { name: "x", source_type: "databricks", config: { host: "https://x", http_path: "/sql/1.0/warehouses/1", token: "t", catalog: "c", schema: "s" } }],
      ["missing name", { source_type: "d1" }],
    ];
    for (const [label, body] of cases) {
      const res = await api("/sources", { method: "POST", body });
      expect(res.status, label).toBe(400);
      expect(res.json.code, label).toBe("validation_failed");
    }
    expect((await api("/sources")).json).toEqual([]);
    const ok = await api("/sources", {
      method: "POST",
      body: { name: "BQ", source_type: "bigquery", config: { project_id: "p", dataset: "d", service_account_json: JSON.stringify({ client_email: "a@b.iam", private_key: "k" }) } },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.config).toEqual({ project_id: "p", dataset: "d" });
  });

  it("refuses to delete a source still used by a loader", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    expect((await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).status).toBe(201);
    expectError(await as(owner)(`/sources/${sourceId}`, { method: "DELETE" }), 409, "source_in_use");
  });

  it("tests a d1 connection over SSE: one event per step, then the result", async () => {
    const owner = await bootstrapWorkspace();
    const res = await as(owner)("/sources/test", { method: "POST", body: { source_type: "d1" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = sseEvents(res.text);
    expect(events.map((e) => e.event)).toEqual(["step", "step", "step", "step", "result"]);
    expect(events.slice(0, 4).map((e) => e.data.step)).toEqual(["network", "authentication", "authorization", "query"]);
    expect(events.slice(0, 4).every((e) => e.data.status === "success")).toBe(true);
    expect(events[4]!.data).toEqual({ success: true, message: "connection succeeded" });
  });

  it("tests a real PostgreSQL connection (SELECT 1) and records the outcome on the saved source", async () => {
    const owner = await bootstrapWorkspace();
    const good = await as(owner)("/sources/test", { method: "POST", body: { source_type: "postgresql", config: pgConfig() } });
    const goodEvents = sseEvents(good.text);
    expect(goodEvents.at(-1)).toEqual({ event: "result", data: { success: true, message: "connection succeeded" } });
    expect(goodEvents.find((e) => e.data.step === "query")?.data.status).toBe("success");

    const saved = (await as(owner)("/sources", { method: "POST", body: { name: "bad", source_type: "postgresql", config: { ...pgConfig(), port: 1 } } })).json;
    const bad = await as(owner)(`/sources/${saved.id}/test`, { method: "POST" });
    const badEvents = sseEvents(bad.text);
    expect(badEvents[0]!.data).toMatchObject({ step: "network", status: "failed" });
    expect(badEvents.at(-1)!.data.success).toBe(false);
    const after = (await as(owner)(`/sources/${saved.id}`)).json;
    expect(after.status).toBe("error");
    expect(after.status_error).toContain("network");

    const savedGood = (await as(owner)("/sources", { method: "POST", body: { name: "good", source_type: "postgresql", config: pgConfig() } })).json;
    await as(owner)(`/sources/${savedGood.id}/test`, { method: "POST" });
    expect((await as(owner)(`/sources/${savedGood.id}`)).json).toMatchObject({ status: "connected", status_error: "" });
  });

  it("lets only admins test connections", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    expectError(await as(member)("/sources/test", { method: "POST", body: { source_type: "d1" } }), 403, "forbidden");
  });
});
