/**
 * A MySQL/MariaDB source's pages as COPY text into the PostgreSQL warehouse (connectors/mysql/connection.ts
 * copyColumn, postgresql/copy-text.ts copyThrough): the same table, value for value and type for type, as the
 * records' way writes from the same pages, and the records' way taken where a value would widen a column.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { SourceTable } from "../../connectors/kit/sql-source";
import { mysqlDialect, openSession } from "../../connectors/mysql/connection";
import { discoverTables } from "../../connectors/mysql/discover";
import { mysqlConnector } from "../../connectors/mysql";
import { mysqlAdmin, mysqlSourceConfig } from "../helpers/mysql";
import { postgresReader } from "../helpers/postgres";
import { copyThroughHarness, readPages } from "./copy-through-harness";
import { postgresHarness } from "./harness";

const admin = mysqlAdmin();
const { query, dropAfterAll } = postgresReader();
const wh = postgresHarness();
const { load, differences, typesOf, throughCopies, upserts } = copyThroughHarness(wh, query, dropAfterAll);

afterAll(async () => {
  await wh.close();
});

const COLUMNS = `id BIGINT PRIMARY KEY, i8 BIGINT, i4 INT, i2 SMALLINT, ti TINYINT, flag TINYINT(1), f DOUBLE,
  amount DECIMAL(12,2), t TEXT, vc VARCHAR(20), d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME, bin VARBINARY(8),
  bits BIT(8), j JSON, e ENUM('a','b'), y YEAR`;

const PLAIN_ROWS = `
  (1, 999999999999999, -2147483648, 32767, -128, 1, 1.5, 123.45, 'tab\\there\\nline\\r\\\\back \\\\N ünï €😀', 'x',
   '2024-02-29', '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.5', '12:34:56', X'00FF0A09', b'10100101',
   '"t\\\\tb"', 'a', 2024),
  (2, -999999999999999, NULL, NULL, 0, 0, NULL, NULL, '', NULL, NULL, '2000-01-01 00:00:00', NULL, NULL, X'', NULL,
   'null', NULL, NULL),
  (3, 0, 7, -1, 5, 5, -0.01, -5.00, '\\\\N', 'ünï', '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01',
   '-838:59:59', NULL, b'0', '"str"', 'b', 1901)`;

/**
 * A bigint beyond 2^53 in an integer column, MySQL's zero date, and a JSON object in a column MariaDB describes as
 * text: the records widen those columns (to numeric, text and jsonb).
 */
const WIDENING_ROWS = `
  (10, 9223372036854775807, 1, 1, 1, 1, 1, 1, 'a', 'a', '2024-01-01', '0000-00-00 00:00:00', NULL, '00:00:00', NULL, NULL,
   '{"a": "t\\\\tb", "b": [1, 2.5], "big": 12345678901234567890}', 'a', 2000)`;

async function sourceTable(rows: string): Promise<{ database: string; table: SourceTable }> {
  const database = await admin.database("thru");
  await admin.query(`CREATE TABLE \`${database}\`.items (${COLUMNS})`);
  await admin.query("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  await admin.query(`INSERT INTO \`${database}\`.items VALUES ${rows}`);
  const config = mysqlConnector.config.parse(mysqlSourceConfig(database));
  const session = await openSession(config, true);
  try {
    return { database, table: (await discoverTables(session, config)).find((t) => t.table === "items")! };
  } finally {
    await session.close();
  }
}

const readAll = async (database: string, table: SourceTable, maxPageRows: number) =>
  readPages(await openSession(mysqlConnector.config.parse(mysqlSourceConfig(database)), true), mysqlDialect, table, maxPageRows);

describe("mysql source COPY text into PostgreSQL", () => {
  it("writes the table the records' way writes, every group through, without an upsert", async () => {
    const { database, table } = await sourceTable(PLAIN_ROWS);
    for (const maxPageRows of [1, 10]) {
      const pages = await readAll(database, table, maxPageRows);
      expect(pages.every((page) => page.copyText)).toBe(true);
      const through = await load(table, pages, true);
      const records = await load(table, pages, false);
      expect(await differences(through.schema, records.schema, table)).toEqual([]);
      expect(await typesOf(through.schema, table)).toEqual(await typesOf(records.schema, table));
      expect(throughCopies(through.statements)).toHaveLength(pages.length);
      expect(upserts(through.statements)).toHaveLength(0);
      const sent = throughCopies(through.statements).map((s) => s.params[0]).join("");
      // Cells as MySQL sent them: the DATETIME's own text, TINYINT(1) as t/f, bytes as base64.
      expect(sent).toContain("2024-05-01 10:00:00.123456\t2024-05-01 10:00:00.500000\t12:34:56\tAP8KCQ==\tpQ==");
      expect(sent).toContain("tab\\there\\nline\\r\\\\back \\\\N");
    }
  });

  it("takes the records' way for a group with a value the records widen a column for, with the same result", async () => {
    const { database, table } = await sourceTable(`${PLAIN_ROWS},${WIDENING_ROWS}`);
    const pages = await readAll(database, table, 10);
    expect(pages).toHaveLength(1);
    const through = await load(table, pages, true);
    const records = await load(table, pages, false);
    expect(await differences(through.schema, records.schema, table)).toEqual([]);
    expect(await typesOf(through.schema, table)).toEqual(await typesOf(records.schema, table));
    const typed = Object.fromEntries(((await typesOf(through.schema, table)) as { column_name: string; data_type: string }[]).map((c) => [c.column_name, c.data_type]));
    expect([typed.i8, typed.dt, typed.j]).toEqual(["numeric", "text", "jsonb"]);
  });
});
