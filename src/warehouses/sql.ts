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

/**
 * The MERGE strategy (DESIGN §4.1) for warehouses that stage a chunk and merge it once: Snowflake, BigQuery,
 * Databricks (and PostgreSQL ≥ 15, which the tests run it on). The statement shape is the SQL standard's, which all
 * of them accept; what differs goes through this dialect.
 */
export interface MergeDialect {
  /** Quotes one identifier (`"A"` on Snowflake and PostgreSQL, `` `a` `` on BigQuery and Databricks). */
  quote(name: string): string;
  /** `newer >= older` for the cursor column's type, in the warehouse's own ordering. */
  cursorNotOlder(newer: string, older: string, type: ColumnType): string;
  /**
   * How a keyless stream replaces the rows of the committed batches: "delete-insert" gives a DELETE and an INSERT
   * that the adapter runs as one transaction (Snowflake multi-statement request, BigQuery script with
   * BEGIN TRANSACTION); "replace-where" gives one `INSERT INTO … REPLACE WHERE` (Delta's atomic selective overwrite).
   */
  keyless: "delete-insert" | "replace-where";
}

export interface MergeSpec {
  /** Qualified and quoted target and staging tables. */
  target: string;
  staging: string;
  /** Column names as the warehouse spells them: the data columns the chunk carries, key and cursor included. */
  columns: string[];
  primaryKey: string[];
  cursor: { name: string; type: ColumnType } | null;
  /** SQL predicate choosing the committed batches from a batch-id column (`col IN (@b0, @b1)`, values bound). */
  batches: (batchIdColumn: string) => string;
  /** SQL expression, greater for a later batch of the chunk (`CASE col WHEN @b0 THEN 0 … END`): cursor ties go to it. */
  batchOrder: (batchIdColumn: string) => string;
  /**
   * Keyless streams: the predicate choosing the target rows an earlier attempt of this chunk may have committed
   * (ChunkCommit.replaces_from: this run's batch ids from that page on, `batchIdRange`); they are deleted with the
   * committed batches' own rows.
   */
  replaceFrom?: (batchIdColumn: string) => string;
  /** Staging column numbering the rows of a batch in page order (ties inside a batch go to the later record). */
  rowOrder?: string;
  /** Metadata column names in the warehouse's spelling (defaults: META). */
  meta?: { runId: string; syncedAt: string; batchId: string; deletedAt: string };
}

/**
 * The statements that merge a chunk's staged batches into its target: one source row per key (the newest by
 * cursor, then the later batch, then the later row), newer-or-equal cursors overwrite, a soft delete keeps the
 * values it does not carry — the same outcome as the ON CONFLICT upsert above, so both strategies load alike.
 */
export function mergeStatements(spec: MergeSpec, dialect: MergeDialect): string[] {
  const q = dialect.quote;
  const meta = spec.meta ?? META;
  const metaNames = [meta.runId, meta.syncedAt, meta.batchId, meta.deletedAt];
  const all = [...spec.columns, ...metaNames];
  const list = all.map(q).join(", ");
  if (spec.primaryKey.length === 0) {
    const select = `SELECT ${list} FROM ${spec.staging} WHERE ${spec.batches(q(meta.batchId))}`;
    const own = spec.batches(q(meta.batchId));
    const replaced = spec.replaceFrom ? `(${own}) OR (${spec.replaceFrom(q(meta.batchId))})` : own;
    if (dialect.keyless === "replace-where") {
      return [`INSERT INTO ${spec.target} REPLACE WHERE ${replaced} ${select}`];
    }
    return [`DELETE FROM ${spec.target} WHERE ${replaced}`, `INSERT INTO ${spec.target} (${list}) ${select}`];
  }
  const order = [
    ...(spec.cursor ? [`${q(spec.cursor.name)} DESC NULLS LAST`] : []),
    `${spec.batchOrder(q(meta.batchId))} DESC`,
    ...(spec.rowOrder ? [`${q(spec.rowOrder)} DESC`] : []),
  ].join(", ");
  const newest =
    `SELECT ${list} FROM (SELECT ${list}, ROW_NUMBER() OVER (PARTITION BY ${spec.primaryKey.map(q).join(", ")} ORDER BY ${order}) AS loader_rank ` +
    `FROM ${spec.staging} WHERE ${spec.batches(q(meta.batchId))}) AS loader_ranked WHERE loader_rank = 1`;
  const deleted = `s.${q(meta.deletedAt)}`;
  const keys = new Set(spec.primaryKey);
  const sets = spec.columns
    .filter((name) => !keys.has(name))
    .map((name) => `${q(name)} = CASE WHEN ${deleted} IS NULL THEN s.${q(name)} ELSE COALESCE(s.${q(name)}, t.${q(name)}) END`);
  for (const name of metaNames) sets.push(`${q(name)} = s.${q(name)}`);
  let matched = "WHEN MATCHED";
  if (spec.cursor) {
    const cursor = q(spec.cursor.name);
    matched +=
      ` AND (t.${cursor} IS NULL OR ${dialect.cursorNotOlder(`s.${cursor}`, `t.${cursor}`, spec.cursor.type)}` +
      ` OR (s.${cursor} IS NULL AND ${deleted} IS NOT NULL))`;
  }
  const on = spec.primaryKey.map((name) => `t.${q(name)} = s.${q(name)}`).join(" AND ");
  return [
    `MERGE INTO ${spec.target} AS t USING (${newest}) AS s ON ${on} ` +
      `${matched} THEN UPDATE SET ${sets.join(", ")} ` +
      `WHEN NOT MATCHED THEN INSERT (${list}) VALUES (${all.map((name) => `s.${q(name)}`).join(", ")})`,
  ];
}
