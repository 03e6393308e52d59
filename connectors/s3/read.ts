/**
 * A file stream read (DESIGN §5.3): the objects under the prefix matching the glob, taken in (LastModified, key)
 * order, each read as rows, pages of PAGE_ROWS records spanning objects. Checkpoint and state:
 * - checkpoint `{after, file}`: `after` the (LastModified, key) of the last object read to its end; `file` the object
 *   being read (key, ETag) and where in it (formats.ts FileResume). A chunk lists the bucket again and resumes inside
 *   `file` only if the object still has that ETag; a re-written object has a newer LastModified, so it sorts later
 *   and is read again from its start there.
 * - state `{cursor, window}`: the greatest (LastModified, key) read, and the ETags of the objects within
 *   SAFETY_WINDOW_MINUTES below it. The next incremental run reads objects after the cursor, and those in the window
 *   whose ETag it has not read: an object written in the same second as the cursor, or listed late with an older
 *   LastModified (a multipart upload is dated when it started), is not missed, and an unchanged one is not re-read.
 * Records are keyed by (_s3_key, _s3_row) or the user's key, with _s3_last_modified the cursor, so a re-read or
 * re-written object's rows replace the earlier ones in the warehouse instead of doubling them. Under file + row keys
 * the state also keeps each object's row count (`rows`), and the checkpoint the counts of the objects this run has
 * read (`counted`): an object re-written shorter is followed by soft deletes (`_loader_deleted_at`, DESIGN §4) of
 * its rows beyond the new count, as rows after its last (the checkpoint's `file.tombstoned` resumes them).
 */
import type { ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { DELETED_AT_FIELD } from "../kit/records";
import { ObjectChanged } from "./errors";
import { type FileResume, type FormatOptions, rowsOf } from "./formats";
import { globToRegExp, literalPrefix, relativeKey } from "./glob";
import { type S3Object, listObjects } from "./listing";
import type { ObjectReader } from "./object-body";
import { S3_FILE_KEY, S3_LAST_MODIFIED, S3_ROW_NUMBER, type S3Config } from "./spec";

/** Records per page; the engine writes groups of 1,000 (extract-chunk.ts WRITE_BATCH_ROWS). */
export const PAGE_ROWS = 1000;
export const SAFETY_WINDOW_MINUTES = 60;
/** ETags the state keeps for the window; beyond that the oldest are re-read next time (merged by key, never doubled). */
export const MAX_WINDOW_ENTRIES = 500;
/** Re-listings after objects changed under one chunk, before the chunk gives up and is retried. */
const MAX_RELISTS = 5;
/**
 * Bytes of keys the row counts may take in the state and the checkpoint (each entry its key's length + 16): about
 * 6,000 keys of 30 characters. Beyond that the counts of the least recently modified objects are dropped, and such
 * an object re-written shorter keeps its trailing rows (README, s3 limits).
 */
export const MAX_ROW_COUNT_BYTES = 256 * 1024;

type Position = [lastModified: string, key: string];

export interface S3Checkpoint {
  after: Position | null;
  file: ({ key: string; etag: string } & FileResume) | null;
  /** Row counts of the objects this run read to their end (file + row keys only), in read order. */
  counted?: RowCount[];
}

export interface S3State {
  cursor: Position;
  window: [key: string, etag: string][];
  /** Row counts of the objects read (file + row keys only), least recently modified first. */
  rows?: RowCount[];
}

type RowCount = [key: string, rows: number];

function isRowCount(value: unknown): value is RowCount {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "number";
}

/** The entries, oldest dropped first, within MAX_ROW_COUNT_BYTES. */
function boundedCounts(entries: RowCount[]): RowCount[] {
  let bytes = 0;
  let from = entries.length;
  while (from > 0 && bytes + entries[from - 1]![0].length + 16 <= MAX_ROW_COUNT_BYTES) bytes += entries[--from]![0].length + 16;
  return from === 0 ? entries : entries.slice(from);
}

export type FileStream = S3Config["streams"][number];

function compare(a: Position, b: Position): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
const positionOf = (o: S3Object): Position => [o.lastModified, o.key];

function isPosition(value: unknown): value is Position {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string";
}

export function parseCheckpoint(value: JsonObject | null): S3Checkpoint {
  if (!value) return { after: null, file: null };
  const after = isPosition(value.after) ? value.after : null;
  const file = value.file && typeof value.file === "object" && !Array.isArray(value.file) ? (value.file as unknown as S3Checkpoint["file"]) : null;
  const counted = Array.isArray(value.counted) ? value.counted.filter(isRowCount) : [];
  return { after, file: file && typeof file.key === "string" && typeof file.row === "number" ? file : null, counted };
}

export function parseState(value: JsonObject | null): S3State | null {
  if (!value || !isPosition(value.cursor)) return null;
  const window = Array.isArray(value.window) ? (value.window.filter((e) => isPosition(e)) as [string, string][]) : [];
  const rows = Array.isArray(value.rows) ? value.rows.filter(isRowCount) : [];
  return { cursor: value.cursor, window, ...(rows.length > 0 ? { rows } : {}) };
}

/** The objects of a stream, sorted by (LastModified, key). */
export async function listStream(reader: ObjectReader, config: S3Config, stream: FileStream): Promise<S3Object[]> {
  const matcher = globToRegExp(stream.glob);
  // The glob's literal directory narrows the listing itself (S3 filters by prefix server-side).
  const base = config.prefix;
  const prefix = base && !base.endsWith("/") ? base : base + literalPrefix(stream.glob);
  const objects: S3Object[] = [];
  for await (const object of listObjects(reader.http, reader.root, prefix, reader.label)) {
    if (object.key.endsWith("/")) continue; // a "folder" marker, not a file
    if (matcher.test(relativeKey(object.key, base))) objects.push(object);
  }
  return objects.sort((a, b) => compare(positionOf(a), positionOf(b)));
}

/** Which listed objects a run reads: all of them, or (incremental) those after the cursor or changed in its window. */
export function objectsToRead(sorted: readonly S3Object[], state: S3State | null): S3Object[] {
  if (!state) return [...sorted];
  const windowStart = new Date(Date.parse(state.cursor[0]) - SAFETY_WINDOW_MINUTES * 60_000).toISOString();
  const read = new Map(state.window);
  return sorted.filter((o) => compare(positionOf(o), state.cursor) > 0 || (o.lastModified >= windowStart && read.get(o.key) !== o.etag));
}

/** The state after reading every object up to `position` (of the run that started from `previous`). */
export function stateAfter(sorted: readonly S3Object[], previous: S3State | null, position: Position, counted?: ReadonlyMap<string, number>): S3State {
  const cursor = previous && compare(previous.cursor, position) > 0 ? previous.cursor : position;
  const windowStart = new Date(Date.parse(cursor[0]) - SAFETY_WINDOW_MINUTES * 60_000).toISOString();
  const window: [string, string][] = [];
  for (let i = sorted.length - 1; i >= 0 && window.length < MAX_WINDOW_ENTRIES; i--) {
    const object = sorted[i]!;
    if (object.lastModified < windowStart) break;
    if (compare(positionOf(object), cursor) <= 0) window.push([object.key, object.etag]);
  }
  if (!counted) return { cursor, window };
  // Counts of objects no longer listed go (a deleted object is not re-read); those read by this run come last.
  const listed = new Set(sorted.map((o) => o.key));
  const rows = (previous?.rows ?? []).filter(([key]) => listed.has(key) && !counted.has(key));
  for (const entry of counted) rows.push(entry);
  return { cursor, window, rows: boundedCounts(rows) };
}

async function* noRows(): AsyncGenerator<never> {}

export interface BadRowCounter {
  (object: S3Object, line: number, reason: string): void;
}

export async function* readFileStream(
  ctx: ConnectorContext,
  reader: ObjectReader,
  config: S3Config,
  stream: FileStream,
  request: ReadRequest,
): AsyncGenerator<Page> {
  const state = request.sync_mode === "incremental" ? parseState(request.state) : null;
  const start = parseCheckpoint(request.checkpoint);
  let { after, file } = start;
  const format: FormatOptions = { format: stream.format, delimiter: stream.csv_delimiter, csvTypes: stream.csv_types };
  let records: SourceRecord[] = [];
  let skippedRows = 0;
  // Under file + row keys a shorter re-written object leaves rows behind unless they are deleted (see the header).
  const rowKeyed = stream.primary_key.length === 0;
  const earlier = new Map(rowKeyed ? (state?.rows ?? []) : []);
  const counted = new Map(rowKeyed ? (start.counted ?? []) : []);
  // The state is sent on the pages where `after` moved (the engine keeps the last one sent): it carries the counts.
  let stateSentFor = after;

  // The object being read and the resume point after its last row, made into the checkpoint's `file` only when a
  // page is cut (not for every row).
  let reading: { object: S3Object; resume: FileResume } | null = null;
  const page = (sorted: readonly S3Object[]): Page => {
    if (reading) file = { key: reading.object.key, etag: reading.object.etag, ...reading.resume };
    const checkpoint: S3Checkpoint = { after, file, ...(counted.size > 0 ? { counted: boundedCounts([...counted]) } : {}) };
    const out: Page = { records, checkpoint: checkpoint as unknown as JsonObject };
    if (after && after !== stateSentFor) {
      out.state = stateAfter(sorted, state, after, rowKeyed ? counted : undefined) as unknown as JsonObject;
      stateSentFor = after;
    }
    if (skippedRows > 0) out.skippedRows = skippedRows;
    records = [];
    skippedRows = 0;
    return out;
  };

  for (let relist = 0; ; relist++) {
    const sorted = await listStream(reader, config, stream);
    const pending = objectsToRead(sorted, state).filter((o) => !after || compare(positionOf(o), after) > 0);
    try {
      for (const object of pending) {
        // Resume inside the checkpoint's object only if it is still the same version.
        const resume = file && file.key === object.key && file.etag === object.etag ? file : null;
        file = resume ?? { key: object.key, etag: object.etag, row: 0 };
        reading = null;
        const lastModified = object.lastModified;
        let rowCount = resume?.row ?? 0;
        // A resume inside the object's soft deletes: its rows were all read.
        const rows = resume?.tombstoned !== undefined ? noRows() : rowsOf(reader, object, resume, format);
        for await (const row of rows) {
          rowCount = row.resume.row;
          reading = { object, resume: row.resume };
          if (row.values === null) {
            const bad = row.bad!;
            if (stream.on_bad_row !== "skip") {
              throw new ConnectorError("data", `${object.key} line ${bad.line}: ${bad.reason} (set on_bad_row to "skip" to skip such rows)`);
            }
            skippedRows++;
          } else {
            row.values[S3_FILE_KEY] = object.key;
            row.values[S3_ROW_NUMBER] = row.resume.row;
            row.values[S3_LAST_MODIFIED] = lastModified;
            records.push(row.values);
          }
          if (records.length >= PAGE_ROWS) yield page(sorted);
        }
        const before = counted.get(object.key) ?? earlier.get(object.key) ?? 0;
        for (let row = (resume?.tombstoned ?? rowCount) + 1; row <= before; row++) {
          records.push({ [S3_FILE_KEY]: object.key, [S3_ROW_NUMBER]: row, [S3_LAST_MODIFIED]: lastModified, [DELETED_AT_FIELD]: lastModified });
          reading = { object, resume: { row: rowCount, tombstoned: row } };
          if (records.length >= PAGE_ROWS) yield page(sorted);
        }
        if (rowKeyed) {
          counted.delete(object.key);
          counted.set(object.key, rowCount);
        }
        after = positionOf(object);
        file = null;
        reading = null;
      }
    } catch (error) {
      if (!(error instanceof ObjectChanged)) throw error;
      // The object was re-written (its new version sorts later) or deleted: list again and go on from `after`.
      if (relist >= MAX_RELISTS) throw new ConnectorError("retryable", `${reader.label}: objects kept changing while they were read`);
      file = null;
      reading = null;
      continue;
    }
    if (records.length > 0 || skippedRows > 0) yield page(sorted);
    return;
  }
}
