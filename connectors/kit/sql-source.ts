/**
 * Database sources over SQL (research/connectors-data.md §6, §7): the shapes a discovered table takes, and keyset
 * reads shared by every engine. Each page is one bounded statement that resumes after the last row of the previous
 * one, so a chunk that dies resumes exactly from its checkpoint and no statement runs long.
 * - A table with a primary key pages by the key; incrementally by (cursor column, key), from the committed
 *   high-water mark minus a safety window, because transactions commit out of timestamp order: a row written by a
 *   long transaction can appear with a cursor older than rows already read. Re-read rows merge by key.
 * - A keyless relation pages by the engine's row locator where it has one (PostgreSQL's ctid), else by OFFSET over
 *   its rows in a total order, which is exact while the data does not change during the read.
 */
import type { Connector, CopyTextRows, JsonObject, LoaderTypeSpec, Page, ReadRequest, SourceRecord, SplitLimits, StreamSpec } from "./contract";
import { z } from "zod";
import { checkpointParser } from "./checkpoint";
import { ConnectorError } from "./errors";

/** Rows of a read's first statement. */
export const PAGE_ROWS = 1000;
/**
 * Each full page lets the next statement ask for twice its rows, up to MAX_PAGE_ROWS, while a page stays within
 * about PAGE_BYTES (its rows' measured width): a statement's round trip and a write group's COPY and report cost
 * the same at 1,000 rows as at 10,000, and at 1,000 a page one stream moved about a fifth fewer rows/s
 * (bench/db-sources.mjs), while a table of wide rows still reads in pages a Worker's 128 MB holds with the next one
 * prefetched and the group being written.
 */
export const MAX_PAGE_ROWS = 10_000;
export const PAGE_BYTES = 4 * 1024 * 1024;
/** How far behind the high-water mark an incremental read starts again (timestamp and date cursors). */
export const SAFETY_WINDOW_MINUTES = 5;
const KEY_PREFIX = "__loaders_key_";
const LOCATOR = "__loaders_locator";

export interface SourceSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** The same, each row as its values in select-list order: what page reads decode into records themselves. */
  queryArrays(text: string, values?: unknown[]): Promise<ArrayRows>;
  close(): Promise<void>;
}

/** About how many bytes a value takes: text by its length, JSON by its text, anything else as a machine word. */
function valueBytes(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || value === undefined) return 1;
  if (typeof value === "object" && !(value instanceof Date)) {
    if (ArrayBuffer.isView(value)) return value.byteLength;
    try {
      return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)).length;
    } catch {
      return 1024;
    }
  }
  return 8;
}

/**
 * A page's rows as value arrays. A session that can (postgresql/copy.ts, mysql/connection.ts) also gives their
 * count, one row at a time, and their COPY text, and decodes `rows` only when they are read.
 */
export interface ArrayRows {
  columns: string[];
  readonly rows: unknown[][];
  count?: number;
  row?(index: number): unknown[];
  copyText?(width: number): CopyTextRows;
}

type PageRow = readonly unknown[] | Record<string, unknown>;

/**
 * The row limit of the statement after a page read with `limit` that returned `rows` (value arrays or records):
 * twice the limit after a full page, capped by `maxRows` (MAX_PAGE_ROWS) and by PAGE_BYTES over the widest of three sampled
 * rows (first, middle, last), never below 10.
 */
export function nextPageRows(limit: number, rows: readonly PageRow[], maxRows = MAX_PAGE_ROWS): number {
  return nextLimit(limit, rows.length, (at) => rows[at]!, maxRows);
}

function nextLimit(limit: number, count: number, rowAt: (index: number) => PageRow, maxRows: number): number {
  if (count < limit || count === 0) return limit;
  let widest = 1;
  for (const at of [0, count >> 1, count - 1]) {
    const row = rowAt(at);
    let bytes = 0;
    for (const value of Array.isArray(row) ? row : Object.values(row)) bytes += valueBytes(value);
    if (bytes > widest) widest = bytes;
  }
  return Math.max(Math.min(10, maxRows), Math.min(maxRows, limit * 2, Math.floor(PAGE_BYTES / widest)));
}

/**
 * The LIMIT of each statement of one read: `limit` for the next statement; `more(rows)` after each page, false
 * where the page came back short (the read's end), else the limit grows for the next one (nextPageRows).
 */
function pageLimits(maxPageRows: number): { readonly limit: number; more(count: number, rowAt: (index: number) => PageRow): boolean } {
  let limit = Math.min(PAGE_ROWS, maxPageRows);
  return {
    get limit() {
      return limit;
    },
    more(count, rowAt) {
      if (count < limit) return false;
      limit = nextLimit(limit, count, rowAt, maxPageRows);
      return true;
    },
  };
}

/** A page's rows counted and read one at a time, without decoding the rest where the session can. */
function rowsOf(result: ArrayRows): { count: number; rowAt: (index: number) => unknown[] } {
  if (result.count !== undefined && result.row) return { count: result.count, rowAt: (index) => result.row!(index) };
  return { count: result.rows.length, rowAt: (index) => result.rows[index]! };
}

/** A page whose records are built when first read, with the rows' COPY text where the session read them so. */
function pageOf(result: ArrayRows, width: number, checkpoint: JsonObject): Page {
  let records: SourceRecord[] | undefined;
  let copyText: CopyTextRows | undefined;
  return {
    get records() {
      records ??= recordsOf(result.columns, result.rows, width);
      return records;
    },
    set records(value) {
      records = value;
    },
    get copyText() {
      copyText ??= result.copyText?.(width);
      return copyText;
    },
    rowCount: result.count ?? result.rows.length,
    checkpoint,
  };
}

/**
 * A page's records from value arrays: the first `width` values, under their column names. Each record gets its
 * properties in one order, so they share one shape; deleting the keyset's helper columns from driver-built objects
 * instead turned every record into a slow dictionary object (a CPU profile of the isolate put that at 6 %).
 */
function recordsOf(columns: string[], rows: unknown[][], width: number): SourceRecord[] {
  const records = new Array<SourceRecord>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const record: SourceRecord = {};
    for (let i = 0; i < width; i++) record[columns[i]!] = row[i] as never;
    records[r] = record;
  }
  return records;
}

/** A discovered stream with what reading it needs beyond the engine's spec (it travels with the spec as JSON). */
export interface SourceTable extends StreamSpec {
  /** The schema (PostgreSQL) or database (MySQL) holding the table. */
  schema: string;
  table: string;
  /** The engine's kind of relation, e.g. pg_class.relkind `r`/`p`/`v`/`m`, or MySQL's `BASE TABLE`/`VIEW`. */
  kind: string;
  /** Column → its SQL type as the catalog spells it, used to read keyset values back as that type. */
  columnTypes: Record<string, string>;
}

/** What differs between engines in the statements a keyset read sends. */
export interface SqlDialect {
  quote(identifier: string): string;
  /** The `position`-th bound value (from 1), read as `columnType`. */
  param(position: number, columnType: string): string;
  /** An expression as text: the exact form checkpoints carry. */
  text(expression: string): string;
  /** A cursor value moved back by SAFETY_WINDOW_MINUTES where its type is a time; unchanged otherwise. */
  minusWindow(value: string, columnType: string): string;
  /** The row locator of a keyless relation of this kind (PostgreSQL's ctid), or null to page by offset. */
  locator(kind: string): { expression: string; type: string; start: string } | null;
  /** A total order over a keyless relation's rows, for offset pages. */
  keylessOrder(table: SourceTable): string;
}

export async function* readKeyset(session: SourceSession, dialect: SqlDialect, request: ReadRequest, signal: AbortSignal, maxPageRows = MAX_PAGE_ROWS): AsyncGenerator<Page> {
  const table = request.stream as SourceTable;
  if (!table.schema || !table.columnTypes) {
    throw new ConnectorError("configuration", `stream "${request.stream.name}" is not a table of this database; rediscover the streams`);
  }
  const from = `${dialect.quote(table.schema)}.${dialect.quote(table.table)} AS t`;
  const checkpoint = request.checkpoint;
  const locator = dialect.locator(table.kind);
  if (table.primary_key.length > 0) {
    yield* byKey(session, dialect, table, from, request, signal, maxPageRows);
  } else if (locator) {
    let after = checkpoint ? parseLocatorCheckpoint(checkpoint).locator : locator.start;
    for (const pages = pageLimits(maxPageRows); ; ) {
      if (signal.aborted) return;
      const result = await session.queryArrays(
        `SELECT t.*, ${dialect.text(locator.expression)} AS ${LOCATOR} FROM ${from} WHERE ${locator.expression} > ${dialect.param(1, locator.type)} ORDER BY ${locator.expression} LIMIT ${pages.limit}`,
        [after],
      );
      const { count, rowAt } = rowsOf(result);
      if (count === 0) return;
      const width = result.columns.length - 1;
      after = rowAt(count - 1)[width] as string;
      yield pageOf(result, width, { locator: after });
      if (!pages.more(count, rowAt)) return;
    }
  } else {
    let offset = checkpoint ? parseOffsetCheckpoint(checkpoint).offset : 0;
    for (const pages = pageLimits(maxPageRows); ; ) {
      if (signal.aborted) return;
      const rows = await session.query(`SELECT t.* FROM ${from} ORDER BY ${dialect.keylessOrder(table)} LIMIT ${pages.limit} OFFSET ${offset}`);
      if (rows.length === 0) return;
      offset += rows.length;
      yield { records: rows, checkpoint: { offset } };
      if (!pages.more(rows.length, (index) => rows[index]!)) return;
    }
  }
}

async function* byKey(session: SourceSession, dialect: SqlDialect, table: SourceTable, from: string, request: ReadRequest, signal: AbortSignal, maxPageRows: number): AsyncGenerator<Page> {
  const incremental = request.sync_mode === "incremental" && table.cursor_field !== null;
  const order = incremental ? [table.cursor_field as string, ...table.primary_key] : table.primary_key;
  const column = (name: string) => `t.${dialect.quote(name)}`;
  const typeOf = (name: string) => table.columnTypes[name] ?? "text";
  const keys = order.map((name, i) => `${dialect.text(column(name))} AS ${KEY_PREFIX}${i}`).join(", ");
  const orderBy = order.map(column).join(", ");

  const resumed = request.checkpoint ? parseKeyCheckpoint(request.checkpoint) : null;
  let after = resumed?.after ?? null;
  // A key range's inclusive upper end (split): the read stops there, and every checkpoint keeps it.
  const until = resumed?.until ?? null;
  for (const bound of [after, until]) {
    if (bound && bound.length !== order.length) {
      // A key of another width belongs to another order: the table's key or cursor changed under a live run.
      throw new ConnectorError("data", `checkpoint names ${bound.length} order values, but "${table.name}" is read in order of ${order.length} (${order.join(", ")})`);
    }
  }
  const floor = incremental && !after && typeof request.state?.cursor === "string" ? request.state.cursor : null;
  for (const pages = pageLimits(maxPageRows); ; ) {
    if (signal.aborted) return;
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (incremental) conditions.push(`${column(order[0]!)} IS NOT NULL`);
    if (after) {
      conditions.push(`(${orderBy}) > (${order.map((name, i) => dialect.param(i + 1, typeOf(name))).join(", ")})`);
      values.push(...after);
    } else if (floor !== null) {
      const cursor = order[0]!;
      values.push(floor);
      conditions.push(`${column(cursor)} >= ${dialect.minusWindow(dialect.param(1, typeOf(cursor)), typeOf(cursor))}`);
    }
    if (until) {
      const first = values.length + 1;
      conditions.push(`(${orderBy}) <= (${order.map((name, i) => dialect.param(first + i, typeOf(name))).join(", ")})`);
      values.push(...until);
    }
    const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
    const result = await session.queryArrays(`SELECT t.*, ${keys} FROM ${from}${where} ORDER BY ${orderBy} LIMIT ${pages.limit}`, values);
    const { count, rowAt } = rowsOf(result);
    if (count === 0) return;
    const last = rowAt(count - 1);
    const width = result.columns.length - order.length;
    after = order.map((_, i) => last[width + i] as string);
    const page = pageOf(result, width, (until ? { after, until } : { after }) as JsonObject);
    // Rows come in cursor order, so the page's last cursor is the greatest read so far in this run.
    if (incremental) page.state = { cursor: after[0] as string };
    yield page;
    if (!pages.more(count, rowAt)) return;
  }
}

/**
 * The three checkpoint shapes of keyset reads: the last row's order values as text, the last row locator, the
 * offset. Anything else is refused rather than read as "start again", which would load the table's rows twice.
 */
const parseKeyCheckpoint = checkpointParser(
  "SQL source",
  z
    .object({ after: z.array(z.string()).min(1).optional(), until: z.array(z.string()).min(1).optional() })
    .refine((checkpoint) => checkpoint.after !== undefined || checkpoint.until !== undefined, "a key checkpoint names a lower or an upper key"),
);

/** Key types a split divides evenly between their least and greatest value (PostgreSQL and MySQL spellings). */
const INTEGER_TYPE = /^(tiny|small|medium|big)?int(eger|2|4|8)?\b/;

/**
 * The inner boundaries that cut the keys `min..max` into at most `parts` ranges of about equal width: range i holds
 * the keys above boundary i-1 and up to boundary i (the first has no lower end, the last no upper). BigInt, since a
 * bigint key beyond 2^53 would round as a number. Fewer key values than parts give one range per value; a single
 * value gives none (no split).
 */
export function keyBoundaries(min: bigint, max: bigint, parts: number): bigint[] {
  const width = max - min + 1n;
  const wanted = BigInt(Math.max(1, Math.floor(parts)));
  const count = wanted < width ? wanted : width;
  const boundaries: bigint[] = [];
  for (let i = 1n; i < count; i++) boundaries.push(min - 1n + (width * i) / count);
  return boundaries;
}

/** The initial checkpoint of each range between `boundaries`: what byKey reads from, bounds included. */
export function rangeCheckpoints(boundaries: bigint[]): JsonObject[] {
  if (boundaries.length === 0) return [];
  const text = boundaries.map(String);
  return [{ until: [text[0]!] }, ...text.slice(1).map((upper, i) => ({ after: [text[i]!], until: [upper] })), { after: [text[text.length - 1]!] }];
}

/** The column a read could be split on, or null where it is read in one piece (see splitKeyset). */
function splitKey(request: ReadRequest): string | null {
  const table = request.stream as SourceTable;
  const key = table.primary_key.length === 1 ? table.primary_key[0]! : null;
  if (request.sync_mode !== "full_refresh" || request.checkpoint || !key || !table.columnTypes) return null;
  return INTEGER_TYPE.test(table.columnTypes[key] ?? "") ? key : null;
}

/**
 * The ranges of a full_refresh read of a table keyed by one integer column whose estimated rows exceed
 * `rowsPerRange`: ceil(rows / rowsPerRange) ranges (at most `maxRanges`), evenly over the key's min..max (one
 * index lookup each end). Anything else reads in one piece: incremental reads (the state is the greatest cursor of
 * one ordered read), keyless tables (their re-read rules count pages of one read), composite and non-integer keys
 * (no cheap even cut), and tables whose size is unknown (never analyzed) or under the limit.
 */
export async function splitKeyset(
  session: SourceSession,
  dialect: SqlDialect,
  estimateRows: (session: SourceSession, table: SourceTable) => Promise<number | null>,
  request: ReadRequest,
  limits: SplitLimits,
): Promise<JsonObject[] | null> {
  const table = request.stream as SourceTable;
  const key = splitKey(request);
  if (!key) return null;
  const rows = await estimateRows(session, table);
  if (rows === null || rows <= limits.rowsPerRange) return null;
  const column = `t.${dialect.quote(key)}`;
  const [ends] = await session.query<{ lo: string | null; hi: string | null }>(
    `SELECT ${dialect.text(`min(${column})`)} AS lo, ${dialect.text(`max(${column})`)} AS hi FROM ${dialect.quote(table.schema)}.${dialect.quote(table.table)} AS t`,
  );
  if (!ends || ends.lo === null || ends.hi === null) return null;
  const ranges = rangeCheckpoints(keyBoundaries(BigInt(ends.lo), BigInt(ends.hi), Math.min(limits.maxRanges, Math.ceil(rows / limits.rowsPerRange))));
  return ranges.length > 1 ? ranges : null;
}
const parseLocatorCheckpoint = checkpointParser("SQL source", z.object({ locator: z.string() }));
const parseOffsetCheckpoint = checkpointParser("SQL source", z.object({ offset: z.number().int().min(0) }));

/**
 * A timestamp as SQL engines write it in UTC sessions — `2024-05-01 10:00:00.123456`, with `+00` from PostgreSQL's
 * timestamptz — as RFC 3339 UTC with every fractional digit (a JavaScript Date would keep milliseconds only). A
 * timestamp without zone is taken as UTC, as Fivetran does. Anything else (`infinity`, BC dates, MySQL's zero
 * date) stays as the engine wrote it.
 */
export function isoTimestamp(text: string): string {
  // The common forms by character tests, once per timestamp cell: the regular expression cost 2 % of the isolate's
  // time in bench/db-sources.mjs's profile. Any other text goes to it, so both always agree (test/kit/iso-timestamp).
  const length = text.length;
  if (length < 19 || text.charCodeAt(10) !== 32 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return isoTimestampByPattern(text);
  }
  for (const at of TIMESTAMP_DIGITS) if (!isDigit(text, at)) return isoTimestampByPattern(text);
  let end = 19;
  if (text.charCodeAt(end) === 46) {
    const start = ++end;
    while (end < length && isDigit(text, end)) end++;
    if (end === start) return isoTimestampByPattern(text);
  }
  const zone = length - end;
  // Nothing, `+00`, `+00:00` or `+0000` after the time: the instant in UTC.
  if (zone === 0 || (zone === 3 && text.endsWith("+00")) || (zone === 6 && text.endsWith("+00:00")) || (zone === 5 && text.endsWith("+0000"))) {
    return `${text.slice(0, 10)}T${text.slice(11, end)}Z`;
  }
  return isoTimestampByPattern(text);
}

/** isoTimestamp by its regular expression: what the character tests must agree with. */
export function isoTimestampByPattern(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\+00(?::?00)?)?$/.exec(text);
  return match ? `${match[1]}T${match[2]}Z` : text;
}

/** Where `YYYY-MM-DD HH:MM:SS` has its digits. */
const TIMESTAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

function isDigit(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
}

/** What makes a database a source: how to open a session, its dialect, its catalog. */
export interface SqlSourceParts<C extends JsonObject> {
  spec: LoaderTypeSpec<C>;
  /** A read-only session; refuses an unencrypted connection outside development. */
  open(config: C, development: boolean): Promise<SourceSession>;
  dialect: SqlDialect;
  discover(session: SourceSession, config: C): Promise<SourceTable[]>;
  /** What a config can get wrong beyond the login, that discovery would only show as a catalog with streams missing. */
  verify?(session: SourceSession, config: C): Promise<void>;
  /** The table's row count as the catalog estimates it (no scan), or null where the catalog does not know. */
  estimateRows(session: SourceSession, table: SourceTable): Promise<number | null>;
}

/** A database source connector: one session per check, discovery or read, closed when it ends. */
export function sqlSourceConnector<C extends JsonObject>(parts: SqlSourceParts<C>): Connector<C> & Required<Pick<Connector<C>, "discover">> {
  const withSession = async <T>(config: C, development: boolean, use: (session: SourceSession) => Promise<T>): Promise<T> => {
    const session = await parts.open(config, development);
    try {
      return await use(session);
    } finally {
      await session.close();
    }
  };
  return {
    ...parts.spec,
    async check(ctx, config) {
      await withSession(config, ctx.development === true, async (session) => {
        await parts.verify?.(session, config);
      });
    },
    async discover(ctx, config) {
      return withSession(config, ctx.development === true, (session) => parts.discover(session, config));
    },
    async split(ctx, config, request, limits) {
      // Decided without a connection where the stream's spec already rules a split out.
      if (!splitKey(request)) return null;
      return withSession(config, ctx.development === true, (session) => splitKeyset(session, parts.dialect, parts.estimateRows, request, limits));
    },
    async *read(ctx, config, request) {
      const session = await parts.open(config, ctx.development === true);
      try {
        yield* readKeyset(session, parts.dialect, request, ctx.signal, ctx.maxPageRows);
      } finally {
        await session.close();
      }
    },
  };
}
