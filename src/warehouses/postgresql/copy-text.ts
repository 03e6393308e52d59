/**
 * COPY text (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format") as the PostgreSQL warehouse writes
 * it: from a load plan's rows, or straight from a PostgreSQL source's COPY output (copyThrough).
 */
import type { CopyCellKind, CopyTextRows, SourceRecord } from "../../../connectors/kit/contract";
import { escapeCopyText, unescapeCopyText, withoutNulEscapes } from "../../../connectors/kit/copy-text";
import { type Cell, type LoadPlan, toCell } from "../load-plan";
import type { ColumnType } from "../types";

const utf8 = new TextEncoder();

/**
 * A copy's whole input as the protocol's messages in one buffer: CopyData (`d`, its length, the text's UTF-8
 * bytes), then CopyDone (`c`, length 4). pg's own sendCopyFromChunk and endCopyFrom would encode the text through
 * the Buffer polyfill, copy it once more into its writer, and write twice; a CPU profile of a database load put a
 * socket write at a fixed cost per call (a 500-byte page query cost the isolate about what a 150 KB group did), and
 * the polyfill's encoding at 5 % of the isolate.
 */
export function copyInMessages(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  const message = new Uint8Array(5 + bytes.length + 5);
  const view = new DataView(message.buffer);
  message[0] = 0x64;
  view.setInt32(1, 4 + bytes.length);
  message.set(bytes, 5);
  message[5 + bytes.length] = 0x63;
  view.setInt32(6 + bytes.length, 4);
  return message;
}

// Decided once per column: only text and json cells can hold a character COPY must escape. Every other cell is
// text its column's type check accepted (digits, ISO dates and timestamps: load-plan.ts toCell) or a number or a
// boolean, and is written as it is.
const OTHER_CELL = 0;
const TEXT_CELL = 1;
const JSON_CELL = 2;
type CellClass = typeof OTHER_CELL | typeof TEXT_CELL | typeof JSON_CELL;

const cellClassOf = (type: ColumnType): CellClass => (type === "json" ? JSON_CELL : type === "string" ? TEXT_CELL : OTHER_CELL);

function cellText(cell: Cell, kind: CellClass): string {
  if (cell === null) return "\\N";
  if (typeof cell === "string") return kind === OTHER_CELL ? cell : escapeCopyText(kind === JSON_CELL ? withoutNulEscapes(cell) : cell);
  if (typeof cell === "boolean") return cell ? "t" : "f";
  return String(cell);
}

/** Values every line carries after its own cells (the metadata of a straight copy), escaped once. */
const suffixOf = (constants: readonly string[]) => constants.map((value) => `\t${escapeCopyText(value)}`).join("");

/**
 * The plan's rows in COPY text format, one line each: `\N` for NULL, booleans as t/f, numbers as JavaScript writes
 * them (as the JSON form sent them), json cells as their JSON text, then `constants` on every line. The temp table's
 * column types parse each cell as the jsonb form's casts did, so both forms load the same values.
 */
export function copyText(plan: LoadPlan, constants: readonly string[] = []): string {
  const kinds: CellClass[] = [...plan.columns.map((column) => cellClassOf(column.type)), OTHER_CELL];
  const width = kinds.length;
  const suffix = suffixOf(constants);
  let out = "";
  for (const row of plan.rows) {
    for (let i = 0; i < width; i++) {
      if (i > 0) out += "\t";
      out += cellText(row[i] as Cell, kinds[i]!);
    }
    out += suffix;
    out += "\n";
  }
  return out;
}

/**
 * The group's source lines as the lines copyText would write from their records — a cell per plan column in the
 * source's column order, `\N` for `_loader_deleted_at`, then `constants` — without building a record: a cell whose
 * source text is a literal its column reads as the same value goes as it is (integers, t/f, UTC timestamps, text);
 * any other is decoded to its record value and written as copyText writes it. Null where a line must go the records'
 * way: a value its column's type does not admit (the records would widen the column first), a NULL key (refused
 * there), a source column the plan does not write as its own.
 *
 * `plan` is planned from the group's first record, so its types are the ones the records would get wherever every
 * cell fits them. Duplicate keys within the group are not merged here: the straight copy's unique index refuses them.
 */
export function copyThrough(
  plan: LoadPlan,
  pages: readonly CopyTextRows[],
  primaryKey: readonly string[],
  constants: readonly string[],
): { columns: string[]; text: string } | null {
  const first = pages[0];
  if (!first) return null;
  const columnOf = new Map(plan.fields.map((field, index) => [field, index]));
  if (plan.columns.length !== first.columns.length) return null;
  const order: number[] = [];
  for (const field of first.columns) {
    const index = columnOf.get(field);
    if (index === undefined) return null;
    order.push(index);
  }
  for (const page of pages) {
    if (page.columns.length !== first.columns.length || page.columns.some((name, i) => name !== first.columns[i] || page.kinds[i] !== first.kinds[i])) return null;
  }
  const width = order.length;
  const types = order.map((index) => plan.columns[index]!.type);
  const admits = order.map((index) => plan.admits[index]!);
  const classes = types.map(cellClassOf);
  const keys = new Set(primaryKey);
  const isKey = order.map((index) => keys.has(plan.columns[index]!.name));
  // A cell goes as it is only where its column admits what its record value would be; for these kinds that depends
  // only on the value's form, so one value of each form decides it for the column.
  const modes = first.kinds.map((kind, i) => {
    const mode = asItIs(kind, types[i]!);
    const fits = SAMPLES[kind].every((sample) => FORM_TESTS[mode](sample, 0, sample.length) && admits[i]!(first.values[i]!(sample)));
    return fits ? mode : DECODE;
  });
  const suffix = `\t\\N${suffixOf(constants)}\n`;
  const last = width - 1;

  let out = "";
  for (const page of pages) {
    const { text, values } = page;
    for (let at = 0, line = 0; line < page.count; line++) {
      const end = text.indexOf("\n", at);
      if (end < 0) return null;
      // `copied` is where the run of cells written as they are began; a decoded cell ends it.
      let copied = at;
      let stop = at;
      for (let i = 0; i < width; i++) {
        stop = text.indexOf("\t", at);
        if (stop < 0 || stop > end) {
          if (i !== last) return null;
          stop = end;
        }
        const mode = modes[i]!;
        // Text as it is needs no look unless it is a key, which must not be NULL.
        if (mode !== AS_IT_IS || isKey[i]) {
          if (stop - at === 2 && text.charCodeAt(at) === 92 && text.charCodeAt(at + 1) === 78) {
            if (isKey[i]) return null;
          } else if (mode === DECODE || (mode !== AS_IT_IS && !FORM_TESTS[mode](text, at, stop))) {
            const value = cellValue(values[i]!, text.slice(at, stop));
            if (!admits[i]!(value)) return null;
            out += text.slice(copied, at);
            out += cellText(toCell(value, types[i]!), classes[i]!);
            copied = stop;
          }
        }
        at = stop + 1;
      }
      out += text.slice(copied, stop);
      out += suffix;
      at = end + 1;
    }
  }
  return { columns: order.map((index) => plan.columns[index]!.name), text: out };
}

/** The record value of a field's COPY text that is not `\N`. */
const cellValue = (value: (text: string) => unknown, field: string) => value(field.includes("\\") ? unescapeCopyText(field) : field);

/** The first line of a group's COPY text pages as a record (what copyThrough's plan is made from), or null if none. */
export function firstRecordOf(pages: readonly CopyTextRows[]): SourceRecord | null {
  const page = pages.find((p) => p.count > 0);
  if (!page) return null;
  const line = page.text.slice(0, page.text.indexOf("\n")).split("\t");
  const record: SourceRecord = {};
  page.columns.forEach((column, i) => {
    const field = line[i]!;
    record[column] = field === "\\N" ? null : (cellValue(page.values[i]!, field) as never);
  });
  return record;
}

/** Whether a cell's source text (from `at` to `stop`) is what copyText would write for its record value. */
type FormTest = (text: string, at: number, stop: number) => boolean;

const AS_IT_IS = 0;
const SAFE_INTEGER = 1;
const UTC_TIMESTAMP = 2;
const PLAIN_JSONB = 3;
const DECODE = 4;
type Mode = typeof AS_IT_IS | typeof SAFE_INTEGER | typeof UTC_TIMESTAMP | typeof PLAIN_JSONB | typeof DECODE;

/** Where `YYYY-MM-DD HH:MM:SS` has its digits. */
const TIMESTAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

const FORM_TESTS: Record<Mode, FormTest> = {
  [AS_IT_IS]: () => true,
  // Up to 15 digits is below 2^53: the number a record would carry prints as the same digits.
  [SAFE_INTEGER]: (text, at, stop) => stop - at - (text.charCodeAt(at) === 45 ? 1 : 0) <= 15,
  /**
   * `YYYY-MM-DD HH:MM:SS[.fraction]` with nothing, `+00`, `+00:00` or `+0000` after it: the same instant the record's
   * RFC 3339 form names (connectors/kit/sql-source.ts isoTimestamp), in the warehouse's UTC session. Any other text
   * (`infinity`, BC, a five-digit year, `0000-00-00 00:00:00`) goes through isoTimestamp and the column's type check.
   */
  [UTC_TIMESTAMP]: (text, at, stop) => {
    if (stop - at < 19) return false;
    const code = (k: number) => text.charCodeAt(at + k);
    if (code(4) !== 45 || code(7) !== 45 || code(10) !== 32 || code(13) !== 58 || code(16) !== 58) return false;
    for (const k of TIMESTAMP_DIGITS) if (code(k) - 48 > 9 || code(k) < 48) return false;
    // In range as the record's form must be (types.ts isPlainTimestamp): MySQL's zero date is not.
    const two = (k: number) => (code(k) - 48) * 10 + code(k + 1) - 48;
    const month = two(5);
    const day = two(8);
    if (month < 1 || month > 12 || day < 1 || day > 31 || two(11) > 23 || two(14) > 59 || two(17) > 59) return false;
    let end = at + 19;
    if (text.charCodeAt(end) === 46) {
      const start = ++end;
      while (end < stop && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
      if (end === start) return false;
    }
    const zone = stop - end;
    if (zone === 0) return true;
    if (text.charCodeAt(end) !== 43 || text.charCodeAt(end + 1) !== 48 || text.charCodeAt(end + 2) !== 48) return false;
    if (zone === 3) return true;
    if (zone === 5) return text.charCodeAt(end + 3) === 48 && text.charCodeAt(end + 4) === 48;
    return zone === 6 && text.charCodeAt(end + 3) === 58 && text.charCodeAt(end + 4) === 48 && text.charCodeAt(end + 5) === 48;
  },
  /**
   * jsonb text that the records' JSON.parse and JSON.stringify would give back as the same jsonb: whitespace aside,
   * jsonb writes strings and literals as JSON.stringify does; a number only where it is an integer of up to 15 digits
   * (a double prints it back alike; `1.0` or 2^60 would not). No backslash (its escapes are left to the parser), and
   * not the bare `null`, which a record carries as SQL NULL.
   */
  [PLAIN_JSONB]: (text, at, stop) => {
    if (stop - at === 4 && text.startsWith("null", at)) return false;
    for (let i = at; i < stop; i++) {
      const code = text.charCodeAt(i);
      if (code === 34) {
        // A string runs to the next quote; one with an escape (a backslash) goes to the parser.
        for (i++; i < stop; i++) {
          const inside = text.charCodeAt(i);
          if (inside === 34) break;
          if (inside === 92) return false;
        }
        if (i >= stop) return false;
      } else if (code === 45 || (code >= 48 && code <= 57)) {
        const start = code === 45 ? i + 1 : i;
        let end = start;
        while (end < stop && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
        const digits = end - start;
        if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(start) === 48)) return false;
        // A fraction or an exponent, or `-0`, prints otherwise as a double.
        const next = text.charCodeAt(end);
        if (next === 46 || next === 101 || next === 69 || (code === 45 && digits === 1 && text.charCodeAt(start) === 48)) return false;
        i = end - 1;
      }
    }
    return true;
  },
  [DECODE]: () => false,
};

/** Texts of each kind's extreme forms that a column's type must admit (as record values) for its cells to go as they are. */
const SAMPLES: Record<CopyCellKind, string[]> = {
  integer: ["0", "-999999999999999"],
  boolean: ["t", "f"],
  timestamp: ["2000-01-01 00:00:00", "2000-01-01 00:00:00.123456+00"],
  text: ["", "text"],
  jsonb: ["{}", '{"a": [1, "b", true, null]}'],
  json: ["{}", "[1]", '"text"'],
  other: [],
};

/** Where a source cell of `kind` can go to a column of `type` as it is, and what its text must look like (see copyThrough). */
function asItIs(kind: CopyCellKind, type: ColumnType): Mode {
  switch (kind) {
    case "integer":
      // A record's integer is a number (int2, int4) or a BigInt (int8); each prints as PostgreSQL wrote it.
      return type === "big_integer" || type === "decimal" || type === "string" ? AS_IT_IS : type === "integer" ? SAFE_INTEGER : DECODE;
    case "boolean":
      return type === "boolean" ? AS_IT_IS : DECODE;
    case "timestamp":
      return type === "timestamp" ? UTC_TIMESTAMP : DECODE;
    case "text":
      // COPY's escapes read back to the same text the record carries.
      return type === "string" ? AS_IT_IS : DECODE;
    case "jsonb":
      return type === "json" ? PLAIN_JSONB : DECODE;
    case "json":
      // The record's JSON text is the cell copyText writes for it.
      return type === "json" ? AS_IT_IS : DECODE;
    case "other":
      return DECODE;
  }
}
