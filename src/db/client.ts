import type { SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export type Database = ReturnType<typeof database>;

export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

const dialect = new SQLiteAsyncDialect();

/**
 * A raw statement (INSERT … SELECT and other conditional writes drizzle's builders cannot express) as a D1 prepared
 * statement, so it can go into one `D1Database.batch` with others: drizzle batches only its own builders.
 */
export function d1Statement(d1: D1Database, query: SQL): D1PreparedStatement {
  const built = dialect.sqlToQuery(query);
  return d1.prepare(built.sql).bind(...built.params);
}
