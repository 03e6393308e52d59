/**
 * What Snowflake, BigQuery and Databricks share (DESIGN §4.1): the table plan of load-plan.ts applied as DDL, each
 * write group staged as JSON records into a per-run load table under a stage key (the batch id and a hash of its
 * rows, so a redelivered identical group re-submits the same work and a changed one replaces it), and one MERGE per
 * chunk from those records (sql.ts mergeStatements) — the rows typed by the warehouse's own JSON extraction. Each
 * adapter gives its transport and dialect through `StagedDialect`; this class keeps the order of operations.
 *
 * Staging is schema-free on purpose: the load table holds (stage key, batch id, batch order, row, run id, synced_at,
 * record), so a new field or a widened type never touches it, and a chunk whose groups carry different columns still
 * merges once.
 */
import { type ChunkCommit, type ConnectionTestStep, type StreamTarget, type WarehouseAdapter, type WriteBatch, batchIdRange } from "../contract";
import { type LoadPlan, type PlanOptions, type TableShape, planLoad } from "../load-plan";
import { META, fitIdentifier, schemaName, stableHash, tableName } from "../naming";
import { type MergeDialect, mergeStatements } from "../sql";
import type { ColumnChange } from "../load-plan";
import type { ColumnSpec, ColumnType } from "../types";

/** A table as the adapter names it: schema and table in the warehouse's own case. */
export interface StagedTable {
  schema: string;
  name: string;
}

/** A value bound to a statement marker `{{name}}`; each dialect turns markers into its own placeholders. */
export type BoundValue =
  | { type: "string"; value: string | null }
  | { type: "integer"; value: number }
  | { type: "timestamp"; value: string }
  | { type: "strings"; value: string[] };

export type Bindings = Record<string, BoundValue>;

/** The load table's columns, in the canonical (lower-case) spelling; dialects apply their case rule. */
export const LOAD_COLUMNS = {
  stageKey: "_loader_stage_key",
  batchId: META.batchId,
  batchOrder: "_loader_batch_ord",
  row: "_loader_row",
  runId: META.runId,
  syncedAt: META.syncedAt,
  record: "_loader_record",
} as const;

/** One part of a staged group: its rows as JSON object texts, numbered from `firstRow`. */
export interface StagePart {
  stageKey: string;
  batchId: string;
  batchOrder: number;
  firstRow: number;
  part: number;
  runId: string;
  syncedAt: string;
  rows: string[];
}

export interface StagedDialect {
  /** "Snowflake", "BigQuery", "Databricks": message prefix. */
  readonly warehouse: string;
  readonly maxIdentifierLength: number;
  /** Largest JSON payload per staging statement or job (Snowflake ~1 MB per statement with its bindings). */
  readonly maxStagePayloadBytes: number;
  readonly merge: MergeDialect;
  /** The warehouse's spelling of a canonical (lower snake_case) name: upper case on Snowflake. */
  name(canonical: string): string;
  /** Qualified, quoted table. */
  qualified(table: StagedTable): string;
  columnType(type: ColumnType): string;
  /** Two column types stored alike (Snowflake NUMBER(38,0) for integer and big_integer): no DDL between them. */
  sameStorage(a: ColumnType, b: ColumnType): boolean;
  /** The page sequence a batch id ends in (`run:stream:<seq>`), as a number, in the warehouse's SQL. */
  batchSequence(batchIdColumn: string): string;
  /** The expression reading one canonical field of the staged record `r.<record>` as the column's type. */
  extract(record: string, column: ColumnSpec): string;
  testConnection(): AsyncIterable<ConnectionTestStep>;
  /** Columns of a table in canonical names, or null when it does not exist. */
  readShape(table: StagedTable): Promise<TableShape | null>;
  ensureSchema(schema: string): Promise<void>;
  createTable(table: StagedTable, shape: TableShape): Promise<void>;
  /** `shape` is the whole table once the columns are added (BigQuery patches send the full schema). */
  addColumns(table: StagedTable, columns: ColumnSpec[], shape: TableShape): Promise<void>;
  /** Rebuilds the table with the widened types; `shape` is the table after the change. */
  widenColumns(table: StagedTable, changes: ColumnChange[], shape: TableShape): Promise<void>;
  ensureLoadTable(table: StagedTable): Promise<void>;
  stage(load: StagedTable, part: StagePart): Promise<void>;
  /** Runs a statement with `{{marker}}` bindings under an id derived from `idKey` (the warehouse's idempotency key). */
  execute(sql: string, bindings: Bindings, idKey: string): Promise<void>;
  /** Puts the full_refresh table in place of the target atomically, then drops what is left aside. */
  swap(target: StagedTable, aside: StagedTable, shapeOfAside: TableShape, runKey: string): Promise<void>;
  dropTable(table: StagedTable): Promise<void>;
  close(): Promise<void>;
}

/** SHA-256 as hex, for ids derived from content. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A UUID whose 122 free bits come from SHA-256 of `key`: the same key always gives the same UUID (version 8). */
export async function uuidFrom(key: string): Promise<string> {
  const hex = await sha256Hex(key);
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The page sequence a batch id ends in (batchIdFor); staging order otherwise. */
function batchOrderOf(batchId: string, fallback: number): number {
  const m = /:(\d+)$/.exec(batchId);
  return m ? Number(m[1]) : fallback;
}

export class StagedWarehouse implements WarehouseAdapter {
  readonly commitScope = "chunk" as const;
  private readonly shapes = new Map<string, TableShape | null>();
  /** Per write table: the data columns the chunk's groups carried (canonical names), and each batch's stage keys. */
  private readonly chunkColumns = new Map<string, Map<string, ColumnType>>();
  private readonly stageKeys = new Map<string, string>();
  private readonly loadTables = new Set<string>();
  private staged = 0;

  constructor(private readonly dialect: StagedDialect) {}

  testConnection(): AsyncIterable<ConnectionTestStep> {
    return this.dialect.testConnection();
  }

  async prepareStream(target: StreamTarget): Promise<void> {
    const table = this.writeTable(target);
    const plan = planLoad(target, [], await this.shape(table), await this.planOptions(target));
    await this.applySchemaChanges(table, plan);
  }

  async stage(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }> {
    if (batch.records.length === 0) return { rows_staged: 0 };
    const table = this.writeTable(target);
    const plan = planLoad(target, batch.records, await this.shape(table), await this.planOptions(target));
    await this.applySchemaChanges(table, plan);
    const key = this.key(table);
    const carried = this.chunkColumns.get(key) ?? new Map<string, ColumnType>();
    for (const column of plan.columns) carried.set(column.name, column.type);
    this.chunkColumns.set(key, carried);

    const rows = recordTexts(plan);
    const stageKey = `${batch.batch_id}#${(await sha256Hex(`${batch.synced_at}\n${rows.join("\n")}`)).slice(0, 16)}`;
    const load = this.loadTable(target);
    if (!this.loadTables.has(this.key(load))) {
      await this.dialect.ensureLoadTable(load);
      this.loadTables.add(this.key(load));
    }
    const order = batchOrderOf(batch.batch_id, this.staged++);
    let part = 0;
    for (const slice of slices(rows, this.dialect.maxStagePayloadBytes)) {
      await this.dialect.stage(load, {
        stageKey,
        batchId: batch.batch_id,
        batchOrder: order,
        firstRow: slice.first,
        part: part++,
        runId: target.run_id,
        syncedAt: batch.synced_at,
        rows: slice.rows,
      });
    }
    // A batch staged twice in one attempt (the same group re-read) is merged from its last staging only.
    this.stageKeys.set(batch.batch_id, stageKey);
    return { rows_staged: plan.rows.length };
  }

  async commit(target: StreamTarget, chunk: ChunkCommit): Promise<void> {
    const keys = chunk.batch_ids.flatMap((id) => this.stageKeys.get(id) ?? []);
    if (keys.length === 0) return;
    const table = this.writeTable(target);
    const shape = (await this.shape(table)) ?? [];
    const types = new Map(shape.map((c) => [c.name, c.type]));
    const carried = this.chunkColumns.get(this.key(table)) ?? new Map<string, ColumnType>();
    // Types as the table has them now (a later group of the chunk may have widened a column an earlier one carried).
    const columns: ColumnSpec[] = [...carried.keys()].map((name) => ({ name, type: types.get(name) ?? (carried.get(name) as ColumnType) }));
    // Only for the cursor column: the chunk's stages already held and reported its schema changes.
    const plan = planLoad({ ...target, schema_watch: undefined }, [], shape, { maxLength: this.dialect.maxIdentifierLength });
    const d = this.dialect;
    const r = "loader_stage_row";
    const record = `${r}.${d.merge.quote(d.name(LOAD_COLUMNS.record))}`;
    const col = (name: string) => `${r}.${d.merge.quote(d.name(name))}`;
    const select = [
      ...columns.map((c) => `${d.extract(record, c)} AS ${d.merge.quote(d.name(c.name))}`),
      `${col(LOAD_COLUMNS.runId)} AS ${d.merge.quote(d.name(META.runId))}`,
      `${col(LOAD_COLUMNS.syncedAt)} AS ${d.merge.quote(d.name(META.syncedAt))}`,
      `${col(LOAD_COLUMNS.batchId)} AS ${d.merge.quote(d.name(META.batchId))}`,
      `${d.extract(record, { name: META.deletedAt, type: "timestamp" })} AS ${d.merge.quote(d.name(META.deletedAt))}`,
      `${col(LOAD_COLUMNS.batchOrder)} AS ${d.merge.quote(d.name(LOAD_COLUMNS.batchOrder))}`,
      `${col(LOAD_COLUMNS.row)} AS ${d.merge.quote(d.name(LOAD_COLUMNS.row))}`,
    ];
    const staging =
      `(SELECT ${select.join(", ")} FROM ${d.qualified(this.loadTable(target))} AS ${r} ` +
      `WHERE ${col(LOAD_COLUMNS.stageKey)} IN ({{stage_keys}})) AS loader_stage`;
    const cursor = plan.cursor && carried.has(plan.cursor.name) ? { name: d.name(plan.cursor.name), type: types.get(plan.cursor.name) ?? plan.cursor.type } : null;
    const statements = mergeStatements(
      {
        target: d.qualified(table),
        staging,
        columns: columns.map((c) => d.name(c.name)),
        primaryKey: plan.primaryKey.map((name) => d.name(name)),
        cursor,
        batches: (column) => `${column} IN ({{batch_ids}})`,
        // Keyless: what an earlier attempt of this chunk committed from its start page on, however it cut its groups.
        ...(chunk.replaces_from === undefined
          ? {}
          : { replaceFrom: (column: string) => `${column} >= {{range_low}} AND ${column} < {{range_high}} AND ${d.batchSequence(column)} >= {{replaces_from}}` }),
        batchOrder: () => d.merge.quote(d.name(LOAD_COLUMNS.batchOrder)),
        rowOrder: d.name(LOAD_COLUMNS.row),
        meta: { runId: d.name(META.runId), syncedAt: d.name(META.syncedAt), batchId: d.name(META.batchId), deletedAt: d.name(META.deletedAt) },
      },
      d.merge,
    );
    const range = batchIdRange(target.run_id, target.stream);
    const bindings: Bindings = {
      stage_keys: { type: "strings", value: keys },
      batch_ids: { type: "strings", value: chunk.batch_ids },
      range_low: { type: "string", value: range.low },
      range_high: { type: "string", value: range.high },
      replaces_from: { type: "integer", value: chunk.replaces_from ?? 0 },
    };
    const idBase = `${this.key(table)}|${chunk.chunk_id}|${chunk.replaces_from ?? ""}|${keys.join(",")}`;
    for (const [index, sql] of statements.entries()) await d.execute(sql, bindings, `merge|${idBase}|${index}`);
  }

  async finalizeStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode === "full_refresh") {
      const aside = this.writeTable(target);
      const shape = await this.shape(aside, true);
      // No table aside: an earlier delivery already swapped it in (and dropped it).
      if (shape) await this.dialect.swap(this.targetTable(target), aside, shape, `${target.run_id}|${target.stream}`);
      this.forget(aside);
      this.forget(this.targetTable(target));
    }
    await this.dialect.dropTable(this.loadTable(target));
  }

  async abortStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode === "full_refresh") {
      await this.dialect.dropTable(this.writeTable(target));
      this.forget(this.writeTable(target));
    }
    await this.dialect.dropTable(this.loadTable(target));
  }

  close(): Promise<void> {
    return this.dialect.close();
  }

  /** A full_refresh's schema changes are judged against the table its run will replace (schema-changes.ts). */
  private async planOptions(target: StreamTarget): Promise<PlanOptions> {
    const options: PlanOptions = { maxLength: this.dialect.maxIdentifierLength, sameStorage: (a, b) => this.dialect.sameStorage(a, b) };
    if (target.sync_mode === "full_refresh" && target.schema_watch) options.live = await this.shape(this.targetTable(target));
    return options;
  }

  private targetTable(target: StreamTarget): StagedTable {
    const max = this.dialect.maxIdentifierLength;
    return { schema: this.dialect.name(schemaName(target.schema, max)), name: this.dialect.name(tableName(target.stream, max)) };
  }

  /** Where merges go: the target, or for full_refresh the run's table built aside (`<table>__stage_<run hash>`). */
  private writeTable(target: StreamTarget): StagedTable {
    const max = this.dialect.maxIdentifierLength;
    const base = tableName(target.stream, max);
    const name = target.sync_mode === "full_refresh" ? fitIdentifier(`${base}__stage_${stableHash(target.run_id)}`, max) : base;
    return { schema: this.dialect.name(schemaName(target.schema, max)), name: this.dialect.name(name) };
  }

  /** The run's load table for the stream: staged records until the stream ends. */
  private loadTable(target: StreamTarget): StagedTable {
    const max = this.dialect.maxIdentifierLength;
    const name = fitIdentifier(`${tableName(target.stream, max)}__load_${stableHash(target.run_id)}`, max);
    return { schema: this.dialect.name(schemaName(target.schema, max)), name: this.dialect.name(name) };
  }

  private key(table: StagedTable): string {
    return `${table.schema}.${table.name}`;
  }

  private forget(table: StagedTable): void {
    this.shapes.delete(this.key(table));
  }

  private async shape(table: StagedTable, fresh = false): Promise<TableShape | null> {
    const key = this.key(table);
    if (!fresh && this.shapes.has(key)) return this.shapes.get(key) ?? null;
    const shape = await this.dialect.readShape(table);
    this.shapes.set(key, shape);
    return shape;
  }

  private async applySchemaChanges(table: StagedTable, plan: LoadPlan): Promise<void> {
    const key = this.key(table);
    try {
      if (plan.create) {
        await this.dialect.ensureSchema(table.schema);
        await this.dialect.createTable(table, plan.shape);
      } else {
        // Columns are added first, to the table as it is (its widened columns still of their old type).
        const from = new Map(plan.widen.map((change) => [change.name, change.from]));
        const asIs = plan.shape.map((column) => ({ ...column, type: from.get(column.name) ?? column.type }));
        if (plan.add.length > 0) await this.dialect.addColumns(table, plan.add, asIs);
        const changes = plan.widen.filter((change) => !this.dialect.sameStorage(change.from, change.to));
        if (changes.length > 0) await this.dialect.widenColumns(table, changes, plan.shape);
      }
    } catch (error) {
      this.forget(table);
      throw error;
    }
    this.shapes.set(key, plan.shape);
  }
}

/** Each kept row as a JSON object keyed by canonical column name, nulls left out (a missing key reads as NULL). */
export function recordTexts(plan: LoadPlan): string[] {
  const names = plan.columns.map((c) => JSON.stringify(c.name));
  const json = plan.columns.map((c) => c.type === "json");
  const deleted = JSON.stringify(META.deletedAt);
  return plan.rows.map((row) => {
    let out = "{";
    for (let i = 0; i < plan.columns.length; i++) {
      const cell = row[i];
      if (cell === null || cell === undefined) continue;
      if (out.length > 1) out += ",";
      out += `${names[i]}:${json[i] ? (cell as string) : JSON.stringify(cell)}`;
    }
    const gone = row[plan.columns.length];
    if (gone !== null && gone !== undefined) out += `${out.length > 1 ? "," : ""}${deleted}:${JSON.stringify(gone)}`;
    return `${out}}`;
  });
}

/** Consecutive runs of rows whose JSON array stays under `maxBytes` (one oversized row goes alone). */
function* slices(rows: string[], maxBytes: number): Generator<{ first: number; rows: string[] }> {
  let start = 0;
  let size = 2;
  const encoder = new TextEncoder();
  for (let i = 0; i < rows.length; i++) {
    const bytes = encoder.encode(rows[i] as string).length + 1;
    if (i > start && size + bytes > maxBytes) {
      yield { first: start, rows: rows.slice(start, i) };
      start = i;
      size = 2;
    }
    size += bytes;
  }
  if (start < rows.length) yield { first: start, rows: rows.slice(start) };
}
