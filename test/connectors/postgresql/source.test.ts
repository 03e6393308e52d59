/**
 * The postgresql source against the real PostgreSQL of the machine: tables made by the test in a schema of its own,
 * discovered, read page by page (resuming from checkpoints), and loaded end to end through the engine into D1.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Page } from "../../../connectors/kit/contract";
import { PAGE_ROWS, type SourceTable } from "../../../connectors/kit/sql-source";
import { postgresqlConnector } from "../../../connectors/postgresql";
import { openSession } from "../../../connectors/postgresql/connection";
import type { PostgresqlConfig } from "../../../connectors/postgresql/spec";
import { pgConfig } from "../../helpers/api";
import { connectorContext, readPages, records } from "../../helpers/connector";
import { uniqueName } from "../../helpers/engine";
import { connectPostgres, postgresReader } from "../../helpers/postgres";
import { BIG, CUSTOMERS, CUSTOMER_7, EVENTS, expectEndToEnd, expectIncrementalRead, expectKeysetRead, expectReadOverTls } from "../../helpers/sql-source";

const { query, dropAfterAll } = postgresReader();
const renameAndInsert = (schema: string) => async () => {
  await query(`update ${schema}.customers set name = 'Renamed', updated_at = timestamptz '2030-01-01 00:00:00+00' where id in (3, 4)`);
  await query(`insert into ${schema}.customers (id, name, updated_at) values (9000, 'New', timestamptz '2030-01-01 00:00:00+00')`);
};

/** A schema of its own with a keyed table (cursor column), a keyless table, a composite-key table and a view. */
async function sourceSchema(): Promise<string> {
  const schema = uniqueName("src");
  dropAfterAll(schema);
  await query(`create schema ${schema}`);
  await query(`create table ${schema}.customers (
    id bigint primary key, name text not null, balance numeric(12,2), big bigint, active boolean, tags text[],
    profile jsonb, avatar bytea, born date, updated_at timestamptz not null)`);
  // One hour apart, so that the incremental safety window (5 minutes) holds exactly the newest row.
  await query(`insert into ${schema}.customers
    select i, 'Customer ' || i, i * 1.25, case when i = 7 then ${BIG} else i end, i % 2 = 0, array['t' || (i % 3)],
           jsonb_build_object('n', i, 'vip', i % 10 = 0), '\\x0102ff'::bytea, date '1990-01-01' + i,
           timestamptz '2024-01-01 00:00:00.123456+00' + i * interval '1 hour'
      from generate_series(1, ${CUSTOMERS}) i`);
  await query(`create table ${schema}.events (kind text, at timestamptz)`);
  await query(`insert into ${schema}.events select 'e' || (i % 4), timestamptz '2024-01-01' + i * interval '1 minute' from generate_series(1, ${EVENTS}) i`);
  await query(`create table ${schema}.orders (region text, id int, total numeric, primary key (region, id))`);
  await query(`insert into ${schema}.orders values ('eu', 1, 10), ('eu', 2, 20), ('us', 1, 30)`);
  await query(`create view ${schema}.active_customers as select id, name from ${schema}.customers where active`);
  return schema;
}

function sourceConfig(schema: string): PostgresqlConfig {
  return postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] });
}

describe("postgresql source", () => {
  it("discovers tables, keys, cursors and column types from the catalog", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const streams = (await postgresqlConnector.discover(ctx, sourceConfig(schema))) as SourceTable[];
    expect(streams.map((s) => [s.name, s.kind, s.primary_key, s.cursor_field, s.supported_sync_modes])).toEqual([
      [`${schema}.active_customers`, "v", [], null, ["full_refresh"]],
      [`${schema}.customers`, "r", ["id"], "updated_at", ["full_refresh", "incremental"]],
      [`${schema}.events`, "r", [], null, ["full_refresh"]],
      [`${schema}.orders`, "r", ["region", "id"], null, ["full_refresh"]],
    ]);
    const customers = streams[1]!;
    expect(customers.json_schema!.properties).toMatchObject({
      id: { type: ["integer", "null"] },
      balance: { type: ["string", "null"] },
      active: { type: ["boolean", "null"] },
      tags: { type: ["array", "null"] },
      profile: { type: ["object", "null"] },
      born: { type: ["string", "null"] },
      updated_at: { type: ["string", "null"], format: "date-time" },
    });
    expect(customers.columnTypes).toMatchObject({ balance: "numeric(12,2)", updated_at: "timestamp with time zone" });

    const narrowed = await postgresqlConnector.discover(ctx, { ...sourceConfig(schema), tables: ["orders", `${schema}.events`] });
    expect(narrowed.map((s) => s.name)).toEqual([`${schema}.events`, `${schema}.orders`]);
  });

  it("reads exact values in keyset pages that resume from any checkpoint without a gap or a repeat", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const streams = await postgresqlConnector.discover(ctx, config);
    const rows = await expectKeysetRead({ connector: postgresqlConnector, ctx, config, streams, stream: (table) => `${schema}.${table}` });
    expect(rows[6]).toEqual({ ...CUSTOMER_7, tags: ["t1"], profile: { n: 7, vip: false } });
  });

  it("reads keyless tables by ctid and views by offset, every row once", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const streams = await postgresqlConnector.discover(ctx, config);
    const read = (name: string, checkpoint: Page["checkpoint"] | null = null) =>
      readPages(postgresqlConnector, ctx, config, { stream: streams.find((s) => s.name === `${schema}.${name}`)!, sync_mode: "full_refresh", state: null, checkpoint });

    const events = await read("events");
    expect(events.map((p) => p.records.length)).toEqual([PAGE_ROWS, EVENTS - PAGE_ROWS]);
    expect(events[0]!.checkpoint).toEqual({ locator: expect.stringMatching(/^\(\d+,\d+\)$/) });
    const resumedEvents = records(await read("events", events[0]!.checkpoint));
    expect([...records(events.slice(0, 1)), ...resumedEvents].map((r) => r.at).sort()).toEqual(records(events).map((r) => r.at).sort());
    expect(new Set(records(events).map((r) => r.at)).size).toBe(EVENTS);

    const view = await read("active_customers");
    expect(view.map((p) => p.checkpoint)).toEqual([{ offset: PAGE_ROWS }, { offset: CUSTOMERS / 2 }]);
    expect(new Set(records(view).map((r) => r.id)).size).toBe(CUSTOMERS / 2);
  });

  it("reads incrementally from the high-water mark minus the safety window", async () => {
    const schema = await sourceSchema();
    const { ctx } = connectorContext();
    const config = sourceConfig(schema);
    const streams = await postgresqlConnector.discover(ctx, config);
    await expectIncrementalRead({ connector: postgresqlConnector, ctx, config, streams, stream: (table) => `${schema}.${table}` }, "2024-07-06 12:00:00.123456+00", renameAndInsert(schema));
  });

  it("opens read-only sessions, refuses plain TCP outside development, and names what is wrong", async () => {
    const schema = await sourceSchema();
    const config = sourceConfig(schema);
    const session = await openSession(config, true);
    try {
      await expect(session.query(`insert into ${schema}.orders values ('x', 1, 1)`)).rejects.toMatchObject({ kind: "data", message: expect.stringContaining("25006") });
    } finally {
      await session.close();
    }
    expect(await query(`select count(*)::int as n from ${schema}.orders`)).toEqual([{ n: 3 }]);

    const { ctx } = connectorContext();
    await expect(postgresqlConnector.check({ ...ctx, development: false }, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("development mode") });
    await expect(postgresqlConnector.check(ctx, config)).resolves.toBeUndefined();
    await expect(postgresqlConnector.check(ctx, { ...config, schemas: [schema, "nope"] })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining('"nope"') });
    await expect(postgresqlConnector.check(ctx, { ...config, database: "no_such_database" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("3D000") });
    await expect(postgresqlConnector.check(ctx, { ...config, port: 1 })).rejects.toMatchObject({ kind: "retryable" });
  });
});

describe("postgresql source over TLS", () => {
  it("reads over TLS outside development, with workerd checking the certificate and its host name", async () => {
    // test/tls-servers.ts: a PostgreSQL with TLS, its certificate for `localhost` from a CA trusted for this run.
    const port = Number(env.PG_TLS_PORT);
    const admin = await connectPostgres({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
    const schema = uniqueName("tls");
    try {
      await admin.query(`create schema ${schema}; create table ${schema}.notes (id int primary key, body text); insert into ${schema}.notes values (1, 'over'), (2, 'tls')`);
      await expectReadOverTls({
        connector: postgresqlConnector,
        config: postgresqlConnector.config.parse({ host: "localhost", port, database: "postgres", user: "postgres", password: "unused-with-trust-auth", sslmode: "verify-full", schemas: [schema] }),
        openSession,
        tlsStatus: { sql: "select ssl from pg_stat_ssl where pid = pg_backend_pid()", rows: [{ ssl: true }] },
      });
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  });
});

describe("postgresql → D1, end to end", () => {
  it("loads every selected table, then only what changed, merged in place", async () => {
    const schema = await sourceSchema();
    await expectEndToEnd({
      loaderType: "postgresql",
      config: { ...pgConfig(), schemas: [schema] },
      stream: (table) => `${schema}.${table}`,
      table: (target, table) => `${target}__${schema}_${table}`,
      change: renameAndInsert(schema),
      highWater: ["2024-07-06 12:00:00.123456+00", "2030-01-01 00:00:00+00"],
    });
  });
});
