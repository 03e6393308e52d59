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
    const plan = planLoad(target, [], existing);
    const statements = this.schemaChanges(table, plan, existing);
    if (statements.length > 0) await this.execute(table, statements);
    this.shapes.set(table, plan.shape);
  }

  /** Writes straight into the write table: one atomic, idempotent upsert per group is the commit (commitScope "batch"). */
  async stage(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }> {
    if (batch.records.length === 0) return { rows_staged: 0 };
    const table = this.writeTable(target);
    const existing = await this.shape(table);
    const plan = planLoad(target, batch.records, existing);
    const statements = this.schemaChanges(table, plan, existing);
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
    const inserts = results.slice(results.length - pages.length);
    return { rows_staged: inserts.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0) };
  }

  /** Every group was committed by its own stage. */
  async commit(_target: StreamTarget, _chunk: ChunkCommit): Promise<void> {}

  async finalizeStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    const table = d1TableName(target.schema, target.stream);
    const staging = this.writeTable(target);
    if (!(await this.shape(staging, true))) return;
    const stagingKey = indexName(staging, "pk", MAX_D1_NAME);
    const { results: key } = await this.statement("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", stagingKey).all<{ name: string }>();
    const statements = [
      this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`),
      this.statement(`ALTER TABLE ${quoteIdentifier(staging)} RENAME TO ${quoteIdentifier(table)}`),
      // SQLite keeps index names across a rename; rebuild them under the target's names.
      this.statement(`DROP INDEX IF EXISTS ${quoteIdentifier(stagingKey)}`),
      this.statement(`DROP INDEX IF EXISTS ${quoteIdentifier(indexName(staging, "batch", MAX_D1_NAME))}`),
      ...this.indexes(table, target.primary_key.length === 0 ? null : key.map((column) => column.name)),
    ];
    try {
      await this.execute(table, statements);
    } catch (error) {
      // A concurrent finalize may have swapped it in first; the batch rolled back, and the result is the same.
      if (await this.shape(staging, true)) throw error;
    }
    this.shapes.delete(staging);
    this.shapes.delete(table);
  }

  async abortStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    const staging = this.writeTable(target);
    await this.execute(staging, [this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(staging)}`)]);
    this.shapes.delete(staging);
  }

  async close(): Promise<void> {}

  /** full_refresh writes to the run's staging table; incremental writes merge into the target. */
  private writeTable(target: StreamTarget): string {
    const table = d1TableName(target.schema, target.stream);
    return target.sync_mode === "full_refresh" ? stagingTableName(table, target.run_id, MAX_D1_NAME) : table;
  }

  private async shape(table: string, fresh = false): Promise<TableShape | null> {
    if (!fresh && this.shapes.has(table)) return this.shapes.get(table) ?? null;
    const { results } = await this.statement("SELECT name, type FROM pragma_table_info(?1)", table).all<{ name: string; type: string }>();
    const shape = results.length ? results.map((column) => ({ name: column.name, type: d1ColumnType(column.type) })) : null;
    this.shapes.set(table, shape);
    return shape;
  }

  /** DDL bringing the table to `plan.shape`, ending with the index the write needs. */
  private schemaChanges(table: string, plan: LoadPlan, existing: TableShape | null): D1PreparedStatement[] {
    const statements: D1PreparedStatement[] = [];
    const quoted = quoteIdentifier(table);
    if (plan.create) {
      statements.push(this.statement(`CREATE TABLE IF NOT EXISTS ${quoted} (${definitions(plan.shape)})`));
    } else if (plan.widen.length > 0) {
      statements.push(...this.rebuild(table, plan, existing ?? []));
    } else {
      for (const column of plan.add) {
        statements.push(this.statement(`ALTER TABLE ${quoted} ADD COLUMN ${definitions([column])}`));
      }
    }
    const key = plan.primaryKey.length === 0 ? null : plan.primaryKeyReady ? plan.primaryKey : [];
    statements.push(...this.indexes(table, key));
    return statements;
  }

  /** `key` null: no primary key (index the batch id for the idempotent delete); empty: key columns not there yet. */
  private indexes(table: string, key: string[] | null): D1PreparedStatement[] {
    if (key === null) {
      const name = quoteIdentifier(indexName(table, "batch", MAX_D1_NAME));
      return [this.statement(`CREATE INDEX IF NOT EXISTS ${name} ON ${quoteIdentifier(table)} (${quoteIdentifier(META.batchId)})`)];
    }
    if (key.length === 0) return [];
    const name = quoteIdentifier(indexName(table, "pk", MAX_D1_NAME));
    return [this.statement(`CREATE UNIQUE INDEX IF NOT EXISTS ${name} ON ${quoteIdentifier(table)} (${columnList(key)})`)];
  }

  /**
   * SQLite cannot change a column's declared type, and its affinity would rewrite values on the way in (an
   * INTEGER column turns the text "007" into 7), so a widening copies the table into one with the new types and
   * swaps it in — inside the page's batch, so readers see the old table or the new one, never neither.
   */
  private rebuild(table: string, plan: LoadPlan, existing: TableShape): D1PreparedStatement[] {
    const next = assertIdentifier(`${table}__rebuild`, MAX_D1_NAME);
    const before = new Map(existing.map((column) => [column.name, column.type]));
    const kept = plan.shape.filter((column) => before.has(column.name));
    const copy = kept.map((column) => convert(quoteIdentifier(column.name), before.get(column.name) as ColumnType, column.type));
    return [
      this.statement(`DROP TABLE IF EXISTS ${quoteIdentifier(next)}`),
      this.statement(`CREATE TABLE ${quoteIdentifier(next)} (${definitions(plan.shape)})`),
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
      return await this.db.batch(statements);
    } catch (error) {
      this.shapes.delete(table);
      throw classifyD1Error(error);
    }
  }
}

function definitions(columns: ColumnSpec[]): string {
  return columns.map((column) => `${quoteIdentifier(column.name)} ${D1_TYPES[column.type]}`).join(", ");
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
