/**
 * CSV values typed by inference (DESIGN §5.3): each column's type is read from the first rows of a file (integer,
 * number, boolean, timestamp, else text) and widened when a later row disagrees, so nothing is ever dropped or
 * rounded — a value is given a type only in a form that converts back to exactly its text's meaning:
 * - integer: `-?(0|[1-9][0-9]*)` (no leading zeros: `007` is an identifier, text); beyond 2^53 a BigInt;
 * - number: decimal or exponent notation with at most 15 significant digits (a double holds those exactly);
 * - boolean: `true` / `false` in any case;
 * - timestamp: ISO 8601 date and time to the millisecond, with `Z` or an offset (UTC when it has none), as a Date;
 * - text: anything else, bare dates included (a calendar day is not an instant).
 * An empty field is null. A column's state travels in the checkpoint as one letter, so a resumed chunk types the
 * rest of the file exactly as an uninterrupted read would.
 */

/** `?` only empty values seen yet; then integer, number, boolean, timestamp, string. */
export type CsvType = "?" | "i" | "n" | "b" | "t" | "s";

/** Rows a file's column types are inferred over before its first page is emitted. */
export const INFER_ROWS = 1000;

const INTEGER = /^-?(0|[1-9]\d*)$/;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$|^-?\.\d+([eE][+-]?\d+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const MAX_EXACT_DIGITS = 15;

function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, "").replace(/[eE].*$/, "").replace(".", "");
  const trimmed = mantissa.replace(/^0+/, "").replace(/0+$/, "");
  return trimmed.length;
}

function isNumber(text: string): boolean {
  return NUMBER.test(text) && significantDigits(text) <= MAX_EXACT_DIGITS && Number.isFinite(Number(text));
}

function timestampOf(text: string): Date | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const zone = m[8] ?? "Z";
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${m[7] ?? ""}${zone.toUpperCase() === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The narrowest type of one non-empty value. */
export function typeOfValue(text: string): Exclude<CsvType, "?"> {
  if (INTEGER.test(text)) return "i";
  if (isNumber(text)) return "n";
  const lower = text.toLowerCase();
  if (lower === "true" || lower === "false") return "b";
  if (timestampOf(text)) return "t";
  return "s";
}

/** The least type holding both. */
export function widenCsv(a: CsvType, b: CsvType): CsvType {
  if (a === b || b === "?") return a;
  if (a === "?") return b;
  if ((a === "i" && b === "n") || (a === "n" && b === "i")) return "n";
  return "s";
}

/** Column types over sample rows (rows are field lists in header order). */
export function inferTypes(columns: number, rows: readonly string[][]): CsvType[] {
  const types: CsvType[] = Array.from({ length: columns }, () => "?");
  for (const row of rows) {
    for (let c = 0; c < columns; c++) {
      const text = row[c];
      if (text === undefined || text === "") continue;
      if (types[c] !== "s") types[c] = widenCsv(types[c]!, typeOfValue(text));
    }
  }
  return types;
}

function fits(type: CsvType, text: string): boolean {
  switch (type) {
    case "s":
      return true;
    case "i":
      return INTEGER.test(text);
    case "n":
      return isNumber(text);
    case "b":
      return /^(true|false)$/i.test(text);
    case "t":
      return timestampOf(text) !== null;
    default:
      return false;
  }
}

/**
 * The value of `text` in a column of type `types[c]`, widening `types[c]` in place when the value does not fit.
 * In `text` mode every value is a string.
 */
export function typedValue(types: CsvType[], c: number, text: string | undefined): unknown {
  if (text === undefined || text === "") return null;
  let type = types[c] ?? "s";
  if (!fits(type, text)) {
    type = widenCsv(type, typeOfValue(text));
    // A wide integer joins a number column only as text: a double would round it.
    if (!fits(type, text)) type = "s";
    types[c] = type;
  }
  switch (type) {
    case "i": {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    case "n":
      return Number(text);
    case "b":
      return text.toLowerCase() === "true";
    case "t":
      return timestampOf(text);
    default:
      return text;
  }
}

/** Header names as record fields: blanks named by position, repeats suffixed, so no value overwrites another. */
export function headerNames(fields: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((raw, index) => {
    const base = raw.trim() || `column_${index + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });
}
