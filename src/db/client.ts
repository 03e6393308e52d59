import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type SQLiteTable } from "drizzle-orm/sqlite-core";
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

/**
 * `INSERT INTO table (…) SELECT <values> WHERE <condition>`: a write whose precondition is checked in the same
 * statement (a referenced row still exists, the acting key is still active), so no concurrent delete can slip in
 * between a check and the write. `.run()` answers `meta.changes` 0 when the condition failed.
 */
export function conditionalInsert<T extends SQLiteTable>(d1: D1Database, table: T, row: T["$inferInsert"], condition: SQL): D1PreparedStatement {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  const entries = Object.entries(row as Record<string, unknown>).filter(([key, value]) => value !== undefined && columns[key]);
  const names = sql.join(entries.map(([key]) => sql.identifier(columns[key]!.name)), sql`, `);
  const values = sql.join(entries.map(([, value]) => sql`${value}`), sql`, `);
  return d1Statement(d1, sql`INSERT INTO ${table} (${names}) SELECT ${values} WHERE ${condition}`);
}
