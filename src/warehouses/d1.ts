/**
 * The embedded default warehouse: the Worker's own WAREHOUSE D1 database (DESIGN §4, research/warehouses.md §7).
 * D1 has no schemas (a stream lands in `<schema>__<table>`), no interactive transactions (every multi-statement
 * change is one atomic `batch()`), at most 100 bound parameters and 100 KB per statement, and no ALTER COLUMN
 * (widening rebuilds the table inside the same batch). A page is bound as ONE JSON parameter and unpacked by
 * `json_each`, so the parameter count never depends on rows × columns.
 */
import { type ChunkCommit, type CommitScope, type ConnectionTestStep, type StreamTarget, type WarehouseAdapter, type WriteBatch, batchIdRange } from "./contract";
import { runConnectionChecks } from "./connection-test";
import { WarehouseError, errorMessage } from "./errors";
import { type LoadPlan, type TableShape, planLoad, rowsAsJson } from "./load-plan";
import { META, assertIdentifier, indexName, quoteIdentifier, schemaName, stagingTableName, tableName } from "./naming";
import { type LoadDialect, type StatementObserver, columnList, insertStatement } from "./sql";
import { type ColumnSpec, type ColumnType, D1_TYPES, d1ColumnType } from "./types";
import { log } from "../lib/log";

/** SQLite has no identifier length limit; D1 table names are `<schema ≤63>__<table ≤63>[__stage_<hash>]`. */
const MAX_D1_NAME = 255;
/** D1 caps a string value at 2 MB (https://developers.cloudflare.com/d1/platform/limits/); a page is split well below. */
const MAX_PAGE_JSON_BYTES = 1_000_000;
/** D1 rejects statements over 100 KB (SQLITE_TOOBIG). */
const MAX_STATEMENT_BYTES = 100_000;

export interface D1WarehouseOptions {
  /** Sees every statement with its bound values (tests, debugging). */
  onStatement?: StatementObserver;
}

export function d1TableName(targetSchema: string, stream: string): string {
  const name = `${schemaName(targetSchema)}__${tableName(stream)}`;
  // SQLite reserves `sqlite_` names and D1 its `_cf_` tables.
  if (/^(sqlite_|_cf_)/.test(name)) {
    throw new WarehouseError("configuration", `Target schema "${targetSchema}" maps to a name D1 reserves`);
  }
  return assertIdentifier(name, MAX_D1_NAME);
}

const dialect: LoadDialect = {
  cell: (index) => `json_extract(value, '$[${index}]')`,
  param: (position) => `?${position}`,
  rows: "json_each(?1) WHERE true",
  cursorNotOlder: (newer, older, type) =>
    type === "timestamp"
      ? // ISO strings with different offsets or precision do not compare as text; as Julian days they do.
        `COALESCE(julianday(${newer}) >= julianday(${older}), ${newer} >= ${older})`
      : type === "big_integer"
        ? // Digits without leading zeros order by length, then as text — exactly; a negative one by its REAL value.
          `CASE WHEN ${newer} GLOB '-*' OR ${older} GLOB '-*' THEN CAST(${newer} AS REAL) >= CAST(${older} AS REAL) ` +
          `ELSE length(${newer}) > length(${older}) OR (length(${newer}) = length(${older}) AND ${newer} >= ${older}) END`
        : type === "decimal"
          ? // Decimal text compares as numbers; the REAL comparison is exact up to 15 significant digits.
            `CAST(${newer} AS REAL) >= CAST(${older} AS REAL)`
          : `${newer} >= ${older}`,
};

export class D1Warehouse implements WarehouseAdapter {
  /** Each stage is one atomic upsert into the write table: the commit point is every group. A getter, so tests can stage aside. */
  get commitScope(): CommitScope {
    return "batch";
  }
  private readonly shapes = new Map<string, TableShape | null>();
  /** D1 bills rows written (each index entry is one): summed from every batch's meta and logged at close. */
  private readonly written = { rows_written: 0, records: 0, run_id: "", stream: "" };
  /** What each table's merge can rely on: its PRIMARY KEY columns and its own indexes (read with its shape). */
  private readonly keys = new Map<string, TableKeys>();

  constructor(
    private readonly db: D1Database,
    private readonly options: D1WarehouseOptions = {},
  ) {}

  testConnection(): AsyncIterable<ConnectionTestStep> {
    return runConnectionChecks([
      { step: "network", run: async () => "The d1 warehouse is this Worker's own WAREHOUSE binding: no network hop" },
      { step: "authentication", run: async () => "The binding needs no credentials" },
      { step: "authorization", run: async () => "The Worker owns the database and may create and write tables" },
      {
        step: "query",
        run: async () => {
          const row = await this.statement("SELECT 1 AS ok").first<{ ok: number }>();
          if (row?.ok !== 1) throw new Error("SELECT 1 returned no row");
          return "SELECT 1 succeeded";
        },
      },
    ]);
  }

  async prepareStream(target: StreamTarget): Promise<void> {
    const table = this.writeTable(target);
    const existing = await this.shape(table);
    const plan = planLoad(target, [], existing, { live: await this.liveShape(target) });
    const { statements, keys } = this.schemaChanges(table, plan, existing);
    if (statements.length > 0) await this.execute(table, statements);
    this.shapes.set(table, plan.shape);
    this.keys.set(table, keys);
  }

  /** Writes straight into the write table: one atomic, idempotent upsert per group is the commit (commitScope "batch"). */
  async stage(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }> {
    if (batch.records.length === 0) return { rows_staged: 0 };
    const table = this.writeTable(target);
    const existing = await this.shape(table);
    const plan = planLoad(target, batch.records, existing, { live: await this.liveShape(target) });
    const { statements, keys } = this.schemaChanges(table, plan, existing);
    if (plan.primaryKey.length === 0) {
      const batchId = quoteIdentifier(META.batchId);
      if (batch.replaces_from === undefined) {
        statements.push(this.statement(`DELETE FROM ${quoteIdentifier(table)} WHERE ${batchId} = ?1`, batch.batch_id));
      } else {
        // An earlier attempt's groups from this page on, however they were cut (contract.ts, replaces_from).
        const { low, high } = batchIdRange(target.run_id, target.stream);
        statements.push(
          this.statement(
            `DELETE FROM ${quoteIdentifier(table)} WHERE ${batchId} = ?1 OR ` +
              `(${batchId} >= ?2 AND ${batchId} < ?3 AND substr(${batchId}, length(?2) + 1) NOT GLOB '*[^0-9]*' ` +
              `AND CAST(substr(${batchId}, length(?2) + 1) AS INTEGER) >= ?4)`,
            batch.batch_id,
            low,
            high,
            batch.replaces_from,
          ),
        );
      }
    }
    const sql = insertStatement(quoteIdentifier(table), plan, dialect);
    if (utf8Length(sql) > MAX_STATEMENT_BYTES) {
      throw new WarehouseError("data", `Stream "${target.stream}" has too many columns for one D1 statement`);
    }
    const pages = splitPage(rowsAsJson(plan, false));
    for (const page of pages) statements.push(this.statement(sql, page, target.run_id, batch.synced_at, batch.batch_id));
    const results = await this.execute(table, statements);
    this.shapes.set(table, plan.shape);
    this.keys.set(table, keys);
    const inserts = results.slice(results.length - pages.length);
    Object.assign(this.written, { records: this.written.records + batch.records.length, run_id: target.run_id, stream: target.stream });
    return { rows_staged: inserts.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0) };
  }

  /** Every group was committed by its own stage. */
  async commit(_target: StreamTarget, _chunk: ChunkCommit): Promise<void> {}

  async finalizeStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    Object.assign(this.written, { run_id: target.run_id, stream: target.stream });
    const table = d1TableName(target.schema, target.stream);
    const staging = this.writeTable(target);
    if (!(await this.shape(staging, true))) return;
    // The rename is the whole swap. SQLite keeps an index's name across it; rebuilding the indexes under the
    // target's names would write every row of the table once more (D1 bills each index entry as a row written),
    // so they keep the staging names, and the merge finds them by what they cover (TableKeys), not by name.
    const statements = [
      this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`),
      this.statement(`ALTER TABLE ${quoteIdentifier(staging)} RENAME TO ${quoteIdentifier(table)}`),
    ];
    try {
      await this.execute(table, statements);
    } catch (error) {
      // A concurrent finalize may have swapped it in first; the batch rolled back, and the result is the same.
      if (await this.shape(staging, true)) throw error;
    }
    this.forget(staging);
    this.forget(table);
  }

  async abortStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    const staging = this.writeTable(target);
    await this.execute(staging, [this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(staging)}`)]);
    this.forget(staging);
  }

  async close(): Promise<void> {
    if (this.written.rows_written === 0) return;
    log("info", "d1 warehouse writes", { ...this.written });
    Object.assign(this.written, { rows_written: 0, records: 0 });
  }

  /** full_refresh writes to the run's staging table; incremental writes merge into the target. */
  private writeTable(target: StreamTarget): string {
    const table = d1TableName(target.schema, target.stream);
    return target.sync_mode === "full_refresh" ? stagingTableName(table, target.run_id, MAX_D1_NAME) : table;
  }

  /** A full_refresh's schema changes are judged against the table its run will replace (schema-changes.ts). */
  private async liveShape(target: StreamTarget): Promise<TableShape | null | undefined> {
    if (target.sync_mode !== "full_refresh" || !target.schema_watch) return undefined;
    return this.shape(d1TableName(target.schema, target.stream));
  }

  private async shape(table: string, fresh = false): Promise<TableShape | null> {
    if (!fresh && this.shapes.has(table)) return this.shapes.get(table) ?? null;
    const [columns, indexes] = await Promise.all([
      this.statement("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid", table).all(),
      this.statement(
        `SELECT list.name AS name, list."unique" AS is_unique, info.name AS column FROM pragma_index_list(?1) AS list, ` +
          `pragma_index_info(list.name) AS info WHERE list.origin = 'c' ORDER BY list.name, info.seqno`,
        table,
      ).all(),
    ]);
    const results = (columns.results ?? []) as { name: string; type: string; pk: number }[];
    const shape = results.length ? results.map((column) => ({ name: column.name, type: d1ColumnType(column.type) })) : null;
    this.shapes.set(table, shape);
    const primaryKey = results.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk).map((column) => column.name);
    const byIndex = new Map<string, { unique: boolean; columns: string[] }>();
    for (const row of (indexes.results ?? []) as { name: string; is_unique: number; column: string }[]) {
      const index = byIndex.get(row.name) ?? { unique: row.is_unique === 1, columns: [] };
      index.columns.push(row.column);
      byIndex.set(row.name, index);
    }
    this.keys.set(table, { primaryKey, indexes: [...byIndex.values()] });
    return shape;
  }

  private forget(table: string): void {
    this.shapes.delete(table);
    this.keys.delete(table);
  }

  /**
   * DDL bringing the table to `plan.shape`, ending with the index the write needs. A keyed table is created
   * WITHOUT ROWID with the stream's key as its PRIMARY KEY: the rows live in the key's own b-tree, so an upsert
   * writes one D1 row per record, where a rowid table plus a unique index writes two (D1 counts every index entry
   * written: https://developers.cloudflare.com/d1/best-practices/use-indexes/). Tables from before keep their
   * unique index, which the merge uses the same way.
   */
  private schemaChanges(table: string, plan: LoadPlan, existing: TableShape | null): { statements: D1PreparedStatement[]; keys: TableKeys } {
    const statements: D1PreparedStatement[] = [];
    const quoted = quoteIdentifier(table);
    let keys = this.keys.get(table) ?? { primaryKey: [], indexes: [] };
    const keyReady = plan.primaryKey.length > 0 && plan.primaryKeyReady;
    // A table made before its key columns were known (prepareStream without a schema) holds no row yet: every
    // keyed row carries its key. Rebuilding it with the key costs nothing and makes it a keyed table.
    const keyArrives =
      keyReady && !plan.create && keys.primaryKey.length === 0 && keys.indexes.length === 0 &&
      plan.primaryKey.every((name) => plan.add.some((column) => column.name === name));
    if (plan.create) {
      const primaryKey = keyReady ? plan.primaryKey : [];
      statements.push(this.statement(`CREATE TABLE IF NOT EXISTS ${quoted} ${tableBody(plan.shape, primaryKey)}`));
      keys = { primaryKey, indexes: [] };
    } else if (plan.widen.length > 0 || keyArrives) {
      // A rebuild copies every row anyway: a table whose unique index guarantees one row per key moves onto it.
      const onKey = keyReady && (keyArrives || this.covers(keys, plan.primaryKey, true));
      const primaryKey = onKey ? plan.primaryKey : keys.primaryKey;
      statements.push(...this.rebuild(table, plan, existing ?? [], primaryKey));
      keys = { primaryKey, indexes: [] };
    } else {
      for (const column of plan.add) {
        statements.push(this.statement(`ALTER TABLE ${quoted} ADD COLUMN ${definitions([column])}`));
      }
    }
    const key = plan.primaryKey.length === 0 ? null : keyReady ? plan.primaryKey : [];
    const index = this.index(table, key, keys);
    if (index) {
      statements.push(index.statement);
      keys = { primaryKey: keys.primaryKey, indexes: [...keys.indexes, index.covers] };
    }
    return { statements, keys };
  }

  /** Whether the table's key or one of its indexes (under whatever name a swap left it) covers `columns`. */
  private covers(keys: TableKeys, columns: string[], unique: boolean): boolean {
    if (sameColumns(keys.primaryKey, columns)) return true;
    return keys.indexes.some((index) => (index.unique || !unique) && sameColumns(index.columns, columns));
  }

  /**
   * The index the write needs, unless the table has it. `key` null: no primary key (the batch id, for the
   * idempotent delete); empty: key columns not there yet.
   */
  private index(table: string, key: string[] | null, keys: TableKeys) {
    const quoted = quoteIdentifier(table);
    if (key === null) {
      if (this.covers(keys, [META.batchId], false)) return null;
      const name = quoteIdentifier(indexName(table, "batch", MAX_D1_NAME));
      return {
        statement: this.statement(`CREATE INDEX IF NOT EXISTS ${name} ON ${quoted} (${quoteIdentifier(META.batchId)})`),
        covers: { unique: false, columns: [META.batchId] },
      };
    }
    if (key.length === 0 || this.covers(keys, key, true)) return null;
    const name = quoteIdentifier(indexName(table, "pk", MAX_D1_NAME));
    return {
      statement: this.statement(`CREATE UNIQUE INDEX IF NOT EXISTS ${name} ON ${quoted} (${columnList(key)})`),
      covers: { unique: true, columns: key },
    };
  }

  /**
   * SQLite cannot change a column's declared type, and its affinity would rewrite values on the way in (an
   * INTEGER column turns the text "007" into 7), so a widening copies the table into one with the new types and
   * swaps it in — inside the page's batch, so readers see the old table or the new one, never neither.
   */
  private rebuild(table: string, plan: LoadPlan, existing: TableShape, primaryKey: string[]): D1PreparedStatement[] {
    const next = assertIdentifier(`${table}__rebuild`, MAX_D1_NAME);
    const before = new Map(existing.map((column) => [column.name, column.type]));
    const kept = plan.shape.filter((column) => before.has(column.name));
    const copy = kept.map((column) => convert(quoteIdentifier(column.name), before.get(column.name) as ColumnType, column.type));
    return [
      this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(next)}`),
      this.statement(`CREATE TABLE ${quoteIdentifier(next)} ${tableBody(plan.shape, primaryKey)}`),
      this.statement(
        `INSERT INTO ${quoteIdentifier(next)} (${columnList(kept.map((column) => column.name))}) SELECT ${copy.join(", ")} FROM ${quoteIdentifier(table)}`,
      ),
      this.statement(`DROP TABLE ${quoteIdentifier(table)}`),
      this.statement(`ALTER TABLE ${quoteIdentifier(next)} RENAME TO ${quoteIdentifier(table)}`),
    ];
  }

  private statement(sql: string, ...params: unknown[]): D1PreparedStatement {
    this.options.onStatement?.(sql, params);
    const prepared = this.db.prepare(sql);
    return params.length ? prepared.bind(...params) : prepared;
  }

  private async execute(table: string, statements: D1PreparedStatement[]): Promise<D1Result[]> {
    try {
      const results = await this.db.batch(statements);
      for (const result of results) this.written.rows_written += result.meta.rows_written ?? 0;
      return results;
    } catch (error) {
      this.forget(table);
      throw classifyD1Error(error);
    }
  }
}

interface TableKeys {
  /** The table's PRIMARY KEY columns, in key order (empty for a rowid table without one). */
  primaryKey: string[];
  /** The indexes made by CREATE INDEX (not SQLite's own), with their columns in order. */
  indexes: { unique: boolean; columns: string[] }[];
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((name, i) => name === b[i]);
}

function definitions(columns: ColumnSpec[]): string {
  return columns.map((column) => `${quoteIdentifier(column.name)} ${D1_TYPES[column.type]}`).join(", ");
}

/** What follows CREATE TABLE <name>: with a key, a WITHOUT ROWID table on it (see schemaChanges). */
function tableBody(columns: ColumnSpec[], primaryKey: string[]): string {
  if (primaryKey.length === 0) return `(${definitions(columns)})`;
  return `(${definitions(columns)}, PRIMARY KEY (${columnList(primaryKey)})) WITHOUT ROWID`;
}

/** The value a widened column holds for an old one; it matches what a new page would write for the same value. */
function convert(column: string, from: ColumnType, to: ColumnType): string {
  if (from === to || to === "number") return column;
  if (from === "boolean") return `CASE ${column} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END`;
  if (from === "number") {
    // A whole REAL prints as "1.0" in SQLite; JavaScript (and so a new page) writes "1".
    return `CASE WHEN ${column} = CAST(${column} AS INTEGER) THEN CAST(CAST(${column} AS INTEGER) AS TEXT) ELSE CAST(${column} AS TEXT) END`;
  }
  if (to === "json" && from !== "integer") return `CASE WHEN ${column} IS NULL THEN NULL ELSE json_quote(${column}) END`;
  return `CAST(${column} AS TEXT)`;
}

/** Pages whose JSON would exceed D1's value limit are split into several statements of the same batch. */
function splitPage(rows: string[]): string[] {
  const pages: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const row of rows) {
    const bytes = utf8Length(row) + 1;
    if (current.length > 0 && size + bytes > MAX_PAGE_JSON_BYTES) {
      pages.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) pages.push(`[${current.join(",")}]`);
  return pages;
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** D1's own transient failures (https://developers.cloudflare.com/d1/best-practices/retry-queries/). */
const TRANSIENT = /Network connection lost|storage caused object to be reset|reset because its code was updated|overloaded|internal error|timed out/i;

/**
 * Failures only the user can end: the database is full (SQLite's SQLITE_FULL text, and D1's size limit message), or
 * the database refuses the write (SQLITE_AUTH for names D1 reserves, SQLITE_READONLY). Retrying them changes nothing.
 */
const CONFIGURATION = /database or disk is full|SQLITE_FULL|maximum (database|DB) size|not authorized|SQLITE_AUTH|readonly database|SQLITE_READONLY/i;

/** D1 failures by their message (D1 gives no code): transient → retryable, the user's to fix → configuration, else data. */
export function classifyD1Error(error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const message = errorMessage(error);
  const kind = TRANSIENT.test(message) ? "retryable" : CONFIGURATION.test(message) ? "configuration" : "data";
  return new WarehouseError(kind, `D1: ${message}`);
}
