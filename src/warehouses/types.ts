/**
 * Column types (research/warehouses.md §9): from the stream's JSON schema when the connector has one, else from the
 * values. Types only ever widen (integer → number → string; anything with an object/array → json), so a later batch
 * never fails to fit and no value is ever dropped or rounded.
 */
import type { RecordSchema } from "../../connectors/kit/contract";

export type ColumnType = "string" | "integer" | "big_integer" | "number" | "boolean" | "timestamp" | "json";
/** `null` is the bottom of the lattice: a column seen only with nulls has no type yet and is not created. */
export type InferredType = ColumnType | "null";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** The least type that holds every value of both. */
export function widen(a: InferredType, b: InferredType): InferredType {
  if (a === b) return a;
  if (a === "null") return b;
  if (b === "null") return a;
  if (a === "json" || b === "json") return "json";
  const pair = new Set([a, b]);
  if (pair.has("integer") && pair.has("number")) return "number";
  if (pair.has("integer") && pair.has("big_integer")) return "big_integer";
  return "string";
}

// RFC 3339 date-time, or a bare date; strings are only read as timestamps where the schema says date-time.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export function isIsoTimestamp(value: string): boolean {
  return ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * The type one value needs. `timestampHint` is set where the JSON schema (or the existing column) says date-time:
 * only then does an ISO string count as a timestamp — strings are never sniffed.
 */
export function valueType(value: unknown, timestampHint: boolean): InferredType {
  switch (typeof value) {
    case "undefined":
      return "null";
    case "boolean":
      return "boolean";
    case "number":
      if (Number.isSafeInteger(value)) return "integer";
      // Non-finite numbers have no JSON form; as text they survive ("NaN"), as a float column they would become null.
      return Number.isFinite(value) ? "number" : "string";
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? "integer" : "big_integer";
    case "string":
      return timestampHint && isIsoTimestamp(value) ? "timestamp" : "string";
    case "object":
      if (value === null) return "null";
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? "string" : "timestamp";
      return "json";
    default:
      return "string";
  }
}

type SchemaProperty = RecordSchema["properties"][string];

export function schemaType(property: SchemaProperty): InferredType {
  const types = (Array.isArray(property.type) ? property.type : [property.type]).filter((t) => t !== "null");
  let result: InferredType = "null";
  for (const t of types) {
    const mapped: InferredType =
      t === "string"
        ? property.format === "date-time"
          ? "timestamp"
          : "string"
        : t === "object" || t === "array"
          ? "json"
          : t;
    result = widen(result, mapped);
  }
  return result;
}

export const POSTGRES_TYPES: Record<ColumnType, string> = {
  string: "text",
  integer: "bigint",
  big_integer: "numeric",
  number: "double precision",
  boolean: "boolean",
  timestamp: "timestamptz",
  json: "jsonb",
};

/** From `information_schema.columns.data_type`; a type the loader did not create is treated as text. */
export function postgresColumnType(dataType: string): ColumnType {
  switch (dataType) {
    case "bigint":
    case "integer":
    case "smallint":
      return "integer";
    case "numeric":
      return "big_integer";
    case "double precision":
    case "real":
      return "number";
    case "boolean":
      return "boolean";
    case "timestamp with time zone":
      return "timestamp";
    case "jsonb":
    case "json":
      return "json";
    default:
      return "string";
  }
}

/**
 * D1 stores INTEGER, REAL, TEXT, 0/1 booleans, ISO text and JSON text. SQLite keeps any declared type name and
 * derives the storage affinity from it (https://www.sqlite.org/datatype3.html §3.1), so booleans, timestamps and
 * JSON get names that say what they hold — that is how a later batch learns the column's type back from
 * `PRAGMA table_info` — while keeping the affinity that stores them unchanged: BOOLEAN and DATETIME have NUMERIC
 * affinity (0/1 stay integers; ISO strings are not numbers, so stay text), JSON_TEXT has TEXT affinity (a JSON
 * scalar such as a 20-digit number must not be converted to REAL). Big integers are TEXT: D1 returns INTEGER
 * through a JS number, which would round them.
 */
export const D1_TYPES: Record<ColumnType, string> = {
  string: "TEXT",
  integer: "INTEGER",
  big_integer: "TEXT",
  number: "REAL",
  boolean: "BOOLEAN",
  timestamp: "DATETIME",
  json: "JSON_TEXT",
};

export function d1ColumnType(declared: string): ColumnType {
  switch (declared.toUpperCase()) {
    case "INTEGER":
      return "integer";
    case "REAL":
      return "number";
    case "BOOLEAN":
      return "boolean";
    case "DATETIME":
      return "timestamp";
    case "JSON_TEXT":
      return "json";
    default:
      return "string";
  }
}
