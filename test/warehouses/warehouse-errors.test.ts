/**
 * Warehouse failures are classified once (src/warehouses/errors.ts) and the engine acts on the class: a
 * configuration error fails the stream on its first delivery and puts the loader in `error` with the message, never
 * a queue retrying for half an hour. Names a warehouse would refuse are refused when the loader is saved.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConnectorError } from "../../connectors/kit/errors";
import { checkTargetNames, warehouseErrorFrom } from "../../src/warehouses";
import { classifyD1Error } from "../../src/warehouses/d1";
import { classifyPostgresError } from "../../src/warehouses/postgresql";
import { as, bootstrapWorkspace, type Caller, createD1Source, pgConfig } from "../helpers/api";
import { createRestLoader, fakeControl, fakeRequests, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";
import { postgresReader } from "../helpers/postgres";
import { trackerStream } from "./harness";

const pg = postgresReader();
const fakePgPort = (JSON.parse(env.FAKE_PORTS) as Record<string, number>)["postgres-auth"];

async function postgresSource(owner: Caller, config: Record<string, unknown>): Promise<string> {
  const res = await as(owner)("/sources", { method: "POST", body: { name: "Postgres", source_type: "postgresql", config: { ...pgConfig(), ...config } } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id;
}

/** Runs one stream into the source and checks the failure was final on the first delivery. */
async function expectFailsAtOnce(owner: Caller, sourceId: string, message: RegExp) {
  const tenant = uniqueName("wherr");
  await fakeControl(tenant, "seed", { count: 300 });
  const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
    target_schema: uniqueName("wherr"),
  });
  const started = Date.now();
  const run = await triggerAndWait(owner, loader.id);
  expect(run).toMatchObject({ status: "failed", rows_loaded: 0, streams_failed: 1 });
  expect(run.streams[0]).toMatchObject({ status: "failed", error_message: expect.stringMatching(message) });
  // One delivery, no retry noted, no restart: the first retry alone would have waited 2 s, the queue's bound ~30 min.
  const stream = await trackerStream(run.id);
  expect(stream).toMatchObject({ deliveries: 1, last_error: "", restarts: 0, config_error: 1 });
  expect(Date.now() - started).toBeLessThan(15_000);
  // The warehouse is prepared before the source is read: the failure spent no API request.
  expect(await fakeRequests(tenant)).toHaveLength(0);
  const after = (await as(owner)(`/loaders/${loader.id}`)).json;
  expect(after).toMatchObject({ status: "error", status_error: expect.stringMatching(message) });
  return run;
}

describe("warehouse configuration errors through the engine", () => {
  it("a user without the privilege to create the target schema fails the stream at once and sets the loader to error", async () => {
    const role = uniqueName("no_create");
    await pg.query(`CREATE ROLE "${role}" LOGIN`);
    try {
      const owner = await bootstrapWorkspace();
      await expectFailsAtOnce(owner, await postgresSource(owner, { user: role }), /lacks a privilege|permission denied/i);
    } finally {
      await pg.query(`DROP ROLE IF EXISTS "${role}"`);
    }
  });

  it.skipIf(fakePgPort === undefined)("a wrong password fails the stream at once, without the password in any message", async () => {
    const owner = await bootstrapWorkspace();
    const password = "the-wrong-Secret-42";
    const sourceId = await postgresSource(owner, { host: "127.0.0.1", port: fakePgPort, user: "loader", password });
    const run = await expectFailsAtOnce(owner, sourceId, /Password authentication failed/);
    expect(JSON.stringify(run)).not.toContain(password);
  });
});

describe("retryable warehouse errors through the engine", () => {
  it("an unreachable PostgreSQL is retried, not failed: the stream stays running with the error noted", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("wherr");
    await fakeControl(tenant, "seed", { count: 100 });
    // Port 1 on the loopback refuses connections: a network failure, worth another try.
    const sourceId = await postgresSource(owner, { host: "127.0.0.1", port: 1 });
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("wherr"),
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const started = Date.now();
    let stream = await trackerStream(run.id);
    while (!stream.last_error && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
      stream = await trackerStream(run.id);
    }
    expect(stream).toMatchObject({ status: "running", config_error: 0, last_error: expect.stringContaining("PostgreSQL connection failed") });
    expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");
    const cancelled = await as(owner)(`/loaders/${loader.id}/runs/${run.id}/cancel`, { method: "POST" });
    expect(cancelled.json.status).toBe("cancelled");
  });
});

describe("target names checked on save with the warehouse's own naming", () => {
  it("refuses '_' as target_schema with a 400 on create and on update; PostgreSQL's pg_ prefix too", async () => {
    const owner = await bootstrapWorkspace();
    const d1 = await createD1Source(owner);
    const body = {
      name: "REST loader",
      loader_type: "rest_api",
      source_id: d1,
      config: restConfig("any", [{ name: "items", path: "/cursor/items" }]),
      target_schema: "_",
      selected_streams: [{ name: "items", sync_mode: "full_refresh" }],
      sync_mode: "full_refresh",
    };
    const refused = await as(owner)("/loaders", { method: "POST", body });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain("target_schema");
    expect(JSON.stringify(refused.json)).toMatch(/at least one letter or digit/);

    const created = await as(owner)("/loaders", { method: "POST", body: { ...body, target_schema: "raw_ok" } });
    expect(created.status).toBe(201);
    const update = await as(owner)(`/loaders/${created.json.id}`, { method: "PUT", body: { target_schema: "__" } });
    expect(update.status).toBe(400);
    expect((await as(owner)(`/loaders/${created.json.id}`)).json.target_schema).toBe("raw_ok");

    const pgSource = await postgresSource(owner, {});
    const reserved = await as(owner)("/loaders", { method: "POST", body: { ...body, source_id: pgSource, target_schema: "pg_raw" } });
    expect(reserved.status).toBe(400);
    expect(JSON.stringify(reserved.json)).toContain('reserves schema names beginning with \\"pg_\\"');
  });

  it("checkTargetNames answers each refused name with its path and the warehouse's message", () => {
    expect(checkTargetNames("d1", "raw", ["items", "lineItems"])).toEqual([]);
    expect(checkTargetNames("postgresql", "_", ["items"])).toEqual([{ path: "target_schema", message: expect.stringContaining('Invalid target schema "_"') }]);
    expect(checkTargetNames("postgresql", "PG_catalog2", ["items"])).toEqual([{ path: "target_schema", message: expect.stringContaining("pg_") }]);
    // D1 has no schemas: `_cf` + `__` + table begins with `_cf_`, a prefix D1 keeps for itself.
    expect(checkTargetNames("d1", "_cf", ["items"])).toEqual([{ path: "selected_streams.0.name", message: expect.stringContaining("D1 reserves") }]);
    expect(checkTargetNames("snowflake", "raw", ["items"])).toEqual([]);
  });
});

describe("classification", () => {
  it("PostgreSQL by SQLSTATE: authentication, privilege and reserved names are configuration; connection loss and deadlocks retryable", () => {
    const config = { host: "h", port: 5432, database: "d", user: "u", password: "s3cret", sslmode: "require" as const };
    const pgError = (code: string, message = "boom") => Object.assign(new Error(message), { code });
    const refused = classifyPostgresError(pgError("28P01", 'password authentication failed for user "u" (s3cret)'), config);
    expect(refused).toMatchObject({ kind: "configuration", details: { sqlstate: "28P01" } });
    expect(refused.message).toContain('user "u"');
    expect(refused.message).not.toContain("s3cret");
    expect(classifyPostgresError(pgError("42501"), config).kind).toBe("configuration");
    expect(classifyPostgresError(pgError("3D000"), config).kind).toBe("configuration");
    expect(classifyPostgresError(pgError("40P01"), config).kind).toBe("retryable");
    expect(classifyPostgresError(pgError("57P01"), config).kind).toBe("retryable");
    expect(classifyPostgresError(pgError("22P02"), config).kind).toBe("data");
    expect(classifyPostgresError(new Error("Connection terminated unexpectedly"), config).kind).toBe("retryable");
  });

  it("D1 by message: transient failures retryable, a full or refusing database configuration, the rest data", () => {
    expect(classifyD1Error(new Error("D1_ERROR: Network connection lost.")).kind).toBe("retryable");
    expect(classifyD1Error(new Error("D1 DB is overloaded. Requests queued for too long.")).kind).toBe("retryable");
    expect(classifyD1Error(new Error("D1_ERROR: database or disk is full: SQLITE_FULL")).kind).toBe("configuration");
    expect(classifyD1Error(new Error("D1_ERROR: not authorized: SQLITE_AUTH")).kind).toBe("configuration");
    expect(classifyD1Error(new Error("D1_ERROR: too many columns on t: SQLITE_ERROR")).kind).toBe("data");
  });

  it("REST warehouses: the transport's class and Retry-After carry over; a warehouse rule is asked first; secrets are redacted", () => {
    const secrets = ["tok-123"];
    const throttled = warehouseErrorFrom(new ConnectorError("retryable", "rate limited (HTTP 429) tok-123", { status: 429, retryAfterSeconds: 7 }), { warehouse: "Snowflake", secrets });
    expect(throttled).toMatchObject({ name: "WarehouseError", kind: "retryable", details: { status: 429, retryAfterSeconds: 7 } });
    expect(throttled.message).toMatch(/^Snowflake: rate limited \(HTTP 429\)/);
    expect(throttled.message).not.toContain("tok-123");
    const denied = warehouseErrorFrom(new ConnectorError("configuration", "permission denied (HTTP 403)", { status: 403 }), { warehouse: "BigQuery" });
    expect(denied.kind).toBe("configuration");
    const specific = warehouseErrorFrom(new ConnectorError("configuration", "HTTP 422: 002003 (42S02): Object does not exist"), {
      warehouse: "Snowflake",
      classify: (error) => (String((error as Error).message).includes("(42S02)") ? { kind: "configuration", message: "the target table is missing", details: { sqlstate: "42S02" } } : undefined),
    });
    expect(specific).toMatchObject({ kind: "configuration", details: { sqlstate: "42S02" } });
    expect(specific.message).toBe("Snowflake: the target table is missing");
    expect(warehouseErrorFrom(new TypeError("socket hang up"), { warehouse: "Databricks" }).kind).toBe("retryable");
  });
});
