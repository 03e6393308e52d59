/**
 * Loading the same source pages into the PostgreSQL warehouse with their COPY text and with their records only, and
 * comparing the two tables (postgresql-copy-through.test.ts, mysql-copy-through.test.ts).
 */
import type { Page, ReadRequest } from "../../connectors/kit/contract";
import { type SourceSession, type SourceTable, type SqlDialect, readKeyset } from "../../connectors/kit/sql-source";
import type { StreamTarget, WarehouseAdapter, WriteBatch } from "../../src/warehouses/contract";
import { tableName } from "../../src/warehouses/naming";
import { postgresSchemaName } from "../../src/warehouses/postgresql";
import { type Statement, type WarehouseUnderTest, uniqueSchema } from "./harness";

export function copyThroughHarness(wh: WarehouseUnderTest, query: (sql: string) => Promise<unknown[]>, dropAfterAll: (schema: string) => void) {
  const SYNCED_AT = "2024-05-01T12:00:00.000Z";
  const targetOf = (schema: string, table: SourceTable): StreamTarget => ({
    schema,
    stream: table.name,
    sync_mode: "full_refresh",
    primary_key: table.primary_key,
    cursor_field: null,
    json_schema: table.json_schema,
    run_id: "run-1",
  });

  /** A fresh warehouse schema where `stage` writes `table`'s stream (prepared before, finalized after); the statements sent. */
  async function loadWith(table: SourceTable, stage: (adapter: WarehouseAdapter, target: StreamTarget) => Promise<void>): Promise<{ schema: string; statements: Statement[] }> {
    const schema = uniqueSchema("thru");
    dropAfterAll(schema);
    const statements: Statement[] = [];
    const adapter = wh.adapter(statements);
    const target = targetOf(schema, table);
    try {
      await adapter.prepareStream(target);
      await stage(adapter, target);
      await adapter.finalizeStream(target);
    } finally {
      await adapter.close();
    }
    return { schema, statements };
  }

  /** A page as the engine's group would be: with its COPY text, or with its records only. */
  const groupOf = (page: Page, index: number, withCopyText: boolean): WriteBatch => ({
    batch_id: `b${index}`,
    records: page.records,
    synced_at: SYNCED_AT,
    ...(withCopyText ? { copy_text: [page.copyText!] } : {}),
  });

  /** Loads each page as a group. */
  const load = (table: SourceTable, pages: Page[], withCopyText: boolean) =>
    loadWith(table, async (adapter, target) => {
      for (const [index, page] of pages.entries()) await adapter.stage(target, groupOf(page, index, withCopyText));
    });

  /** The warehouse table a loaded source table became. */
  const loaded = (schema: string, table: SourceTable) => `"${postgresSchemaName(schema)}"."${tableName(table.name)}"`;

  /** Rows of one table that the other lacks, both ways, compared as JSON (every value as its type gives it). */
  async function differences(a: string, b: string, table: SourceTable): Promise<unknown[]> {
    const rows = (schema: string) => `SELECT to_jsonb(x) AS row FROM ${loaded(schema, table)} AS x`;
    return query(`(${rows(a)} EXCEPT ${rows(b)}) UNION ALL (${rows(b)} EXCEPT ${rows(a)})`);
  }

  const throughCopies = (statements: Statement[]) => statements.filter((s) => /^COPY .* FROM STDIN$/.test(s.sql) && !s.sql.includes("TRUNCATE"));
  const upserts = (statements: Statement[]) => statements.filter((s) => s.sql.includes("INSERT INTO"));

  /** Column name and type of the loaded table, in order. */
  const typesOf = (schema: string, table: SourceTable) =>
    query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${postgresSchemaName(schema)}' AND table_name = '${tableName(table.name)}' ORDER BY ordinal_position`);

  return { targetOf, load, loadWith, groupOf, loaded, differences, typesOf, throughCopies, upserts };
}

/** Every page of a full read of `table` in one session, at most `maxPageRows` rows a page. */
export async function readPages(session: SourceSession, dialect: SqlDialect, table: SourceTable, maxPageRows: number): Promise<Page[]> {
  const request: ReadRequest = { stream: table, sync_mode: "full_refresh", state: null, checkpoint: null };
  const pages: Page[] = [];
  try {
    for await (const page of readKeyset(session, dialect, request, new AbortController().signal, maxPageRows)) pages.push(page);
  } finally {
    await session.close();
  }
  return pages;
}
