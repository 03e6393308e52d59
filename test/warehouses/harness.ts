/**
 * One interface over both warehouses under test, so the adapter suite is written once: build an adapter (recording
 * the statements it sends), read a loaded table back as plain JS values, list columns with their logical types.
 * Reads go straight to the database (D1 binding, or a separate pg client), never through the adapter under test.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import type { Client } from "pg";
import type { WarehouseAdapter } from "../../src/warehouses/contract";
import { D1Warehouse, d1TableName } from "../../src/warehouses/d1";
import { schemaName, tableName } from "../../src/warehouses/naming";
import { type PostgresConfig, PostgresWarehouse } from "../../src/warehouses/postgresql";
import { type ColumnType, d1ColumnType, postgresColumnType } from "../../src/warehouses/types";
import { connectPostgres } from "../helpers/postgres";

export interface Statement {
  sql: string;
  params: unknown[];
}

export type Row = Record<string, unknown>;

export interface WarehouseUnderTest {
  type: "d1" | "postgresql";
  adapter(statements?: Statement[]): WarehouseAdapter;
  /** Rows ordered by `orderBy`; timestamps as ISO strings (ms), booleans as booleans, JSON parsed. */
  rows(schema: string, stream: string, orderBy: string): Promise<Row[]>;
  /** Column name → logical type, in table order; null when the table does not exist. */
  columns(schema: string, stream: string): Promise<Record<string, ColumnType> | null>;
  /** Tables of the target schema (D1: tables with the schema prefix), to find leftover staging tables. */
  tables(schema: string): Promise<string[]>;
  cleanup(schema: string): Promise<void>;
  /** Ends every adapter and client this harness opened. */
  close(): Promise<void>;
}

let counter = 0;
/** A schema name no other test (or earlier run) uses. */
export function uniqueSchema(prefix = "wh"): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${counter}_${Math.floor(Math.random() * 1e6)}`;
}

/** The machine's PostgreSQL (trust auth: no password), built directly since the API's spec requires one. */
export function postgresTestConfig(overrides: Partial<PostgresConfig> = {}): PostgresConfig {
  const url = new URL(env.PG_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password) || undefined,
    sslmode: "disable",
    ...overrides,
  };
}

function normalizeTimestamp(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return value;
}

export function d1Harness(db: D1Database = env.WAREHOUSE): WarehouseUnderTest {
  const types = async (table: string) => {
    const { results } = await db.prepare("SELECT name, type FROM pragma_table_info(?1)").bind(table).all<{ name: string; type: string }>();
    return results;
  };
  return {
    type: "d1",
    adapter: (statements) => new D1Warehouse(db, { onStatement: (sql, params) => statements?.push({ sql, params }) }),
    async rows(schema, stream, orderBy) {
      const table = d1TableName(schema, stream);
      const declared = new Map((await types(table)).map((c) => [c.name, d1ColumnType(c.type)]));
      const { results } = await db.prepare(`SELECT * FROM "${table}" ORDER BY "${orderBy}"`).all<Row>();
      return results.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([name, value]) => {
            if (value === null) return [name, null];
            const type = declared.get(name);
            if (type === "boolean") return [name, value === 1];
            if (type === "json") return [name, JSON.parse(value as string)];
            if (type === "timestamp") return [name, normalizeTimestamp(value)];
            return [name, value];
          }),
        ),
      );
    },
    async columns(schema, stream) {
      const columns = await types(d1TableName(schema, stream));
      return columns.length ? Object.fromEntries(columns.map((c) => [c.name, d1ColumnType(c.type)])) : null;
    },
    async tables(schema) {
      const prefix = `${schemaName(schema)}__`;
      const { results } = await db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?1)) = ?1 ORDER BY name")
        .bind(prefix)
        .all<{ name: string }>();
      return results.map((r) => r.name);
    },
    async cleanup(schema) {
      for (const table of await this.tables(schema)) await db.prepare(`DROP TABLE IF EXISTS "${table}"`).run();
    },
    async close() {},
  };
}

export function postgresHarness(): WarehouseUnderTest {
  const adapters: WarehouseAdapter[] = [];
  let reader: Client | null = null;
  const read = async () => {
    reader ??= await connectPostgres({ ...postgresTestConfig(), ssl: false });
    return reader;
  };
  return {
    type: "postgresql",
    adapter(statements) {
      const adapter = new PostgresWarehouse(postgresTestConfig(), {
        development: true,
        onStatement: (sql, params) => statements?.push({ sql, params }),
      });
      adapters.push(adapter);
      return adapter;
    },
    async rows(schema, stream, orderBy) {
      const client = await read();
      const types = await this.columns(schema, stream);
      const { rows } = await client.query<Row>(`SELECT * FROM "${schemaName(schema)}"."${tableName(stream)}" ORDER BY "${orderBy}"`);
      return rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([name, value]) => {
            if (value === null) return [name, null];
            const type = types?.[name];
            // pg returns int8 as text (it may exceed 2^53); the suite's integers are safe.
            if (type === "integer") return [name, Number(value)];
            if (type === "timestamp") return [name, normalizeTimestamp(value)];
            // pg reads a date as a Date at local midnight; the Worker's zone is UTC.
            if (type === "date" && value instanceof Date) return [name, value.toISOString().slice(0, 10)];
            return [name, value];
          }),
        ),
      );
    },
    async columns(schema, stream) {
      const client = await read();
      const { rows } = await client.query<{ name: string; type: string }>(
        "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        [schemaName(schema), tableName(stream)],
      );
      return rows.length ? Object.fromEntries(rows.map((c) => [c.name, postgresColumnType(c.type)])) : null;
    },
    async tables(schema) {
      const client = await read();
      const { rows } = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schemaName(schema)],
      );
      return rows.map((r) => r.name);
    },
    async cleanup(schema) {
      const client = await read();
      await client.query(`DROP SCHEMA IF EXISTS "${schemaName(schema)}" CASCADE`);
    },
    async close() {
      await Promise.all(adapters.splice(0).map((adapter) => adapter.close()));
      const client = reader;
      reader = null;
      await client?.end();
    },
  };
}

/** The run's first stream as its RunTracker holds it (pages and rows reported, checkpoint, deliveries, last error). */
export async function trackerStream(runId: string) {
  const stub = runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;
  return runInDurableObject(stub, (instance: RunTracker) => instance.snapshot().streams[0]!);
}
