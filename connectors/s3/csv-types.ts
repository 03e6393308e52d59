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

/** Digits of the mantissa from its first to its last non-zero one (`-0.0120e5` has 2). */
function significantDigits(text: string): number {
  let digit = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) break; // e, E: the exponent
    if (c < 0x30 || c > 0x39) continue; // the sign and the point
    if (c !== 0x30) {
      if (first === -1) first = digit;
      last = digit;
    }
    digit++;
  }
  return first === -1 ? 0 : last - first + 1;
}

function isNumber(text: string): boolean {
  return NUMBER.test(text) && significantDigits(text) <= MAX_EXACT_DIGITS && Number.isFinite(Number(text));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/**
 * The instant an ISO 8601 timestamp names, from its fields (no second parse of a rebuilt string): a day the month
 * does not have (`02-30`), minute or second 60, or an offset beyond ±23:59 is not a timestamp (text); `24:00` is the
 * end of the day, as ISO 8601 and Date read it.
 */
function timestampOf(text: string): Date | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(1).padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return null;
  if (minute > 59 || second > 59 || hour > 24 || (hour === 24 && minute + second + ms > 0)) return null;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const hours = Number(zone.slice(1, 3));
    const minutes = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  // Date.UTC reads years 0-99 as 1900-1999: those are built 400 years (one whole leap cycle) later and moved back.
  const shift = year < 100 ? 400 : 0;
  const date = new Date(Date.UTC(year + shift, month - 1, day, hour, minute - offsetMinutes, second, ms));
  if (shift) date.setUTCFullYear(date.getUTCFullYear() - shift);
  return date;
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

/** `text` as a value of `type`, or undefined when it does not fit (one parse: the check is the conversion). */
function valueAs(type: CsvType, text: string): unknown {
  switch (type) {
    case "i": {
      if (!INTEGER.test(text)) return undefined;
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    case "n":
      return isNumber(text) ? Number(text) : undefined;
    case "b": {
      const lower = text.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : undefined;
    }
    case "t":
      return timestampOf(text) ?? undefined;
    case "s":
      return text;
    default:
      return undefined;
  }
}

/**
 * The value of `text` in a column of type `types[c]`, widening `types[c]` in place when the value does not fit.
 * In `text` mode every value is a string.
 */
export function typedValue(types: CsvType[], c: number, text: string | undefined): unknown {
  if (text === undefined || text === "") return null;
  const type = types[c] ?? "s";
  const value = valueAs(type, text);
  if (value !== undefined) return value;
  let wider = widenCsv(type, typeOfValue(text));
  let widened = valueAs(wider, text);
  // A wide integer joins a number column only as text: a double would round it.
  if (widened === undefined) {
    wider = "s";
    widened = text;
  }
  types[c] = wider;
  return widened;
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
