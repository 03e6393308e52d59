/**
 * Seeing what a loader will read before it runs (issue 15 items 1–3): check (SSE), discover, preview, stream reset,
 * recovery of a loader in error, and the reader-availability rule — against the fake REST API and the machine's
 * PostgreSQL, with the requests the fake received asserted, and nothing written.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, createKey, expectError, pgConfig } from "../helpers/api";
import { committedState, createRestLoader, fakeControl, fakeRequests, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";
import { postgresReader } from "../helpers/postgres";
import { connectorFor, listLoaderTypes } from "../../connectors/registry";
import { readerAvailable, requireReader } from "../../src/services/loaders/loader-types";

const { query, dropAfterAll } = postgresReader();

function sseEvents(text: string): Array<{ event: string; data: any }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      return { event, data: JSON.parse(data) };
    });
}

async function warehouseTables(): Promise<string[]> {
  const res = await env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and substr(name, 1, 4) <> '_cf_' order by name").all<{ name: string }>();
  return res.results.map((r) => r.name);
}

const restBody = (tenant: string, auth: unknown = { type: "none" }) => ({
  loader_type: "rest_api",
  config: restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }], auth),
});

describe("check", () => {
  it("streams network, authentication, permissions and a first read for an unsaved config", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("check");
    await fakeControl(tenant, "seed", { count: 250 });
    const res = await as(owner)("/loaders/check", { method: "POST", body: { ...restBody(tenant), selected_streams: [{ name: "items", sync_mode: "incremental" }] } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(sseEvents(res.text)).toEqual([
      { event: "step", data: { step: "network", status: "success", message: expect.any(String) } },
      { event: "step", data: { step: "authentication", status: "success", message: expect.any(String) } },
      { event: "step", data: { step: "permissions", status: "success", message: expect.any(String) } },
      { event: "step", data: { step: "first_read", status: "success", message: 'read 100 record(s) from "items"' } },
      { event: "result", data: { success: true, message: "connection succeeded" } },
    ]);
    const requests = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items"));
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests.at(-1)!.query).toMatchObject({ limit: "100" });
  });

  it("says authentication failed for a refused token, and skips the rest", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("check_auth");
    await fakeControl(tenant, "seed", { count: 10, auth: { type: "bearer", token: "right-token" } });
    const res = await as(owner)("/loaders/check", { method: "POST", body: restBody(tenant, { type: "bearer", token: "wrong-token" }) });
    const events = sseEvents(res.text);
    expect(events.map((e) => [e.data.step ?? "result", e.data.status ?? e.data.success])).toEqual([
      ["network", "success"],
      ["authentication", "failed"],
      ["permissions", "skipped"],
      ["first_read", "skipped"],
      ["result", false],
    ]);
    expect(res.text).not.toContain("wrong-token");
  });

  it("answers 400 before any event for an invalid or incomplete config, 403 for a member", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    expectError(await as(owner)("/loaders/check", { method: "POST", body: { loader_type: "rest_api", config: { base_url: 42 } } }), 400, "validation_failed");
    expectError(await as(owner)("/loaders/check", { method: "POST", body: { loader_type: "salesforce", config: { instance_url: "https://x.my.salesforce.com" } } }), 400, "validation_failed");
    const readerless = listLoaderTypes().find((t) => !connectorFor(t.type));
    if (readerless) expectError(await as(owner)("/loaders/check", { method: "POST", body: { loader_type: readerless.type, config: {} } }), 400, "validation_failed");
    expectError(await as(member)("/loaders/check", { method: "POST", body: restBody("x") }), 403, "forbidden");
  });

  it("checks a saved PostgreSQL loader: a keyless table selected incrementally fails permissions", async () => {
    const owner = await bootstrapWorkspace();
    const other = await bootstrapWorkspace("Other");
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("inspect").toLowerCase();
    dropAfterAll(schema);
    await query(`create schema "${schema}"`);
    await query(`create table "${schema}".orders (id int primary key, updated_at timestamptz not null default now(), total numeric(10,2))`);
    await query(`insert into "${schema}".orders (id, total) select g, g * 1.5 from generate_series(1, 30) g`);
    const loader = (
      await as(owner)("/loaders", {
        method: "POST",
        body: { name: "db", loader_type: "postgresql", source_id: sourceId, config: { ...pgConfig(), schemas: [schema] }, target_schema: "db", sync_mode: "incremental", selected_streams: [{ name: `${schema}.orders` }] },
      })
    ).json;
    const ok = sseEvents((await as(owner)(`/loaders/${loader.id}/check`, { method: "POST" })).text);
    expect(ok.at(-1)).toEqual({ event: "result", data: { success: true, message: "connection succeeded" } });
    expect(ok.find((e) => e.data.step === "first_read")?.data.message).toBe(`read 30 record(s) from "${schema}.orders"`);

    await query(`alter table "${schema}".orders drop constraint orders_pkey`);
    const refused = sseEvents((await as(owner)(`/loaders/${loader.id}/check`, { method: "POST" })).text);
    expect(refused.find((e) => e.data.step === "permissions")?.data).toMatchObject({ status: "failed", message: expect.stringContaining("no primary key and no cursor") });
    expect(refused.at(-1)!.data.success).toBe(false);
    expectError(await as(other)(`/loaders/${loader.id}/check`, { method: "POST" }), 404, "not_found");
  });
});

describe("discover and streams", () => {
  it("lists a PostgreSQL config's tables live with keys, cursors, modes and columns; a saved loader marks its selection", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("disc").toLowerCase();
    dropAfterAll(schema);
    await query(`create schema "${schema}"`);
    await query(`create table "${schema}".customers (id bigint primary key, name text, updated_at timestamptz not null default now())`);
    await query(`create table "${schema}".audit (line text)`);
    const body = { loader_type: "postgresql", config: { ...pgConfig(), schemas: [schema] } };
    const res = await as(owner)("/loaders/discover", { method: "POST", body });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toEqual([
      { name: `${schema}.audit`, primary_key: [], cursor_field: null, supported_sync_modes: ["full_refresh"], columns: [{ name: "line", type: expect.anything() }] },
      {
        name: `${schema}.customers`,
        primary_key: ["id"],
        cursor_field: "updated_at",
        supported_sync_modes: ["full_refresh", "incremental"],
        columns: [expect.objectContaining({ name: "id" }), expect.objectContaining({ name: "name" }), expect.objectContaining({ name: "updated_at" })],
      },
    ]);
    expectError(await as(owner)("/loaders/discover", { method: "POST", body: { ...body, config: { ...body.config, database: "no_such_database" } } }), 400, "validation_failed");

    const loader = (
      await as(owner)("/loaders", { method: "POST", body: { ...body, name: "db", source_id: sourceId, target_schema: "db", sync_mode: "incremental", selected_streams: [{ name: `${schema}.customers` }] } })
    ).json;
    const streams = await as(owner)(`/loaders/${loader.id}/streams`);
    expect(streams.json.map((s: any) => [s.name, s.selected])).toEqual([
      [`${schema}.audit`, null],
      [`${schema}.customers`, { sync_mode: "incremental" }],
    ]);
  });

  it("answers a rest_api config's declared streams without calling the API", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("disc_rest");
    await fakeControl(tenant, "seed", { count: 5 });
    const res = await as(owner)("/loaders/discover", { method: "POST", body: restBody(tenant) });
    expect(res.json).toEqual([{ name: "items", primary_key: ["id"], cursor_field: "updated_at", supported_sync_modes: ["full_refresh", "incremental"], columns: [] }]);
    expect(await fakeRequests(tenant)).toEqual([]);
  });
});

describe("preview", () => {
  it("answers the first page and its columns, and writes nothing", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("preview");
    await fakeControl(tenant, "seed", { count: 250 });
    const tablesBefore = await warehouseTables();
    const loadersBefore = await env.DB.prepare("select count(*) as n from loaders").first<{ n: number }>();
    const res = await as(owner)("/loaders/preview", { method: "POST", body: { ...restBody(tenant), stream: "items" } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.records).toHaveLength(100);
    expect(res.json.records[0]).toEqual(expect.objectContaining({ id: expect.any(Number), name: expect.stringMatching(/^Item /), owner: expect.any(Object) }));
    const columns = Object.fromEntries(res.json.columns.map((c: any) => [c.name, c.type]));
    expect(columns).toMatchObject({ id: "integer", name: "string", amount: "number", owner: "json", tags: "json", _loader_run_id: "string", _loader_synced_at: "timestamp" });
    // One page was read, and nothing was stored anywhere.
    expect((await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items"))).toHaveLength(1);
    expect(await warehouseTables()).toEqual(tablesBefore);
    expect((await env.DB.prepare("select count(*) as n from loaders").first<{ n: number }>())!.n).toBe(loadersBefore!.n);

    const unknown = await as(owner)("/loaders/preview", { method: "POST", body: { ...restBody(tenant), stream: "itemz" } });
    expectError(unknown, 404, "not_found");
    expect(unknown.json.error).toContain('did you mean "items"');
  });
});

describe("stream reset", () => {
  it("clears an incremental stream's cursor so the next run reads it in full", async () => {
    const owner = await bootstrapWorkspace();
    const member = await createKey(owner, "member");
    const tenant = uniqueName("reset");
    await fakeControl(tenant, "seed", { count: 300 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items", incremental: true }]), [{ name: "items", sync_mode: "incremental" }], {
      target_schema: uniqueName("reset"),
    });
    expect((await triggerAndWait(owner, loader.id)).rows_loaded).toBe(300);
    expect(await committedState(loader.id, "items")).not.toBeNull();
    // Without a reset, the next run reads only the window at the cursor.
    expect((await triggerAndWait(owner, loader.id)).rows_loaded).toBeLessThan(300);

    expectError(await as(member)(`/loaders/${loader.id}/streams/items/reset`, { method: "POST" }), 403, "forbidden");
    const unknown = await as(owner)(`/loaders/${loader.id}/streams/itemz/reset`, { method: "POST" });
    expectError(unknown, 404, "not_found");
    expect(unknown.json.error).toContain('did you mean "items"');
    const reset = await as(owner)(`/loaders/${loader.id}/streams/items/reset`, { method: "POST" });
    expect(reset.json).toEqual({ stream: "items", sync_mode: "incremental", had_state: true });
    expect(await committedState(loader.id, "items")).toBeNull();
    const full = await triggerAndWait(owner, loader.id);
    expect(full).toMatchObject({ status: "completed", rows_loaded: 300 });
    const since = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items") && !r.query.after).at(-1)!;
    expect(since.query.updated_since).toBeUndefined();
  });
});

describe("recovery and readers", () => {
  it("a run that completes every stream returns a loader in error to active", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("recover");
    await fakeControl(tenant, "seed", { count: 50, auth: { type: "bearer", token: "the-token" } });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }], { type: "bearer", token: "the-token" }), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("recover"),
      schedule: "0 * * * *",
    });
    // The API side revokes the token: the run fails for a configuration reason.
    await fakeControl(tenant, "seed", { count: 50, auth: { type: "bearer", token: "rotated" } });
    expect((await triggerAndWait(owner, loader.id)).status).toBe("failed");
    const errored = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(errored.status).toBe("error");
    expect(errored.status_error).toContain("PUT");
    // The API accepts the token again (a permission restored on its side): a manual run that completes recovers it.
    await fakeControl(tenant, "seed", { count: 50, auth: { type: "bearer", token: "the-token" } });
    expect((await triggerAndWait(owner, loader.id)).status).toBe("completed");
    const recovered = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(recovered).toMatchObject({ status: "active", status_error: "" });
    const row = await env.DB.prepare("select next_run_at from loaders where id = ?").bind(loader.id).first<{ next_run_at: string | null }>();
    expect(row!.next_run_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/);
  });

  it("a type whose reader is not built cannot be active, and the refusal names the types that have one", () => {
    const readerless = listLoaderTypes().find((t) => !connectorFor(t.type));
    const available = listLoaderTypes().filter((t) => connectorFor(t.type)).map((t) => t.type);
    expect(readerAvailable("rest_api")).toBe(true);
    expect(() => requireReader("rest_api")).not.toThrow();
    if (!readerless) return; // every reader has landed: nothing left to refuse
    expect(readerAvailable(readerless.type)).toBe(false);
    try {
      requireReader(readerless.type);
      expect.unreachable();
    } catch (error: any) {
      expect(error.code).toBe("validation_failed");
      expect(error.details[0].message).toContain(available.join(", "));
    }
  });
});
