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
import type { Connector, JsonObject, LoaderTypeSpec, Page, ReadRequest, SourceRecord, StreamSpec } from "./contract";
import { z } from "zod";
import { checkpointParser } from "./checkpoint";
import { ConnectorError } from "./errors";

/** Rows per statement: small enough for any row width to stay well inside a Worker's memory and 60 s. */
export const PAGE_ROWS = 1000;
/** How far behind the high-water mark an incremental read starts again (timestamp and date cursors). */
export const SAFETY_WINDOW_MINUTES = 5;
const KEY_PREFIX = "__loaders_key_";
const LOCATOR = "__loaders_locator";

export interface SourceSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** The same, each row as its values in select-list order: what page reads decode into records themselves. */
  queryArrays(text: string, values?: unknown[]): Promise<{ columns: string[]; rows: unknown[][] }>;
  close(): Promise<void>;
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

export async function* readKeyset(session: SourceSession, dialect: SqlDialect, request: ReadRequest, signal: AbortSignal): AsyncGenerator<Page> {
  const table = request.stream as SourceTable;
  if (!table.schema || !table.columnTypes) {
    throw new ConnectorError("configuration", `stream "${request.stream.name}" is not a table of this database; rediscover the streams`);
  }
  const from = `${dialect.quote(table.schema)}.${dialect.quote(table.table)} AS t`;
  const checkpoint = request.checkpoint;
  const locator = dialect.locator(table.kind);
  if (table.primary_key.length > 0) {
    yield* byKey(session, dialect, table, from, request, signal);
  } else if (locator) {
    let after = checkpoint ? parseLocatorCheckpoint(checkpoint).locator : locator.start;
    for (;;) {
      if (signal.aborted) return;
      const { columns, rows } = await session.queryArrays(
        `SELECT t.*, ${dialect.text(locator.expression)} AS ${LOCATOR} FROM ${from} WHERE ${locator.expression} > ${dialect.param(1, locator.type)} ORDER BY ${locator.expression} LIMIT ${PAGE_ROWS}`,
        [after],
      );
      if (rows.length === 0) return;
      const width = columns.length - 1;
      after = rows[rows.length - 1]![width] as string;
      yield { records: recordsOf(columns, rows, width), checkpoint: { locator: after } };
      if (rows.length < PAGE_ROWS) return;
    }
  } else {
    let offset = checkpoint ? parseOffsetCheckpoint(checkpoint).offset : 0;
    for (;;) {
      if (signal.aborted) return;
      const rows = await session.query(`SELECT t.* FROM ${from} ORDER BY ${dialect.keylessOrder(table)} LIMIT ${PAGE_ROWS} OFFSET ${offset}`);
      if (rows.length === 0) return;
      offset += rows.length;
      yield { records: rows, checkpoint: { offset } };
      if (rows.length < PAGE_ROWS) return;
    }
  }
}

async function* byKey(session: SourceSession, dialect: SqlDialect, table: SourceTable, from: string, request: ReadRequest, signal: AbortSignal): AsyncGenerator<Page> {
  const incremental = request.sync_mode === "incremental" && table.cursor_field !== null;
  const order = incremental ? [table.cursor_field as string, ...table.primary_key] : table.primary_key;
  const column = (name: string) => `t.${dialect.quote(name)}`;
  const typeOf = (name: string) => table.columnTypes[name] ?? "text";
  const keys = order.map((name, i) => `${dialect.text(column(name))} AS ${KEY_PREFIX}${i}`).join(", ");
  const orderBy = order.map(column).join(", ");

  let after = request.checkpoint ? parseKeyCheckpoint(request.checkpoint).after : null;
  if (after && after.length !== order.length) {
    // A key of another width belongs to another order: the table's key or cursor changed under a live run.
    throw new ConnectorError("data", `checkpoint names ${after.length} order values, but "${table.name}" is read in order of ${order.length} (${order.join(", ")})`);
  }
  const floor = incremental && !after && typeof request.state?.cursor === "string" ? request.state.cursor : null;
  for (;;) {
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
    const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
    const { columns, rows } = await session.queryArrays(`SELECT t.*, ${keys} FROM ${from}${where} ORDER BY ${orderBy} LIMIT ${PAGE_ROWS}`, values);
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    const width = columns.length - order.length;
    after = order.map((_, i) => last[width + i] as string);
    const page: Page = { records: recordsOf(columns, rows, width), checkpoint: { after } as JsonObject };
    // Rows come in cursor order, so the page's last cursor is the greatest read so far in this run.
    if (incremental) page.state = { cursor: after[0] as string };
    yield page;
    if (rows.length < PAGE_ROWS) return;
  }
}

/**
 * The three checkpoint shapes of keyset reads: the last row's order values as text, the last row locator, the
 * offset. Anything else is refused rather than read as "start again", which would load the table's rows twice.
 */
const parseKeyCheckpoint = checkpointParser("SQL source", z.object({ after: z.array(z.string()).min(1) }));
const parseLocatorCheckpoint = checkpointParser("SQL source", z.object({ locator: z.string() }));
const parseOffsetCheckpoint = checkpointParser("SQL source", z.object({ offset: z.number().int().min(0) }));

/**
 * A timestamp as SQL engines write it in UTC sessions — `2024-05-01 10:00:00.123456`, with `+00` from PostgreSQL's
 * timestamptz — as RFC 3339 UTC with every fractional digit (a JavaScript Date would keep milliseconds only). A
 * timestamp without zone is taken as UTC, as Fivetran does. Anything else (`infinity`, BC dates, MySQL's zero
 * date) stays as the engine wrote it.
 */
export function isoTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\+00(?::?00)?)?$/.exec(text);
  return match ? `${match[1]}T${match[2]}Z` : text;
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
    async *read(ctx, config, request) {
      const session = await parts.open(config, ctx.development === true);
      try {
        yield* readKeyset(session, parts.dialect, request, ctx.signal);
      } finally {
        await session.close();
      }
    },
  };
}
