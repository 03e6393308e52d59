/**
 * The PostgreSQL warehouse as workers tests see it: a PostgreSQL source to load into, and reads that go straight to
 * the database (never through the adapter under test), with the schemas a test file loaded dropped after it.
 */
import { env } from "cloudflare:workers";
import pg from "pg";
import { afterAll, expect } from "vitest";
import { workerdSocket } from "../../connectors/kit/postgres";
import type { SourceTable } from "../../connectors/kit/sql-source";
import { postgresqlConnector } from "../../connectors/postgresql";
import { openSession } from "../../connectors/postgresql/connection";
import { discoverTables } from "../../connectors/postgresql/discover";
import { as, type Caller, pgConfig } from "./api";

/** A connected client to the test server (PG_URL unless `config` says otherwise); the caller ends it. */
export async function connectPostgres(config: pg.ClientConfig = { connectionString: env.PG_URL }): Promise<pg.Client> {
  // pg's own lazy choice of socket fails under vitest's workerd loader; connectors/kit/postgres.ts explains.
  const client = new pg.Client({ ...config, stream: workerdSocket(false) });
  // Without a listener, the socket's close after end() surfaces as an unhandled error in workerd.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

export interface PostgresReader {
  query<T = Record<string, any>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Column name → information_schema data_type (`text`, `bigint`, `timestamp with time zone`, …). */
  columnTypes(schema: string, table: string): Promise<Record<string, string>>;
  /** Drops the schema (cascade) once the file's tests are done. */
  dropAfterAll(schema: string): void;
}

/**
 * For one test file, called at its top level: one connection, opened by the first query and ended after all tests.
 * One per query would leave workerd sockets closing while the next test runs.
 */
export function postgresReader(): PostgresReader {
  let client: Promise<pg.Client> | null = null;
  const schemas: string[] = [];
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    client ??= connectPostgres();
    return (await (await client).query(sql, params)).rows as T[];
  };
  afterAll(async () => {
    // A connection that never opened has already failed the test that asked for it.
    const open = await client?.catch(() => null);
    if (!open) return;
    try {
      for (const schema of schemas) await open.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await open.end();
    }
  });
  return {
    query,
    async columnTypes(schema, table) {
      const columns = await query<{ column_name: string; data_type: string }>(
        "select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2",
        [schema, table],
      );
      return Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
    },
    dropAfterAll(schema) {
      schemas.push(schema);
    },
  };
}

/** A `postgresql` source on the test server, through the API. */
export async function createPostgresSource(caller: Caller): Promise<string> {
  const res = await as(caller)("/sources", { method: "POST", body: { name: "Postgres", source_type: "postgresql", config: pgConfig() } });
  expect(res.status).toBe(201);
  return res.json.id;
}

/** The discovered stream of `schema`.`name` as the postgresql connector reads it. */
export async function discoveredTable(schema: string, name: string): Promise<SourceTable> {
  const config = postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] });
  const session = await openSession(config, true);
  try {
    return (await discoverTables(session, config)).find((t) => t.table === name)!;
  } finally {
    await session.close();
  }
}
