/**
 * Column types (research/warehouses.md §9): from the stream's JSON schema when the connector has one, else from the
 * values. Types only ever widen (integer → number → string; anything with an object/array → json), so a later batch
 * never fails to fit and no value is ever dropped or rounded.
 */
import type { RecordSchema } from "../../connectors/kit/contract";

export const COLUMN_TYPES = ["string", "integer", "big_integer", "decimal", "number", "boolean", "date", "timestamp", "json"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
/** `null` is the bottom of the lattice: a column seen only with nulls has no type yet and is not created. */
export type InferredType = ColumnType | "null";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/**
 * The least type that holds every value of both. Exact numbers stay exact: integer ⊂ big_integer ⊂ decimal (a
 * decimal is the source's own text, never a float); a float meeting a decimal becomes decimal (the float's shortest
 * text is exact as a decimal), a float meeting a big integer becomes text. A date is a timestamp at midnight UTC.
 */
export function widen(a: InferredType, b: InferredType): InferredType {
  if (a === b) return a;
  if (a === "null") return b;
  if (b === "null") return a;
  if (a === "json" || b === "json") return "json";
  const pair = new Set([a, b]);
  if (pair.has("integer") && pair.has("number")) return "number";
  if (pair.has("integer") && pair.has("big_integer")) return "big_integer";
  if (pair.has("decimal") && (pair.has("integer") || pair.has("big_integer") || pair.has("number"))) return "decimal";
  if (pair.has("date") && pair.has("timestamp")) return "timestamp";
  return "string";
}

/** What a column's schema or existing type says a string holds; strings are read as such only where one says so. */
export type StringHint = "timestamp" | "date" | "decimal" | null;

// RFC 3339 date-time, or a bare date; strings are only read as timestamps where the schema says date-time.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export function isIsoTimestamp(value: string): boolean {
  return isPlainTimestamp(value) || (ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)));
}

/** The digit at `at` as a number, or -1. */
function digit(text: string, at: number): number {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : -1;
}

/** The two digits at `at` as a number, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = digit(text, at);
  const ones = digit(text, at + 1);
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with month 1–12, day 1–31, hour 0–23, minutes and seconds 0–59, an
 * offset hour 0–23: the form database sources and most APIs send, which `Date.parse` always accepts (it takes
 * day 31 in any month). A character test instead of the regular expression and `Date.parse`, which a CPU profile of
 * a database load put at a fifth of the isolate's time, once per timestamp cell. Every other string goes the slow
 * way; test/warehouses/types.test.ts checks both ways agree.
 */
function isPlainTimestamp(text: string): boolean {
  const length = text.length;
  if (length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return false;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false;
  if (twoDigits(text, 0) < 0 || twoDigits(text, 2) < 0) return false;
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return false;
  }
  let at = 19;
  if (text.charCodeAt(at) === 46) {
    const start = ++at;
    while (at < length && digit(text, at) >= 0) at++;
    if (at === start) return false;
  }
  if (at === length - 1) return text.charCodeAt(at) === 90;
  if (at !== length - 6) return false;
  const sign = text.charCodeAt(at);
  if (sign !== 43 && sign !== 45) return false;
  const offsetHour = twoDigits(text, at + 1);
  const offsetMinute = twoDigits(text, at + 4);
  return text.charCodeAt(at + 3) === 58 && offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Plain decimal text as databases print NUMERIC (no exponent, no thousands separators, no leading "+"). */
const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;

export function isIsoDate(value: string): boolean {
  return ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString().startsWith(value);
}

export function isDecimalText(value: string): boolean {
  return DECIMAL_TEXT.test(value);
}

const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A test that a value leaves a column of `type` as it is (`widen(type, valueType(value, hint)) === type`), written
 * out per type: a page's type check then costs a `typeof` per cell where the column's type is settled, instead of
 * `valueType` and `widen` (a CPU profile of a database load put the per-value check at a sixth of the write). It may
 * answer false where the value fits after all (the caller then widens the slow way), never true where it does not;
 * test/warehouses/write-fast-paths.test.ts checks that against valueType and widen.
 */
export function keepsType(type: InferredType, hint: StringHint): (value: unknown) => boolean {
  switch (type) {
    case "string":
      // Every value but an object or array (json) widens into text.
      return (value) => typeof value !== "object" || value === null || value instanceof Date;
    case "integer":
      return (value) =>
        value === null ||
        value === undefined ||
        (typeof value === "number" ? Number.isSafeInteger(value) : typeof value === "bigint" && value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT);
    case "big_integer":
      return (value) => value === null || value === undefined || typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value));
    case "number":
      return (value) => value === null || value === undefined || (typeof value === "number" && Number.isFinite(value));
    case "decimal":
      return (value) =>
        value === null ||
        value === undefined ||
        typeof value === "bigint" ||
        (typeof value === "number" && Number.isFinite(value)) ||
        (hint === "decimal" && typeof value === "string" && isDecimalText(value));
    case "boolean":
      return (value) => value === null || value === undefined || typeof value === "boolean";
    case "timestamp":
      // A date (ISO date text under a date hint, a midnight Date) widens into a timestamp as well: valueType decides.
      if (hint !== "timestamp") return (value) => value === null || value === undefined || widen("timestamp", valueType(value, hint)) === "timestamp";
      return (value) =>
        value === null ||
        value === undefined ||
        (typeof value === "string" ? isIsoTimestamp(value) : value instanceof Date && !Number.isNaN(value.getTime()));
    default:
      return (value) => widen(type, valueType(value, hint)) === type;
  }
}

/**
 * The type one value needs. `hint` is set where the JSON schema (or the existing column) says what strings hold:
 * only then does an ISO string count as a timestamp or a date, or decimal text as a decimal — strings are never
 * sniffed. (`true` is the older spelling of the timestamp hint.)
 */
export function valueType(value: unknown, hint: StringHint | boolean): InferredType {
  const said: StringHint = hint === true ? "timestamp" : hint === false ? null : hint;
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
      return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? "integer" : "big_integer";
    case "string":
      if (said === "decimal") return isDecimalText(value) ? "decimal" : "string";
      if (said === "date" && ISO_DATE.test(value)) return isIsoDate(value) ? "date" : "string";
      return said !== null && isIsoTimestamp(value) ? "timestamp" : "string";
    case "object":
      if (value === null) return "null";
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) return "string";
        // A driver's Date for a DATE value is midnight UTC; any other instant needs a timestamp.
        return said === "date" && value.getTime() % 86_400_000 === 0 ? "date" : "timestamp";
      }
      return "json";
    default:
      return "string";
  }
}

type SchemaProperty = RecordSchema["properties"][string];

/** The hint a schema property gives about its strings. */
export function schemaHint(property: SchemaProperty | undefined): StringHint {
  const format = property?.format as string | undefined;
  return format === "date-time" ? "timestamp" : format === "date" ? "date" : format === "decimal" ? "decimal" : null;
}

export function schemaType(property: SchemaProperty): InferredType {
  const types = (Array.isArray(property.type) ? property.type : [property.type]).filter((t) => t !== "null");
  let result: InferredType = "null";
  for (const t of types) {
    const hint = schemaHint(property);
    // `format: "decimal"` marks an exact number, sent as text (or as a JSON number) — NUMERIC, never a float.
    const mapped: InferredType =
      hint === "decimal" && (t === "string" || t === "number" || t === "integer")
        ? "decimal"
        : t === "string"
          ? (hint ?? "string")
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
  decimal: "numeric",
  number: "double precision",
  boolean: "boolean",
  date: "date",
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
    case "date":
      return "date";
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
 * scalar such as a 20-digit number must not be converted to REAL). Big integers are NUMERIC_TEXT (TEXT affinity: the
 * name has no "INT"): D1 returns INTEGER through a JS number, which would round them; tables from before this name
 * hold them as TEXT, read back as text. DATE has NUMERIC affinity (an ISO date is not a number: it stays
 * text); DECIMAL_TEXT has TEXT affinity (rule 2: the name contains "TEXT"), so "10.50" keeps its digits — a NUMERIC
 * column would store it as the REAL 10.5.
 */
export const D1_TYPES: Record<ColumnType, string> = {
  string: "TEXT",
  integer: "INTEGER",
  big_integer: "NUMERIC_TEXT",
  decimal: "DECIMAL_TEXT",
  number: "REAL",
  boolean: "BOOLEAN",
  date: "DATE",
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
    case "DATE":
      return "date";
    case "DECIMAL_TEXT":
      return "decimal";
    case "NUMERIC_TEXT":
      return "big_integer";
    case "JSON_TEXT":
      return "json";
    default:
      return "string";
  }
}
