/**
 * What one page needs from a table, worked out once for every warehouse: the columns (names from naming.ts, types
 * from types.ts widened over the existing table), the DDL to get there (add, widen — never drop or narrow), and the
 * rows as cells already converted to their column's type, de-duplicated by primary key. Adapters only turn a plan
 * into their SQL.
 */
import type { SourceRecord } from "../../connectors/kit/contract";
import type { StreamTarget } from "./contract";
import { WarehouseError } from "./errors";
import { holdSchemaChanges } from "./schema-changes";
import { DELETED_AT_FIELD, META, MAX_IDENTIFIER_LENGTH, columnNames } from "./naming";
import {
  type ColumnSpec,
  type ColumnType,
  type InferredType,
  type StringHint,
  isIsoTimestamp,
  keepsType,
  schemaHint,
  schemaType,
  valueType,
  widen,
} from "./types";

export const METADATA_COLUMNS: readonly ColumnSpec[] = [
  { name: META.runId, type: "string" },
  { name: META.syncedAt, type: "timestamp" },
  { name: META.batchId, type: "string" },
  { name: META.deletedAt, type: "timestamp" },
];

/** A table's columns in their physical order. */
export type TableShape = ColumnSpec[];

/** A value ready for a JSON payload. A `json` column's cell is the value's JSON text. */
export type Cell = string | number | boolean | null;

export interface ColumnChange {
  name: string;
  from: ColumnType;
  to: ColumnType;
}

export interface LoadPlan {
  /** Data columns this page writes (fields its records carry), with their type once `add`/`widen` are applied. */
  columns: ColumnSpec[];
  /** True when the table does not exist yet: create it with `shape`. */
  create: boolean;
  add: ColumnSpec[];
  widen: ColumnChange[];
  /** The table after the changes (existing columns first, in order; then the added ones). */
  shape: TableShape;
  /** Primary key column names; `primaryKeyReady` once all of them exist (their type is known). */
  primaryKey: string[];
  primaryKeyReady: boolean;
  /** The cursor column when this page writes it: newer-or-equal cursor values win. */
  cursor: ColumnSpec | null;
  /** One row per kept record: a cell per `columns` entry, then `_loader_deleted_at`. */
  rows: Cell[][];
  /** The record field each of `columns` is written from. */
  fields: string[];
  /** For each of `columns`: whether a value fits its type as it is, where another would have widened it (types.ts keepsType). */
  admits: ((value: unknown) => boolean)[];
}

export interface PlanOptions {
  /** The warehouse's longest identifier (naming.ts). */
  maxLength?: number;
  /**
   * For a full_refresh, whose `existing` is the run's own table: the table it will replace (null if none), so that
   * schema changes are judged against what users query (schema-changes.ts).
   */
  live?: TableShape | null;
  /** Two logical types the warehouse stores as one column type: a widening between them changes nothing there. */
  sameStorage?: (a: ColumnType, b: ColumnType) => boolean;
}

export function planLoad(target: StreamTarget, records: SourceRecord[], existing: TableShape | null, options: PlanOptions = {}): LoadPlan {
  const plan = planWrite(target, records, existing, options.maxLength ?? MAX_IDENTIFIER_LENGTH);
  if (target.schema_watch) {
    const baseline = target.sync_mode === "full_refresh" && options.live !== undefined ? options.live : existing;
    holdSchemaChanges(target.schema_watch, plan, baseline, options.sameStorage);
  }
  return plan;
}

function planWrite(target: StreamTarget, records: SourceRecord[], existing: TableShape | null, maxLength: number): LoadPlan {
  const properties = target.json_schema?.properties ?? {};
  // The fields the page's records carry, each record's own keys walked once (for…in: no key array per record).
  const recordFields = new Set<string>();
  for (const record of records) for (const field in record) recordFields.add(field);
  const fields = new Set<string>(Object.keys(properties));
  for (const field of target.primary_key) fields.add(field);
  if (target.cursor_field) fields.add(target.cursor_field);
  for (const field of recordFields) fields.add(field);
  fields.delete(DELETED_AT_FIELD);

  const names = columnNames(fields, maxLength);
  const existingTypes = new Map((existing ?? []).map((column) => [column.name, column.type]));
  // A page writes the fields its records carry (and the key and cursor); schema-only fields get their column but
  // leave stored values alone, as fields that are neither in the schema nor in the page do.
  const carried = new Set<string>([...target.primary_key, ...(target.cursor_field ? [target.cursor_field] : []), ...recordFields]);

  const known: ColumnSpec[] = [];
  const columns: ColumnSpec[] = [];
  const sources: string[] = [];
  const admits: ((value: unknown) => boolean)[] = [];
  for (const field of fields) {
    const name = names.get(field) as string;
    const property = properties[field];
    const before = existingTypes.get(name);
    const hint: StringHint =
      before === "timestamp" || before === "date" || before === "decimal" ? before : schemaHint(property);
    let type: InferredType = property ? schemaType(property) : "null";
    let keeps = keepsType(type, hint);
    for (let r = 0; r < records.length && type !== "json"; r++) {
      const value = (records[r] as SourceRecord)[field];
      if (keeps(value)) continue;
      type = widen(type, valueType(value, hint));
      keeps = keepsType(type, hint);
    }
    if (before) type = widen(before, type);
    if (type === "null") continue;
    known.push({ name, type });
    if (!carried.has(field)) continue;
    columns.push({ name, type });
    sources.push(field);
    admits.push(keepsType(type, hint));
  }

  const wanted = [...known, ...METADATA_COLUMNS];
  const add = wanted.filter((column) => !existingTypes.has(column.name));
  const changes: ColumnChange[] = [];
  for (const column of known) {
    const from = existingTypes.get(column.name);
    if (from && from !== column.type) changes.push({ name: column.name, from, to: column.type });
  }
  const widened = new Map(changes.map((change) => [change.name, change.to]));
  const shape = existing
    ? [...existing.map((column) => ({ name: column.name, type: widened.get(column.name) ?? column.type })), ...add]
    : [...known, ...METADATA_COLUMNS];

  const primaryKey = target.primary_key.map((field) => names.get(field) as string);
  const shapeNames = new Set(shape.map((column) => column.name));
  const cursorName = target.cursor_field ? names.get(target.cursor_field) : undefined;
  const cursor = columns.find((column) => column.name === cursorName) ?? null;

  const types = columns.map((column) => column.type);
  const rows: Cell[][] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as SourceRecord;
    const row: Cell[] = [];
    for (let i = 0; i < types.length; i++) row.push(toCell(record[sources[i] as string], types[i] as ColumnType));
    row.push(deletedAt(record[DELETED_AT_FIELD], target.stream, index));
    rows.push(row);
  }
  const keyIndexes = primaryKey.map((name) => columns.findIndex((column) => column.name === name));
  for (const [position, index] of keyIndexes.entries()) {
    if (records.length > 0 && index < 0) throw missingKey(target, target.primary_key[position] as string, 0);
  }

  return {
    columns,
    create: existing === null,
    add: existing === null ? [] : add,
    widen: changes,
    shape,
    primaryKey,
    primaryKeyReady: primaryKey.length > 0 && primaryKey.every((name) => shapeNames.has(name)),
    cursor,
    rows:
      primaryKey.length > 0
        ? keepNewest(rows, keyIndexes, target, cursor ? columns.indexOf(cursor) : -1, cursor?.type)
        : rows,
    fields: sources,
    admits,
  };
}

/**
 * One row per primary key, as an upsert requires (Postgres refuses to touch a row twice in one statement, SQLSTATE
 * 21000): the greatest cursor wins, and on a tie the later record, since pages list older versions first.
 */
function keepNewest(
  rows: Cell[][],
  keyIndexes: number[],
  target: StreamTarget,
  cursorIndex: number,
  cursorType: ColumnType | undefined,
): Cell[][] {
  const compare = cursorType ? cursorComparator(cursorType) : undefined;
  const kept: Cell[][] = [];
  const positions = new Map<NonNullable<Cell>, number>();
  rows.forEach((row, rowIndex) => {
    const key = keyIndexes.map((index, position) => {
      const cell = row[index];
      if (cell === null || cell === undefined) throw missingKey(target, target.primary_key[position] as string, rowIndex);
      return cell;
    });
    // A one-column key is its own Map key (1 and "1" stay apart, as in the JSON form): no string per row.
    const id = key.length === 1 ? (key[0] as NonNullable<Cell>) : JSON.stringify(key);
    const at = positions.get(id);
    if (at === undefined) {
      positions.set(id, kept.push(row) - 1);
      return;
    }
    if (compare) {
      const newer = row[cursorIndex] ?? null;
      const older = (kept[at] as Cell[])[cursorIndex] ?? null;
      if (newer === null && older !== null) return;
      if (newer !== null && older !== null && compare(newer, older) < 0) return;
    }
    kept[at] = row;
  });
  return kept;
}

/** Orders cursor cells the way the warehouses compare the column (numbers numerically, timestamps as instants). */
export function cursorComparator(type: ColumnType): (a: NonNullable<Cell>, b: NonNullable<Cell>) => number {
  const text = (a: NonNullable<Cell>, b: NonNullable<Cell>) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
  switch (type) {
    case "integer":
    case "number":
    case "boolean":
      return (a, b) => Number(a) - Number(b);
    case "big_integer":
      return (a, b) => {
        const diff = BigInt(a as string) - BigInt(b as string);
        return diff < 0n ? -1 : diff > 0n ? 1 : 0;
      };
    case "decimal":
      return (a, b) => compareDecimals(String(a), String(b));
    case "timestamp":
    case "date":
      return (a, b) => Date.parse(a as string) - Date.parse(b as string) || text(a, b);
    default:
      return text;
  }
}

/** Exact order of two decimal texts (as a NUMERIC column orders them), without going through a float. */
export function compareDecimals(a: string, b: string): number {
  const negA = a.startsWith("-");
  const negB = b.startsWith("-");
  if (negA !== negB) return negA ? -1 : 1;
  const [intA = "", fracA = ""] = (negA ? a.slice(1) : a).split(".");
  const [intB = "", fracB = ""] = (negB ? b.slice(1) : b).split(".");
  const wholeA = intA.replace(/^0+(?=\d)/, "");
  const wholeB = intB.replace(/^0+(?=\d)/, "");
  let order = wholeA.length - wholeB.length || (wholeA < wholeB ? -1 : wholeA > wholeB ? 1 : 0);
  if (order === 0) {
    const width = Math.max(fracA.length, fracB.length);
    const x = fracA.padEnd(width, "0");
    const y = fracB.padEnd(width, "0");
    order = x < y ? -1 : x > y ? 1 : 0;
  }
  return Math.sign(order) * (negA ? -1 : 1);
}

function missingKey(target: StreamTarget, field: string, index: number): WarehouseError {
  return new WarehouseError(
    "data",
    `Record ${index} of stream "${target.stream}" has no value for primary key field "${field}"`,
  );
}

/** Converts a value to its column's representation; the column type always admits the value (it was widened to). */
export function toCell(value: unknown, type: ColumnType): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "integer":
    case "number":
      return Number(value);
    case "big_integer":
    case "decimal":
      return String(value);
    case "date":
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case "boolean":
      return value as boolean;
    case "timestamp":
      return value instanceof Date ? value.toISOString() : String(value);
    case "json":
      return jsonText(value);
    case "string":
      if (typeof value === "string") return value;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
      return typeof value === "object" ? jsonText(value) : String(value);
  }
}

const rawJson = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

/** JSON text that keeps integers beyond 2^53 exact: a BigInt is written as a bare number (JSON.rawJSON, ES2025). */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) =>
      typeof v === "bigint" ? (rawJson ? rawJson(v.toString()) : v.toString()) : v,
    );
  }
}

function deletedAt(value: unknown, stream: string, index: number): Cell {
  if (value === null || value === undefined) return null;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === "string" && isIsoTimestamp(value)) return value;
  throw new WarehouseError(
    "data",
    `Record ${index} of stream "${stream}" has ${DELETED_AT_FIELD} that is not an ISO timestamp`,
  );
}

/** Each row as JSON text. `rawJsonCells`: embed a json column's text as JSON (Postgres jsonb) instead of a string. */
export function rowsAsJson(plan: LoadPlan, rawJsonCells: boolean): string[] {
  const json = plan.columns.map((column) => rawJsonCells && column.type === "json");
  return plan.rows.map((row) => {
    let out = "[";
    for (let i = 0; i < row.length; i++) {
      const cell = row[i] as Cell;
      if (i > 0) out += ",";
      out += cell === null ? "null" : json[i] ? (cell as string) : JSON.stringify(cell);
    }
    return `${out}]`;
  });
}
