/**
 * The rows of one object in each format, streamed, each with the point a read resumes from right after it
 * (DESIGN §5.3): a byte offset for plain csv/jsonl (a Range request from there), a count of rows for gzip (the
 * object is read again from its start and that many rows skipped), a row index for Parquet (its row group is read
 * again with range requests, the rows before it dropped).
 */
import { type CsvRow, csvRows } from "../kit/csv";
import { ConnectorError } from "../kit/errors";
import { gunzip, lines, parseJsonExact } from "../kit/streams";
import { type CsvType, INFER_ROWS, headerNames, inferTypes, typedValue } from "./csv-types";
import type { S3Object } from "./listing";
import { type ObjectReader, openObject, sniffGzip } from "./object-body";
import { parquetRows } from "./parquet";

/** Where a read of one object stands; small, as it travels in the checkpoint. */
export interface FileResume {
  /** Data rows consumed (bad ones included): the next row is `_s3_row` = row + 1. */
  row: number;
  /** Plain csv/jsonl: bytes consumed, and the physical lines before that point (for messages). */
  offset?: number;
  line?: number;
  /** csv: the byte offset after the header row, and one type letter per column (csv-types.ts). */
  header_end?: number;
  types?: string;
  /** Every row was read; the soft deletes of the earlier version's rows beyond them reached this row (read.ts). */
  tombstoned?: number;
}

export interface FileRow {
  /** The record's data fields, or null for a row that could not be read (`bad` says why). */
  values: Record<string, unknown> | null;
  bad?: { line: number; reason: string };
  resume: FileResume;
}

export interface FormatOptions {
  format: "csv" | "jsonl" | "parquet";
  delimiter: string;
  csvTypes: "infer" | "text";
}

export function rowsOf(reader: ObjectReader, object: S3Object, resume: FileResume | null, options: FormatOptions): AsyncGenerator<FileRow> {
  // A page that ended on the object's last row: nothing is left (and a Range from its size would answer 416).
  if (resume?.offset !== undefined && resume.offset >= object.size) return nothingLeft();
  if (options.format === "parquet") return parquetRows(reader, object, resume);
  if (options.format === "jsonl") return jsonlRows(reader, object, resume);
  return csvFileRows(reader, object, resume, options);
}

async function* nothingLeft(): AsyncGenerator<FileRow> {}

/** The object's bytes as text-format input: from `offset` when plain and resumable, else from its start, gunzipped. */
async function textBody(reader: ObjectReader, object: S3Object, resume: FileResume | null) {
  const offset = resume?.offset ?? 0;
  const opened = await openObject(reader, object, offset);
  if (offset > 0) return { stream: opened.body, resumable: true, skipRows: 0 };
  const sniffed = await sniffGzip(opened.body);
  const stream = sniffed.gzip ? gunzip(sniffed.stream) : sniffed.stream;
  // A Content-Encoding: gzip object may arrive decoded, but its byte offsets are the encoded ones: never Range it.
  const resumable = !sniffed.gzip && !opened.compressed;
  return { stream, resumable, skipRows: resume?.row ?? 0 };
}

async function* jsonlRows(reader: ObjectReader, object: S3Object, resume: FileResume | null): AsyncGenerator<FileRow> {
  const { stream, resumable, skipRows } = await textBody(reader, object, resume);
  let row = resume?.row ?? 0;
  let seen = 0;
  const after = resumable && resume?.offset ? { byteEnd: resume.offset, line: resume.line ?? 0 } : undefined;
  for await (const { text, line, byteEnd } of lines(stream, after ? { after } : {})) {
    if (text.trim() === "") continue;
    if (seen++ < skipRows) continue;
    row++;
    const point: FileResume = resumable ? { row, offset: byteEnd, line } : { row };
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (error) {
      yield { values: null, bad: { line, reason: `not valid JSON (${error instanceof Error ? error.message : String(error)})` }, resume: point };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield { values: null, bad: { line, reason: "not a JSON object" }, resume: point };
      continue;
    }
    yield { values: value as Record<string, unknown>, resume: point };
  }
}

async function headerOf(reader: ObjectReader, object: S3Object, end: number, delimiter: string): Promise<string[]> {
  // The first `end` bytes hold exactly the header row; a resumed chunk reads them again rather than carrying the
  // names (which can be long) in every checkpoint.
  const opened = await openObject(reader, object, 0, end);
  for await (const row of csvRows(opened.body, { delimiter })) return headerNames(row.fields);
  throw new ConnectorError("retryable", `${object.key}: the header row could not be read again`);
}

async function* csvFileRows(reader: ObjectReader, object: S3Object, resume: FileResume | null, options: FormatOptions): AsyncGenerator<FileRow> {
  // A resume by byte offset reads the header row first, then the rest of the object from the offset.
  const resumedHeader = resume?.offset && resume.header_end ? await headerOf(reader, object, resume.header_end, options.delimiter) : null;
  const { stream, resumable, skipRows } = await textBody(reader, object, resume);
  const after = resumable && resume?.offset ? { byteEnd: resume.offset, line: resume.line ?? 0 } : undefined;
  const records = csvRows(stream, { delimiter: options.delimiter, ...(after ? { after } : {}) })[Symbol.asyncIterator]();
  try {
    let header: string[];
    let headerEnd: number;
    if (after && resumedHeader) {
      headerEnd = resume!.header_end!;
      header = resumedHeader;
    } else {
      const first = await records.next();
      // An empty file loads nothing and fails nothing.
      if (first.done) return;
      header = headerNames(first.value.fields);
      headerEnd = first.value.byteEnd;
    }
    const text = options.csvTypes === "text";
    let types: CsvType[] | null = resume?.types ? ([...resume.types] as CsvType[]) : text ? header.map(() => "s") : null;
    let row = resume?.row ?? 0;
    let skipped = 0;
    const sample: CsvRow[] = [];

    let typesText = "";
    const emit = (record: CsvRow): FileRow => {
      row++;
      if (!typesText) typesText = types!.join("");
      const point: FileResume = resumable
        ? { row, header_end: headerEnd, types: typesText, offset: record.byteEnd, line: record.lastLine }
        : { row, header_end: headerEnd, types: typesText };
      if (record.fields.length > header.length) {
        return { values: null, bad: { line: record.line, reason: `${record.fields.length} fields where the header has ${header.length}` }, resume: point };
      }
      const values: Record<string, unknown> = {};
      let widened = false;
      for (let c = 0; c < header.length; c++) {
        const before = types![c];
        values[header[c]!] = typedValue(types!, c, record.fields[c]);
        if (types![c] !== before) widened = true;
      }
      // A widened column: the resume point carries the widened types.
      if (widened) point.types = typesText = types!.join("");
      return { values, resume: point };
    };

    for (;;) {
      const next = await records.next();
      if (next.done) break;
      if (skipped < skipRows) {
        skipped++;
        continue;
      }
      if (!types) {
        sample.push(next.value);
        if (sample.length < INFER_ROWS) continue;
        types = inferTypes(header.length, sample.map((r) => r.fields));
        for (const record of sample) yield emit(record);
        sample.length = 0;
        continue;
      }
      yield emit(next.value);
    }
    if (!types) {
      types = inferTypes(header.length, sample.map((r) => r.fields));
      for (const record of sample) yield emit(record);
    }
  } finally {
    await records.return?.(undefined);
  }
}
