/**
 * The load statement both SQL warehouses share. PostgreSQL and SQLite (D1) accept the same
 * `INSERT … AS t … SELECT … ON CONFLICT (…) DO UPDATE SET … WHERE …` upsert, so only the row source, the cell
 * extraction and the cursor comparison differ per dialect. Every value arrives through a bound parameter: the page
 * as one JSON array of row arrays, plus run id, synced_at and batch id.
 */
import type { LoadPlan } from "./load-plan";
import { META, quoteIdentifier } from "./naming";
import type { ColumnType } from "./types";

/** Sees every statement an adapter sends, with its bound values (tests, debugging). */
export type StatementObserver = (sql: string, params: unknown[]) => void;

export interface LoadDialect {
  /** Reads cell `index` of the current row of the page, converted to the column type. */
  cell(index: number, type: ColumnType): string;
  /** Bound parameter `position` (2 = run id, 3 = synced_at, 4 = batch id). */
  param(position: 2 | 3 | 4, type: ColumnType): string;
  /** FROM clause over the page parameter (`$1` / `?1`), one row per array element. */
  rows: string;
  /** `newer >= older` in the warehouse's own ordering of the cursor column's type. */
  cursorNotOlder(newer: string, older: string, type: ColumnType): string;
}

/** `"a", "b"` */
export function columnList(names: string[]): string {
  return names.map(quoteIdentifier).join(", ");
}

export function insertStatement(table: string, plan: LoadPlan, dialect: LoadDialect): string {
  const data = plan.columns.map((column) => column.name);
  const target = [...data, META.runId, META.syncedAt, META.batchId, META.deletedAt];
  const values = [
    ...plan.columns.map((column, index) => dialect.cell(index, column.type)),
    dialect.param(2, "string"),
    dialect.param(3, "timestamp"),
    dialect.param(4, "string"),
    dialect.cell(plan.columns.length, "timestamp"),
  ];
  const insert = `INSERT INTO ${table} AS t (${columnList(target)}) SELECT ${values.join(", ")} FROM ${dialect.rows}`;
  return plan.primaryKey.length > 0 ? `${insert} ${upsertClause(plan, dialect)}` : insert;
}

/**
 * Merge by primary key. A newer-or-equal cursor overwrites, so a replayed page rewrites identical values and an
 * older version never replaces a newer one. A soft-delete record (`_loader_deleted_at` set) keeps the values it
 * does not carry, so a tombstone holding only the key leaves the last known row in place, marked deleted.
 */
function upsertClause(plan: LoadPlan, dialect: LoadDialect): string {
  const deleted = `excluded.${quoteIdentifier(META.deletedAt)}`;
  const keys = new Set(plan.primaryKey);
  const sets = plan.columns
    .filter((column) => !keys.has(column.name))
    .map((column) => {
      const name = quoteIdentifier(column.name);
      return `${name} = CASE WHEN ${deleted} IS NULL THEN excluded.${name} ELSE COALESCE(excluded.${name}, t.${name}) END`;
    });
  for (const name of [META.runId, META.syncedAt, META.batchId, META.deletedAt]) {
    sets.push(`${quoteIdentifier(name)} = excluded.${quoteIdentifier(name)}`);
  }
  let clause = `ON CONFLICT (${columnList(plan.primaryKey)}) DO UPDATE SET ${sets.join(", ")}`;
  if (plan.cursor) {
    const cursor = quoteIdentifier(plan.cursor.name);
    // A deletion the source reports without a cursor value (a bare tombstone) still applies.
    clause +=
      ` WHERE t.${cursor} IS NULL OR ${dialect.cursorNotOlder(`excluded.${cursor}`, `t.${cursor}`, plan.cursor.type)}` +
      ` OR (excluded.${cursor} IS NULL AND ${deleted} IS NOT NULL)`;
  }
  return clause;
}
