/**
 * Page reads as `COPY (SELECT …) TO STDOUT` (text format) instead of a SELECT's DataRows. `pg` turns every field of
 * a DataRow into its own string (one UTF-8 decode per field) inside an object per row: a CPU profile of a database
 * load (bench/db-sources.mjs --profile) put that at about half the isolate's time. A COPY sends each row as one
 * CopyData message; the page's rows are decoded as one string and split here, then each field goes through the
 * same type parser a DataRow field would, so a record is the same either way (test/connectors/postgresql).
 *
 * COPY takes no bound parameters, so the page statement's `$n` placeholders are replaced by escaped literals; the
 * column types come from a `LIMIT 0` run of the same SELECT sent in the same simple-protocol message, whose two
 * statements run in one implicit transaction: the table's lock holds its definition between them.
 */
import { Query } from "pg";
import type { CopyCellKind, CopyTextRows } from "../kit/contract";
import { unescapeCopyText } from "../kit/copy-text";

export type Parser = (text: string) => unknown;

interface RowDescription {
  fields: { name: string; dataTypeID: number }[];
}

/**
 * `text` with each `$n` outside quoted identifiers and string literals replaced by `literal(values[n - 1])`. The
 * statements it serves are built by connectors/kit/sql-source.ts: identifiers in double quotes, no dollar quoting,
 * no comments.
 */
export function inlineValues(text: string, values: readonly unknown[], literal: (value: string) => string): string {
  let out = "";
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '"' || char === "'") {
      // A quoted run ends at the next lone quote of its kind (a doubled one is an escaped quote inside it).
      let end = at + 1;
      for (;;) {
        end = text.indexOf(char, end);
        if (end < 0) throw new Error(`unterminated ${char} in a page statement`);
        if (text[end + 1] === char) end += 2;
        else break;
      }
      out += text.slice(at, end + 1);
      at = end + 1;
    } else if (char === "$" && /[0-9]/.test(text[at + 1] ?? "")) {
      let end = at + 1;
      while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
      const position = Number(text.slice(at + 1, end));
      if (position < 1 || position > values.length) throw new Error(`page statement names $${position} of ${values.length} values`);
      out += literalOf(values[position - 1], literal);
      at = end;
    } else {
      out += char;
      at++;
    }
  }
  return out;
}

function literalOf(value: unknown, literal: (value: string) => string): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return literal(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return literal(String(value));
  throw new Error(`a page statement's value must be text, a number or a boolean, not ${typeof value}`);
}

/** Where each line of a COPY output ends (its newline). */
function lineEnds(text: string): number[] {
  const ends: number[] = [];
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf("\n", at);
    if (end < 0) throw new Error("COPY output ends inside a row");
    ends.push(end);
    at = end + 1;
  }
  return ends;
}

/** One line's fields, `text` from `at` to its newline at `end`; `escaped` false where the output has no backslash. */
function decodeCopyLine(text: string, at: number, end: number, parsers: readonly (Parser | undefined)[], escaped: boolean, index: number): unknown[] {
  const width = parsers.length;
  const row = new Array<unknown>(width);
  for (let i = 0; i < width; i++) {
    const tab = text.indexOf("\t", at);
    const last = i === width - 1;
    if (last ? tab >= 0 && tab < end : tab < 0 || tab > end) throw new Error(`COPY row ${index + 1} does not have ${width} fields`);
    const stop = last ? end : tab;
    let field = text.slice(at, stop);
    at = stop + 1;
    if (escaped && field.includes("\\")) {
      if (field === "\\N") {
        row[i] = null;
        continue;
      }
      field = unescapeCopyText(field);
    }
    const parse = parsers[i];
    row[i] = parse ? parse(field) : field;
  }
  return row;
}

/**
 * A page read by COPY: its rows decoded only where something reads them — one row (the last one's key is the
 * checkpoint), or all of them for records — while a warehouse that loads COPY text takes `copyText` as it came.
 * Each field is unescaped and run through its column's parser (`\N` is NULL); a row with another number of fields
 * means the output is not what was described: refused.
 */
export class CopyPage {
  readonly count: number;
  private readonly ends: number[];
  private readonly escaped: boolean;
  private decoded: unknown[][] | null = null;

  constructor(
    readonly columns: string[],
    private readonly text: string,
    private readonly parsers: readonly (Parser | undefined)[],
    private readonly kinds: readonly CopyCellKind[],
  ) {
    this.ends = text.length === 0 ? [] : lineEnds(text);
    this.count = this.ends.length;
    this.escaped = text.includes("\\");
  }

  row(index: number): unknown[] {
    if (this.decoded) return this.decoded[index]!;
    return decodeCopyLine(this.text, index === 0 ? 0 : this.ends[index - 1]! + 1, this.ends[index]!, this.parsers, this.escaped, index);
  }

  get rows(): unknown[][] {
    this.decoded ??= this.ends.map((_, index) => this.row(index));
    return this.decoded;
  }

  /** The first `width` fields of each line as records' fields (the rest are the read's own helper columns). */
  copyText(width: number): CopyTextRows {
    const identity = (text: string) => text;
    return {
      text: this.text,
      count: this.count,
      columns: this.columns.slice(0, width),
      kinds: this.kinds.slice(0, width),
      values: this.parsers.slice(0, width).map((parse) => parse ?? identity),
    };
  }
}

// A leading U+FEFF is the value's own character, as pg's own decoding keeps it.
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * A page's CopyData bytes, gathered to be decoded once. Each message's chunk is a view into pg's receive buffer,
 * which pg reuses for later bytes: it is copied out when it arrives.
 */
class PageBytes {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  add(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + chunk.length));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  text(): string {
    return utf8.decode(this.bytes.subarray(0, this.length));
  }
}

/** Where a page read sends its statements: a `pg` client's query queue. */
export interface CopyClient {
  query(query: Query): unknown;
  escapeLiteral(value: string): string;
}

/** How a field of a column type is decoded: its parser (none where the text is the value) and what its text holds. */
export interface CopyFieldType {
  parse: Parser | undefined;
  kind: CopyCellKind;
}

/**
 * The rows of `select` (with `$n` placeholders for `values`) read by COPY, each value as a DataRow would give it:
 * `typeOf` says how the session decodes a column's type OID.
 */
export async function copyPage(
  client: CopyClient,
  select: string,
  values: readonly unknown[],
  typeOf: (oid: number) => CopyFieldType,
): Promise<CopyPage> {
  const statement = inlineValues(select, values, (value) => client.escapeLiteral(value));
  const query = new Query(`SELECT * FROM (${statement}) AS page LIMIT 0; COPY (${statement}) TO STDOUT`) as Query & {
    handleRowDescription(message: RowDescription): void;
    handleCopyData(message: { chunk: Uint8Array }): void;
  };
  let described: RowDescription["fields"] | null = null;
  const page = new PageBytes();
  const describe = query.handleRowDescription.bind(query);
  query.handleRowDescription = (message) => {
    described = message.fields;
    describe(message);
  };
  query.handleCopyData = (message) => page.add(message.chunk);
  await new Promise<void>((resolve, reject) => {
    query.once("end", () => resolve());
    query.once("error", reject);
    client.query(query);
  });
  const fields = described as RowDescription["fields"] | null;
  if (!fields) throw new Error("PostgreSQL sent no row description for a page");
  const types = fields.map((field) => typeOf(field.dataTypeID));
  return new CopyPage(
    fields.map((field) => field.name),
    page.length === 0 ? "" : page.text(),
    types.map((type) => type.parse),
    types.map((type) => type.kind),
  );
}
