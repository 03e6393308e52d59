/**
 * The catalog from information_schema: every table and view of the configured database that the user can see
 * (information_schema lists only objects it holds a privilege on), with its primary key and columns' types.
 */
import type { RecordSchema } from "../kit/contract";
import type { SourceSession, SourceTable } from "../kit/sql-source";
import type { MysqlConfig } from "./spec";

interface ColumnRow extends Record<string, unknown> {
  table_name: string;
  name: string;
  data_type: string;
  column_type: string;
}

/** JSON type by information_schema DATA_TYPE / COLUMN_TYPE (https://dev.mysql.com/doc/refman/8.0/en/data-types.html). */
function jsonType(column: ColumnRow): RecordSchema["properties"][string] {
  const type = column.data_type.toLowerCase();
  if (column.column_type.toLowerCase() === "tinyint(1)" || type === "boolean") return { type: ["boolean", "null"] };
  if (["tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"].includes(type)) return { type: ["integer", "null"] };
  if (["float", "double", "real"].includes(type)) return { type: ["number", "null"] };
  if (type === "datetime" || type === "timestamp") return { type: ["string", "null"], format: "date-time" };
  if (type === "json") return { type: ["object", "null"] };
  // decimal stays exact as text; date, time, strings, enums, sets, bit and binary (base64) are text too.
  return { type: ["string", "null"] };
}

export async function discoverTables(session: SourceSession, config: MysqlConfig): Promise<SourceTable[]> {
  const tables = await session.query<{ table_name: string; kind: string }>(
    `SELECT TABLE_NAME AS table_name, TABLE_TYPE AS kind FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME`,
    [config.database],
  );
  const wanted = config.tables?.length ? new Set(config.tables) : null;
  const chosen = tables.filter((t) => !wanted || wanted.has(t.table_name));
  if (chosen.length === 0) return [];
  const columns = await session.query<ColumnRow>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [config.database],
  );
  const keys = await session.query<{ table_name: string; name: string }>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [config.database],
  );
  return chosen.map(({ table_name: table, kind }) => {
    const own = columns.filter((c) => c.table_name === table);
    const primaryKey = keys.filter((k) => k.table_name === table).map((k) => k.name);
    const hasCursor = primaryKey.length > 0 && own.some((c) => c.name === config.cursor_field);
    return {
      name: table,
      schema: config.database,
      table,
      kind,
      primary_key: primaryKey,
      cursor_field: hasCursor ? config.cursor_field : null,
      supported_sync_modes: hasCursor ? ["full_refresh", "incremental"] : ["full_refresh"],
      json_schema: { type: "object", properties: Object.fromEntries(own.map((c) => [c.name, jsonType(c)])) },
      // COLUMN_TYPE keeps what the dialect's casts need to know: `bigint(20) unsigned`, `decimal(12,2)`.
      columnTypes: Object.fromEntries(own.map((c) => [c.name, c.column_type.toLowerCase()])),
    };
  });
}

/**
 * InnoDB's TABLE_ROWS is a sampled estimate (often 10-50 % off, refreshed by ANALYZE TABLE); a view has none.
 */
export async function estimateRows(session: SourceSession, table: SourceTable): Promise<number | null> {
  const [row] = await session.query<{ n: number | bigint | string | null }>(
    "SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
    [table.schema, table.table],
  );
  return row && row.n !== null ? Number(row.n) : null;
}
