/**
 * The catalog from the database's own: every table, partitioned table, view and materialized view of the
 * configured schemas that the user may SELECT, with its primary key and its columns' types. Partitions are read
 * through their parent, as they hold the parent's rows.
 */
import type { JsonSchemaType, RecordSchema } from "../kit/contract";
import type { SourceSession, SourceTable } from "../kit/sql-source";
import type { PostgresqlConfig } from "./spec";

interface RelationRow extends Record<string, unknown> {
  oid: number;
  schema: string;
  table: string;
  /** r table, p partitioned table, v view, m materialized view (pg_class.relkind). */
  kind: "r" | "p" | "v" | "m";
}

interface ColumnRow extends Record<string, unknown> {
  oid: number;
  name: string;
  type: string;
  category: string;
  type_name: string;
}

interface KeyRow extends Record<string, unknown> {
  oid: number;
  name: string;
}

/** JSON type by pg_type.typcategory (https://www.postgresql.org/docs/current/catalog-pg-type.html#CATALOG-TYPCATEGORY-TABLE). */
function jsonType(column: ColumnRow): RecordSchema["properties"][string] {
  switch (column.category) {
    case "A":
      return { type: ["array", "null"] };
    case "B":
      return { type: ["boolean", "null"] };
    case "N":
      // numeric and money stay exact as text; the warehouse has no decimal type to hold them.
      if (["int2", "int4", "int8", "oid"].includes(column.type_name)) return { type: ["integer", "null"] };
      if (["float4", "float8"].includes(column.type_name)) return { type: ["number", "null"] };
      return { type: ["string", "null"] };
    case "D":
      return column.type_name === "timestamp" || column.type_name === "timestamptz"
        ? { type: ["string", "null"], format: "date-time" }
        : { type: ["string", "null"] };
    case "U":
      return column.type_name === "json" || column.type_name === "jsonb" ? { type: ["object", "null"] as JsonSchemaType[] } : { type: ["string", "null"] };
    default:
      return { type: ["string", "null"] };
  }
}

export async function discoverTables(session: SourceSession, config: PostgresqlConfig): Promise<SourceTable[]> {
  const relations = await session.query<RelationRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
        AND has_table_privilege(c.oid, 'SELECT')
      ORDER BY n.nspname, c.relname`,
    [config.schemas],
  );
  const wanted = config.tables?.length ? new Set(config.tables) : null;
  const chosen = relations.filter((r) => !wanted || wanted.has(r.table) || wanted.has(`${r.schema}.${r.table}`));
  if (chosen.length === 0) return [];
  const oids = chosen.map((r) => r.oid);
  const columns = await session.query<ColumnRow>(
    `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            t.typcategory AS category, t.typname AS type_name
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const keys = await session.query<KeyRow>(
    `SELECT i.indrelid::int AS oid, a.attname AS name
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indisprimary AND i.indrelid = ANY($1::oid[])
      ORDER BY i.indrelid, k.position`,
    [oids],
  );
  return chosen.map((relation) => {
    const own = columns.filter((c) => c.oid === relation.oid);
    const primaryKey = keys.filter((k) => k.oid === relation.oid).map((k) => k.name);
    const hasCursor = primaryKey.length > 0 && own.some((c) => c.name === config.cursor_field);
    return {
      name: `${relation.schema}.${relation.table}`,
      schema: relation.schema,
      table: relation.table,
      kind: relation.kind,
      primary_key: primaryKey,
      cursor_field: hasCursor ? config.cursor_field : null,
      supported_sync_modes: hasCursor ? ["full_refresh", "incremental"] : ["full_refresh"],
      json_schema: { type: "object", properties: Object.fromEntries(own.map((c) => [c.name, jsonType(c)])) },
      // format_type() spells each type as a cast accepts it: `numeric(12,2)`, `timestamp with time zone`.
      columnTypes: Object.fromEntries(own.map((c) => [c.name, c.type])),
    };
  });
}

/**
 * pg_class.reltuples, kept by ANALYZE and autovacuum; -1 until the table was first analyzed (PostgreSQL 14+),
 * and a partitioned parent's stays -1 unless it is analyzed itself.
 */
export async function estimateRows(session: SourceSession, table: SourceTable): Promise<number | null> {
  const [row] = await session.query<{ n: number }>(
    "SELECT c.reltuples::float8 AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = $2",
    [table.schema, table.table],
  );
  return row && row.n >= 0 ? row.n : null;
}
