/**
 * The mysql source against the machine's real MariaDB (or MySQL): databases made by the test and read by a
 * SELECT-only user, discovered, read page by page (resuming from checkpoints), and loaded end to end into D1.
 */
import { env } from "cloudflare:workers";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import type { Page } from "../../../connectors/kit/contract";
import { PAGE_ROWS, type SourceTable } from "../../../connectors/kit/sql-source";
import { mysqlConnector } from "../../../connectors/mysql";
import { openSession } from "../../../connectors/mysql/connection";
import type { MysqlConfig } from "../../../connectors/mysql/spec";
import { connectorContext, readPages, records } from "../../helpers/connector";
import { READER, mysqlAdmin, mysqlSourceConfig } from "../../helpers/mysql";
import { BIG, CUSTOMERS, CUSTOMER_7, EVENTS, expectEndToEnd, expectIncrementalRead, expectKeysetRead, expectReadOverTls } from "../../helpers/sql-source";

const { query, database } = mysqlAdmin();
const renameAndInsert = (db: string) => async () => {
  await query(`UPDATE \`${db}\`.customers SET name = 'Renamed', updated_at = '2030-01-01 00:00:00' WHERE id IN (3, 4)`);
  await query(`INSERT INTO \`${db}\`.customers (id, name, updated_at) VALUES (9000, 'New', '2030-01-01 00:00:00')`);
};
/** 1 to 10,000 without recursion limits (MySQL 8 stops recursive CTEs at 1,000 rows by default). */
const NUMBERS = `(SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 1 AS i FROM
  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d) numbers`;

/** A database of its own with a keyed table (cursor column), a keyless table, a composite-key table and a view. */
async function sourceDatabase(): Promise<string> {
  const db = await database("src");
  await query(`CREATE TABLE \`${db}\`.customers (
    id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(100) NOT NULL, balance DECIMAL(12,2), big BIGINT, active TINYINT(1),
    profile JSON, avatar VARBINARY(16), born DATE, updated_at DATETIME(6) NOT NULL)`);
  // One hour apart, so that the incremental safety window (5 minutes) holds exactly the newest row.
  await query(`INSERT INTO \`${db}\`.customers
    SELECT i, CONCAT('Customer ', i), i * 1.25, IF(i = 7, ${BIG}, i), i % 2 = 0, JSON_OBJECT('n', i), UNHEX('0102FF'),
           DATE '1990-01-01' + INTERVAL i DAY, TIMESTAMP '2024-01-01 00:00:00.123456' + INTERVAL i HOUR
      FROM ${NUMBERS} WHERE i <= ${CUSTOMERS}`);
  await query(`CREATE TABLE \`${db}\`.events (kind VARCHAR(10), at DATETIME)`);
  await query(`INSERT INTO \`${db}\`.events SELECT CONCAT('e', i % 4), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL i MINUTE FROM ${NUMBERS} WHERE i <= ${EVENTS}`);
  await query(`CREATE TABLE \`${db}\`.orders (region VARCHAR(10), id INT, total DECIMAL(10,2), PRIMARY KEY (region, id))`);
  await query(`INSERT INTO \`${db}\`.orders VALUES ('eu', 1, 10), ('eu', 2, 20), ('us', 1, 30)`);
  await query(`CREATE VIEW \`${db}\`.active_customers AS SELECT id, name FROM \`${db}\`.customers WHERE active`);
  return db;
}

function sourceConfig(db: string): MysqlConfig {
  return mysqlConnector.config.parse(mysqlSourceConfig(db));
}

describe("mysql source", () => {
  it("discovers tables, keys, cursors and column types from information_schema", async () => {
    const db = await sourceDatabase();
    const { ctx } = connectorContext();
    const streams = (await mysqlConnector.discover(ctx, sourceConfig(db))) as SourceTable[];
    expect(streams.map((s) => [s.name, s.kind, s.primary_key, s.cursor_field, s.supported_sync_modes])).toEqual([
      ["active_customers", "VIEW", [], null, ["full_refresh"]],
      ["customers", "BASE TABLE", ["id"], "updated_at", ["full_refresh", "incremental"]],
      ["events", "BASE TABLE", [], null, ["full_refresh"]],
      ["orders", "BASE TABLE", ["region", "id"], null, ["full_refresh"]],
    ]);
    const customers = streams[1]!;
    expect(customers.json_schema!.properties).toMatchObject({
      id: { type: ["integer", "null"] },
      balance: { type: ["string", "null"] },
      active: { type: ["boolean", "null"] },
      born: { type: ["string", "null"] },
      updated_at: { type: ["string", "null"], format: "date-time" },
    });
    expect(customers.columnTypes).toMatchObject({ id: expect.stringMatching(/^bigint(\(20\))? unsigned$/), balance: "decimal(12,2)", updated_at: "datetime(6)" });

    const narrowed = await mysqlConnector.discover(ctx, { ...sourceConfig(db), tables: ["orders", "events"] });
    expect(narrowed.map((s) => s.name)).toEqual(["events", "orders"]);
  });

  it("reads exact values in keyset pages that resume from any checkpoint without a gap or a repeat", async () => {
    const db = await sourceDatabase();
    const { ctx } = connectorContext();
    const config = sourceConfig(db);
    const streams = await mysqlConnector.discover(ctx, config);
    const rows = await expectKeysetRead({ connector: mysqlConnector, ctx, config, streams, stream: (table) => table });
    expect(rows[6]).toEqual({ ...CUSTOMER_7, profile: { n: 7 } });
  });

  it("reads keyless tables and views by offset over a total order, every row once", async () => {
    const db = await sourceDatabase();
    const { ctx } = connectorContext();
    const config = sourceConfig(db);
    const streams = await mysqlConnector.discover(ctx, config);
    const read = (name: string, checkpoint: Page["checkpoint"] | null = null) =>
      readPages(mysqlConnector, ctx, config, { stream: streams.find((s) => s.name === name)!, sync_mode: "full_refresh", state: null, checkpoint });

    const events = await read("events");
    expect(events.map((p) => p.checkpoint)).toEqual([{ offset: PAGE_ROWS }, { offset: EVENTS }]);
    const resumed = records(await read("events", events[0]!.checkpoint));
    expect(resumed).toEqual(records(events).slice(PAGE_ROWS));
    expect(new Set(records(events).map((r) => r.at)).size).toBe(EVENTS);

    const view = await read("active_customers");
    expect(new Set(records(view).map((r) => r.id)).size).toBe(CUSTOMERS / 2);
  });

  it("reads incrementally from the high-water mark minus the safety window", async () => {
    const db = await sourceDatabase();
    const { ctx } = connectorContext();
    const config = sourceConfig(db);
    const streams = await mysqlConnector.discover(ctx, config);
    await expectIncrementalRead({ connector: mysqlConnector, ctx, config, streams, stream: (table) => table }, "2024-07-06 12:00:00.123456", renameAndInsert(db));
  });

  it("opens read-only sessions, refuses plain TCP outside development, and names what is wrong", async () => {
    const db = await sourceDatabase();
    const config = sourceConfig(db);
    await query(`GRANT INSERT ON \`${db}\`.orders TO '${READER.user}'@'%'`);
    await query(`GRANT INSERT ON \`${db}\`.orders TO '${READER.user}'@'localhost'`);
    const session = await openSession(config, true);
    try {
      // Even with the INSERT grant, the session itself is read-only (error 1792).
      await expect(session.query(`INSERT INTO \`${db}\`.orders VALUES ('x', 1, 1)`)).rejects.toMatchObject({ kind: "data", message: expect.stringContaining("1792") });
    } finally {
      await session.close();
    }
    expect(await query(`SELECT COUNT(*) AS n FROM \`${db}\`.orders`)).toEqual([{ n: 3 }]);

    const { ctx } = connectorContext();
    await expect(mysqlConnector.check({ ...ctx, development: false }, config)).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("development mode") });
    await expect(mysqlConnector.check(ctx, { ...config, ssl_mode: "required" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("does not offer TLS") });
    await expect(mysqlConnector.check(ctx, config)).resolves.toBeUndefined();
    await expect(mysqlConnector.check(ctx, { ...config, password: "wrong" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("1045") });
    await expect(mysqlConnector.check(ctx, { ...config, database: "no_such_database" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringMatching(/104[49]/) });
    await expect(mysqlConnector.check(ctx, { ...config, port: 1 })).rejects.toMatchObject({ kind: "retryable" });
  });
});

describe("mysql source over TLS", () => {
  it("reads over TLS outside development, with workerd checking the certificate and its host name", async () => {
    // test/tls-servers.ts: TLS with a certificate for `localhost` from a CA trusted for this run; any login works.
    const port = Number(env.MYSQL_TLS_PORT);
    const admin = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", disableEval: true });
    const db = `tls_${crypto.randomUUID().slice(0, 8)}`;
    try {
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.query(`CREATE TABLE ${db}.notes (id INT PRIMARY KEY, body VARCHAR(20))`);
      await admin.query(`INSERT INTO ${db}.notes VALUES (1, 'over'), (2, 'tls')`);
      await expectReadOverTls({
        connector: mysqlConnector,
        config: mysqlConnector.config.parse({ host: "localhost", port, database: db, user: "reader", password: "any-password", ssl_mode: "verify_identity" }),
        openSession,
        tlsStatus: { sql: "SHOW SESSION STATUS LIKE 'Ssl_version'", rows: [{ Variable_name: "Ssl_version", Value: expect.stringMatching(/^TLSv1\.[23]$/) }] },
      });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db}`);
      await admin.end();
    }
  });
});

describe("mysql → D1, end to end", () => {
  it("loads every selected table, then only what changed, merged in place", async () => {
    const db = await sourceDatabase();
    await expectEndToEnd({
      loaderType: "mysql",
      config: mysqlSourceConfig(db),
      stream: (table) => table,
      table: (target, table) => `${target}__${table}`,
      change: renameAndInsert(db),
      highWater: ["2024-07-06 12:00:00.123456", "2030-01-01 00:00:00.000000"],
    });
  });
});
