/**
 * Keyset reads (research/connectors-data.md §6): each page is one bounded statement that resumes after the last
 * row of the previous one, so a chunk that dies resumes exactly from its checkpoint and no statement runs long.
 * - A table with a primary key pages by the key; incrementally by (cursor column, key), from the committed
 *   high-water mark minus a safety window, because transactions commit out of timestamp order: a row written by a
 *   long transaction can appear with a cursor older than rows already read. Re-read rows merge by key.
 * - A table or materialized view without a key pages by ctid, the row's physical address (full_refresh only).
 * - A view or partitioned table without a key has neither: it pages by OFFSET over its rows ordered as text, which
 *   is exact while the data does not change during the read.
 */
import type { JsonObject, Page, ReadRequest, SourceRecord } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import type { SourceSession } from "./connection";
import { quoted } from "./connection";
import type { SourceTable } from "./discover";

/** Rows per statement: small enough for any row width to stay well inside a Worker's memory and 60 s. */
export const PAGE_ROWS = 1000;
/** How far behind the high-water mark an incremental read starts again (timestamp and date cursors). */
export const SAFETY_WINDOW = "5 minutes";
const KEY_PREFIX = "__loaders_key_";
const CTID = "__loaders_ctid";
const TIME_TYPES = /^(timestamp|date)/;

export async function* readTable(session: SourceSession, request: ReadRequest, signal: AbortSignal): AsyncGenerator<Page> {
  const table = request.stream as SourceTable;
  if (!table.schema || !table.columnTypes) {
    throw new ConnectorError("configuration", `stream "${request.stream.name}" is not a table of this database; rediscover the streams`);
  }
  const from = `${quoted(table.schema)}.${quoted(table.table)} AS t`;
  const checkpoint = request.checkpoint;
  if (table.primary_key.length > 0) {
    yield* byKey(session, table, from, request, signal);
  } else if (table.kind === "r" || table.kind === "m") {
    let after = typeof checkpoint?.ctid === "string" ? checkpoint.ctid : "(0,0)";
    for (;;) {
      if (signal.aborted) return;
      const rows = await session.query(`SELECT t.*, t.ctid::text AS ${CTID} FROM ${from} WHERE t.ctid > $1::tid ORDER BY t.ctid LIMIT ${PAGE_ROWS}`, [after]);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![CTID] as string;
      for (const row of rows) delete row[CTID];
      yield { records: rows, checkpoint: { ctid: after } };
      if (rows.length < PAGE_ROWS) return;
    }
  } else {
    let offset = typeof checkpoint?.offset === "number" ? checkpoint.offset : 0;
    for (;;) {
      if (signal.aborted) return;
      const rows = await session.query(`SELECT t.* FROM ${from} ORDER BY t::text OFFSET $1 LIMIT ${PAGE_ROWS}`, [offset]);
      if (rows.length === 0) return;
      offset += rows.length;
      yield { records: rows, checkpoint: { offset } };
      if (rows.length < PAGE_ROWS) return;
    }
  }
}

async function* byKey(session: SourceSession, table: SourceTable, from: string, request: ReadRequest, signal: AbortSignal): AsyncGenerator<Page> {
  const incremental = request.sync_mode === "incremental" && table.cursor_field !== null;
  const order = incremental ? [table.cursor_field as string, ...table.primary_key] : table.primary_key;
  const cast = (column: string, position: number) => `$${position}::${table.columnTypes[column] ?? "text"}`;
  const keys = order.map((column, i) => `t.${quoted(column)}::text AS ${KEY_PREFIX}${i}`).join(", ");
  const orderBy = order.map((column) => `t.${quoted(column)}`).join(", ");

  let after = Array.isArray(request.checkpoint?.after) ? (request.checkpoint.after as string[]) : null;
  const floor = incremental && !after && typeof request.state?.cursor === "string" ? request.state.cursor : null;
  for (;;) {
    if (signal.aborted) return;
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (incremental) conditions.push(`t.${quoted(order[0]!)} IS NOT NULL`);
    if (after) {
      conditions.push(`(${orderBy}) > (${order.map((column, i) => cast(column, values.length + i + 1)).join(", ")})`);
      values.push(...after);
    } else if (floor !== null) {
      const cursor = table.cursor_field as string;
      const window = TIME_TYPES.test(table.columnTypes[cursor] ?? "") ? ` - interval '${SAFETY_WINDOW}'` : "";
      values.push(floor);
      conditions.push(`t.${quoted(cursor)} >= ${cast(cursor, values.length)}${window}`);
    }
    const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
    const rows = await session.query(`SELECT t.*, ${keys} FROM ${from}${where} ORDER BY ${orderBy} LIMIT ${PAGE_ROWS}`, values);
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    after = order.map((_, i) => last[`${KEY_PREFIX}${i}`] as string);
    for (const row of rows) for (let i = 0; i < order.length; i++) delete row[`${KEY_PREFIX}${i}`];
    const page: Page = { records: rows as SourceRecord[], checkpoint: { after } as JsonObject };
    // Rows come in cursor order, so the page's last cursor is the greatest read so far in this run.
    if (incremental) page.state = { cursor: after[0] as string };
    yield page;
    if (rows.length < PAGE_ROWS) return;
  }
}
