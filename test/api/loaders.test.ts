import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, createKey, expectError, ISO, seedLoaderBody, UUID } from "../helpers/api";

async function loadersTable(workspaceId: string) {
  const rows = await env.DB.prepare("select * from loaders where workspace_id = ? order by id").bind(workspaceId).all();
  return JSON.stringify(rows.results);
}

const completeSalesforceConfig = {
  instance_url: "https://mycompany.salesforce.com",
  client_id: "3MVG9-client-id",
  client_secret: "sf-client-secret-value",
  refresh_token: "sf-refresh-token-value",
};

describe("create, read, list", () => {
  it("accepts the seed's example verbatim as a draft and shows every field", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const res = await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(UUID),
      workspace_id: owner.workspaceId,
      source_id: sourceId,
      name: "Salesforce CRM Loader",
      loader_type: "salesforce",
      config: expect.objectContaining({ instance_url: "https://mycompany.salesforce.com" }),
      target_schema: "SALESFORCE_RAW",
      selected_streams: [
        { name: "Contact", sync_mode: "incremental" },
        { name: "Account", sync_mode: "full_refresh" },
      ],
      sync_mode: "incremental",
      schedule: "0 */6 * * *",
      schema_change_policy: "allow_all",
      status: "draft",
      status_error: expect.stringContaining("refresh_token"),
      created_by: owner.apiKey.id,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
      last_run_at: null,
      last_run_id: null,
    });

    const got = await as(owner)(`/loaders/${res.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(res.json);
    const list = await as(owner)("/loaders");
    expect(list.json).toEqual([res.json]);
    const paged = await as(owner)("/loaders?page=1&page_size=10");
    expect(paged.json).toEqual({ data: [res.json], pagination: { page: 1, page_size: 10, total: 1 } });
  });

  it("creates a complete loader as active, inherits sync_mode, and never returns secrets", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const body = { ...seedLoaderBody(sourceId), config: completeSalesforceConfig, selected_streams: [{ name: "Contact" }, { name: "Account", sync_mode: "full_refresh" }] };
    const res = await as(owner)("/loaders", { method: "POST", body });
    expect(res.status).toBe(201);
    expect(res.json.status).toBe("active");
    expect(res.json.status_error).toBe("");
    expect(res.json.selected_streams).toEqual([
      { name: "Contact", sync_mode: "incremental" },
      { name: "Account", sync_mode: "full_refresh" },
    ]);
    expect(res.text).not.toContain("sf-client-secret-value");
    expect(res.text).not.toContain("sf-refresh-token-value");
    expect(res.json.config.client_id).toBe("3MVG9-client-id");
    const row = await env.DB.prepare("select config, config_secrets from loaders where id = ?").bind(res.json.id).first<any>();
    expect(row.config).not.toContain("sf-client-secret-value");
    expect(row.config_secrets).toMatch(/^v1:k1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(row.config_secrets).not.toContain("sf-refresh-token-value");
  });
});

describe("update", () => {
  it("is partial, keeps stored secrets, ignores read-only fields and completes a draft", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const created = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;

    const completed = await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { config: completeSalesforceConfig } });
    expect(completed.status).toBe(200);
    expect(completed.json).toMatchObject({ status: "active", status_error: "", name: "Salesforce CRM Loader", schedule: "0 */6 * * *" });

    // Echoing a GET back (read-only fields included, secrets absent) changes nothing and keeps the secrets.
    const echoed = await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { ...completed.json, name: "Renamed" } });
    expect(echoed.status).toBe(200);
    expect(echoed.json).toMatchObject({ name: "Renamed", status: "active", id: created.id, created_at: created.created_at });

    const paused = await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { status: "paused" } });
    expect(paused.json.status).toBe("paused");
    const resumed = await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { status: "active", schedule: null } });
    expect(resumed.json).toMatchObject({ status: "active", schedule: null });
  });

  it("refuses to activate a draft and to change the loader type", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const created = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    const before = await loadersTable(owner.workspaceId);
    expectError(await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { status: "active" } }), 409, "loader_not_ready");
    expectError(await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { loader_type: "hubspot" } }), 400, "validation_failed");
    expectError(await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { status: "error" } }), 400, "validation_failed");
    expectError(await as(owner)(`/loaders/${created.id}`, { method: "PUT", body: { bogus: 1 } }), 400, "validation_failed");
    expect(await loadersTable(owner.workspaceId)).toBe(before);
  });
});

describe("bad input never writes", () => {
  it("answers each bad create with a 4xx envelope and leaves D1 unchanged", async () => {
    const owner = await bootstrapWorkspace();
    const other = await bootstrapWorkspace("Other");
    const sourceId = await createD1Source(owner);
    const foreignSource = await createD1Source(other);
    const good = seedLoaderBody(sourceId);
    const cases: Array<[string, unknown, number, string]> = [
      ["missing name", { ...good, name: undefined }, 400, "validation_failed"],
      ["extra field", { ...good, surprise: true }, 400, "validation_failed"],
      ["wrong type", { ...good, selected_streams: "Contact" }, 400, "validation_failed"],
      ["unknown loader type", { ...good, loader_type: "oracle" }, 400, "validation_failed"],
      ["source id not a uuid", { ...good, source_id: "nope" }, 400, "validation_failed"],
      ["source of another workspace", { ...good, source_id: foreignSource }, 400, "validation_failed"],
      ["bad cron", { ...good, schedule: "every day" }, 400, "validation_failed"],
      ["six-field cron", { ...good, schedule: "0 0 */6 * * *" }, 400, "validation_failed"],
      ["cron out of range", { ...good, schedule: "61 * * * *" }, 400, "validation_failed"],
      ["bad identifier", { ...good, target_schema: "drop table; --" }, 400, "validation_failed"],
      ["identifier starting with a digit", { ...good, target_schema: "1raw" }, 400, "validation_failed"],
      ["unknown stream", { ...good, selected_streams: [{ name: "no such stream" }] }, 400, "validation_failed"],
      ["duplicate stream", { ...good, selected_streams: [{ name: "Contact" }, { name: "Contact" }] }, 400, "validation_failed"],
      ["no streams", { ...good, selected_streams: [] }, 400, "validation_failed"],
      ["bad sync mode", { ...good, sync_mode: "append" }, 400, "validation_failed"],
      ["config of the wrong shape", { ...good, config: { instance_url: 42 } }, 400, "validation_failed"],
      ["config with unknown key", { ...good, config: { instance_url: "https://x.salesforce.com", nope: 1 } }, 400, "validation_failed"],
    ];
    const before = await loadersTable(owner.workspaceId);
    for (const [label, body, status, code] of cases) {
      const res = await as(owner)("/loaders", { method: "POST", body });
      expect(res.status, label).toBe(status);
      expect(res.json, label).toMatchObject({ code, error: expect.any(String), request_id: expect.any(String) });
      if (status === 400) expect(res.json.details, label).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]));
    }
    expect(await loadersTable(owner.workspaceId)).toBe(before);
  });

  it("rejects incremental on a stream without a cursor", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const res = await as(owner)("/loaders", {
      method: "POST",
      body: {
        name: "REST",
        loader_type: "rest_api",
        source_id: sourceId,
        config: { base_url: "https://api.example.com", auth: { type: "none" }, streams: [{ name: "items", path: "/items", primary_key: ["id"] }] },
        target_schema: "raw",
        selected_streams: [{ name: "items", sync_mode: "incremental" }],
        sync_mode: "full_refresh",
      },
    });
    expectError(res, 400, "validation_failed");
    expect(res.json.details[0]).toEqual({ path: "selected_streams.0.sync_mode", message: expect.stringContaining("no cursor") });
  });

  it("rejects malformed JSON, wrong content type and oversized bodies", async () => {
    const owner = await bootstrapWorkspace();
    expectError(await as(owner)("/loaders", { method: "POST", rawBody: "{nope", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    expectError(await as(owner)("/loaders", { method: "POST", rawBody: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
    const huge = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });
    expectError(await as(owner)("/loaders", { method: "POST", rawBody: huge, headers: { "content-type": "application/json" } }), 413, "payload_too_large");
    expectError(await as(owner)("/loaders", { method: "POST" }), 400, "validation_failed");
    expect(await loadersTable(owner.workspaceId)).toBe("[]");
  });

  it("answers 403 to a member trying to create, 404 for unknown ids", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const sourceId = await createD1Source(owner);
    expectError(await as(member)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) }), 403, "forbidden");
    expectError(await as(owner)("/loaders/00000000-0000-4000-8000-000000000000"), 404, "not_found");
    expectError(await as(owner)("/loaders/not-a-uuid"), 404, "not_found");
  });
});

describe("trigger, runs, cancel, delete", () => {
  it("triggers a pending run (201), refuses a second (409), lists and gets runs, cancels, deletes", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const sourceId = await createD1Source(owner);
    const draft = (await as(owner)("/loaders", { method: "POST", body: seedLoaderBody(sourceId) })).json;
    expectError(await as(owner)(`/loaders/${draft.id}/trigger`, { method: "POST" }), 409, "loader_not_ready");

    const loader = (await as(owner)(`/loaders/${draft.id}`, { method: "PUT", body: { config: completeSalesforceConfig } })).json;
    const triggered = await as(member)(`/loaders/${loader.id}/trigger`, { method: "POST" });
    expect(triggered.status).toBe(201);
    expect(triggered.json).toEqual({
      id: expect.stringMatching(UUID),
      loader_id: loader.id,
      workspace_id: owner.workspaceId,
      status: "pending",
      trigger: "manual",
      started_at: expect.stringMatching(ISO),
      completed_at: null,
      rows_loaded: 0,
      streams_total: 2,
      streams_failed: 0,
      error_message: "",
      triggered_by: member.id,
      job_id: null,
      streams: [
        { name: "Contact", sync_mode: "incremental", status: "pending", rows_loaded: 0, error_message: "" },
        { name: "Account", sync_mode: "full_refresh", status: "pending", rows_loaded: 0, error_message: "" },
      ],
      // A pending run has cost nothing yet.
      usage: expect.objectContaining({ source_requests: 0, pages: 0, rows_written: 0, queue_messages_sent: 0, durable_object_requests: 0 }),
      estimated_cost_usd: 0,
      created_at: expect.stringMatching(ISO),
    });
    const runId = triggered.json.id;
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ last_run_id: runId, last_run_at: triggered.json.created_at });

    const runs = await as(owner)(`/loaders/${loader.id}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.json.map((r: any) => r.id)).toEqual([runId]);
    const got = await as(owner)(`/loaders/${loader.id}/runs/${runId}`);
    expect(got.json.id).toBe(runId);
    expectError(await as(owner)(`/loaders/${loader.id}/runs/00000000-0000-4000-8000-000000000000`), 404, "not_found");

    // The run is live (pending or already running, since the engine picks it up at once) or already finished:
    // either way the contract holds — a second trigger conflicts while it is live, cancel works only while live.
    const live = ["pending", "running"].includes((await as(owner)(`/loaders/${loader.id}/runs/${runId}`)).json.status);
    if (live) {
      expectError(await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" }), 409, "run_in_progress");
      const cancelled = await as(member)(`/loaders/${loader.id}/runs/${runId}/cancel`, { method: "POST" });
      expect(cancelled.status).toBe(200);
      expect(cancelled.json).toMatchObject({ id: runId, status: "cancelled", completed_at: expect.stringMatching(ISO) });
    }
    expectError(await as(owner)(`/loaders/${loader.id}/runs/${runId}/cancel`, { method: "POST" }), 409, "run_not_cancellable");

    const deleted = await as(owner)(`/loaders/${loader.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ status: "deleted" });
    expectError(await as(owner)(`/loaders/${loader.id}`), 404, "not_found");
    expectError(await as(owner)(`/loaders/${loader.id}/runs`), 404, "not_found");
  });
});

describe("isolation", () => {
  it("hides every resource of another workspace behind 404", async () => {
    const a = await bootstrapWorkspace("A");
    const b = await bootstrapWorkspace("B");
    const sourceId = await createD1Source(a);
    const loader = (await as(a)("/loaders", { method: "POST", body: { ...seedLoaderBody(sourceId), config: completeSalesforceConfig } })).json;
    const run = (await as(a)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const keyOfA = (await as(a)("/api-keys")).json[0].id;

    expect((await as(b)("/loaders")).json).toEqual([]);
    expect((await as(b)("/sources")).json).toEqual([]);
    expect((await as(b)("/api-keys")).json).toHaveLength(1);
    expectError(await as(b)(`/loaders/${loader.id}`), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}`, { method: "PUT", body: { name: "stolen" } }), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}`, { method: "DELETE" }), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}/trigger`, { method: "POST" }), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}/runs`), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}/runs/${run.id}`), 404, "not_found");
    expectError(await as(b)(`/loaders/${loader.id}/runs/${run.id}/cancel`, { method: "POST" }), 404, "not_found");
    expectError(await as(b)(`/sources/${sourceId}`), 404, "not_found");
    expectError(await as(b)(`/api-keys/${keyOfA}`, { method: "DELETE" }), 404, "not_found");
    expect((await as(a)(`/loaders/${loader.id}`)).json.name).toBe("Salesforce CRM Loader");
  });
});
