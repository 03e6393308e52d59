/**
 * A PostgreSQL source's COPY text copied through into the PostgreSQL warehouse (postgresql/copy-text.ts
 * copyThrough): the same table, value for value and type for type, as the records' way writes from the same pages,
 * and the records' way taken wherever a cell would not be the same value as it came (widening values, NULL keys,
 * keys already there).
 */
import { afterAll, describe, expect, it } from "vitest";
import type { CopyTextRows } from "../../connectors/kit/contract";
import { type SourceTable, isoTimestamp } from "../../connectors/kit/sql-source";
import { openSession, postgresDialect } from "../../connectors/postgresql/connection";
import { postgresqlConnector } from "../../connectors/postgresql";
import type { StreamTarget } from "../../src/warehouses/contract";
import { planLoad } from "../../src/warehouses/load-plan";
import { copyThrough } from "../../src/warehouses/postgresql/copy-text";
import { pgConfig } from "../helpers/api";
import { uniqueName } from "../helpers/engine";
import { discoveredTable, postgresReader } from "../helpers/postgres";
import { copyThroughHarness, readPages } from "./copy-through-harness";
import { postgresHarness } from "./harness";

const { query, dropAfterAll } = postgresReader();
const wh = postgresHarness();
const { load, loadWith, groupOf, loaded, differences, typesOf, throughCopies, upserts } = copyThroughHarness(wh, query, dropAfterAll);

afterAll(async () => {
  await wh.close();
});

const COLUMNS = `id bigint primary key, i2 smallint, i4 int, i8 bigint, f8 double precision, n numeric, n2 numeric(12,2),
  b boolean, t text, vc varchar(20), j json, jb jsonb, ts timestamp, tstz timestamptz, d date, u uuid, by bytea,
  ia int[], e text`;

/** Values each of whose cells goes as it is or through its parser, never widening a column. */
const PLAIN_ROWS = `
  (1, 1, -2147483648, 999999999999999, 1.5, 123.4500, 0.10, true, E'tab\\there\\nline\\r\\\\back \\\\N ünï €😀', 'x',
   '{"a": "t\\tb", "b": [1, 2.50]}', '{"k": "v\\\\n", "n": 7}', '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.5+02',
   '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff0a09', '{1,NULL,3}', E'\\\\.'),
  (2, null, null, -999999999999999, 2.5e-300, 'NaN', null, false, '', null, 'null', '[]', '2000-01-01 00:00:00',
   '1970-01-01 00:00:00+00', null, null, '\\x', '{}', E'\\\\N'),
  (3, 32767, 7, 0, -0.0, -0.01, -5.00, null, E'\\ufeffbom first', 'ünï', '"str"', '{"nested": {"deep": [true, null]}}',
   '0999-12-31 23:59:59.999999', '2024-12-31 23:59:59+00', '0001-01-01', null, null, null, E'line\\nbreak'),
  (4, 4, 4, 4, 4.5, 4, 4, true, 'four', 'iv', '{"x": 1}', '{"a": 1, "b": [-3, 0, 10], "c": "x1.5", "d": {"e": null}}',
   '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01', null, null, null, 'e4'),
  (5, 5, 5, 5, 5.5, 5, 5, false, 'five', 'v', '5', '{"f": 2.50, "big": 12345678901234567890, "z": -0, "e": 1e2, "lead": 0.5}',
   '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01', null, null, null, 'e5'),
  (6, 6, 6, 6, 6.5, 6, 6, false, 'six', 'vi', 'null', 'null', '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01',
   null, null, null, 'e6')`;

/** Rows whose values the records' way widens a column for, or writes otherwise than as they came. */
const WIDENING_ROWS = `
  (10, 1, 1, 9223372036854775807, 'NaN', 1, 1, true, 'a', 'a', '{}', '{}', 'infinity', '-infinity', 'infinity', null, null, null, 'x'),
  (11, 1, 1, 1, 1, 1, 1, true, 'a', 'a', '{}', '{}', '0044-03-15 12:00:00 BC', '10000-01-01 00:00:00+00', '0044-03-15 BC', null, null, null, 'x')`;

async function sourceTable(schema: string, name: string, rows: string): Promise<SourceTable> {
  await query(`create table ${schema}.${name} (${COLUMNS})`);
  await query(`insert into ${schema}.${name} values ${rows}`);
  return discoveredTable(schema, name);
}

const readAll = async (schema: string, table: SourceTable, maxPageRows: number) =>
  readPages(await openSession(postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] }), true), postgresDialect, table, maxPageRows);

describe("postgresql source COPY text copied through", () => {
  it("writes the table the records' way writes, cells as they came, without an upsert", async () => {
    const source = uniqueName("thru_src");
    dropAfterAll(source);
    await query(`create schema ${source}`);
    const table = await sourceTable(source, "plain", PLAIN_ROWS);
    // One row a page: each group is planned from its own first record, so each row's types are decided alone.
    for (const maxPageRows of [1, 10]) {
      const pages = await readAll(source, table, maxPageRows);
      expect(pages.every((page) => page.copyText)).toBe(true);
      const through = await load(table, pages, true);
      const records = await load(table, pages, false);
      expect(await differences(through.schema, records.schema, table)).toEqual([]);
      expect(await typesOf(through.schema, table)).toEqual(await typesOf(records.schema, table));
      expect((await query(`SELECT count(*)::int AS n FROM ${loaded(through.schema, table)}`))[0]).toEqual({ n: 6 });
      // Every group went through: one COPY each, no upsert, and the source's own text in it (not records' ISO forms).
      expect(throughCopies(through.statements)).toHaveLength(pages.length);
      expect(upserts(through.statements)).toHaveLength(0);
      const sent = throughCopies(through.statements).map((s) => s.params[0]).join("");
      expect(sent).toContain("2024-05-01 10:00:00.123456\t2024-05-01 08:00:00.5+00");
      expect(sent).toContain("tab\\there\\nline\\r\\\\back \\\\N");
      // jsonb whose numbers a double prints back alike goes as PostgreSQL wrote it; 2.50 or 2^60 are decoded.
      expect(sent).toContain('{"a": 1, "b": [-3, 0, 10], "c": "x1.5", "d": {"e": null}}');
      expect(sent).toContain('"big":12345678901234567000');
    }
  });

  it("takes the records' way for a group with a value the records would widen a column for, with the same result", async () => {
    const source = uniqueName("thru_src");
    dropAfterAll(source);
    await query(`create schema ${source}`);
    const table = await sourceTable(source, "edge", `${PLAIN_ROWS},${WIDENING_ROWS}`);
    const pages = await readAll(source, table, 10);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.copyText!.count).toBe(8);
    const through = await load(table, pages, true);
    const records = await load(table, pages, false);
    expect(await differences(through.schema, records.schema, table)).toEqual([]);
    expect(await typesOf(through.schema, table)).toEqual(await typesOf(records.schema, table));
    expect(throughCopies(through.statements).filter((s) => !s.sql.includes("loaders_copy"))).toHaveLength(1);
    expect(await query(`SELECT i8::text AS i8, ts::text AS ts FROM ${loaded(through.schema, table)} WHERE id IN (10, 11) ORDER BY id`)).toEqual([
      { i8: "9223372036854775807", ts: "infinity" },
      { i8: "1", ts: "0044-03-15 12:00:00 BC" },
    ]);
  });

  it("a redelivered group meets its keys already there and is upserted, then so is the chunk's next group", async () => {
    const source = uniqueName("thru_src");
    dropAfterAll(source);
    await query(`create schema ${source}`);
    const table = await sourceTable(source, "plain", PLAIN_ROWS);
    const pages = await readAll(source, table, 1);
    const { schema, statements } = await loadWith(table, async (adapter, target) => {
      await adapter.stage(target, groupOf(pages[0]!, 0, true));
      expect(await adapter.stage(target, groupOf(pages[0]!, 0, true))).toEqual({ rows_staged: 1 });
      await adapter.stage(target, groupOf(pages[1]!, 1, true));
    });
    expect(upserts(statements)).toHaveLength(2);
    expect(await query(`SELECT id::int AS id FROM ${loaded(schema, table)} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe("copyThrough", () => {
  const target: StreamTarget = {
    schema: "s",
    stream: "items",
    sync_mode: "full_refresh",
    primary_key: ["id"],
    cursor_field: null,
    json_schema: { type: "object", properties: { id: { type: ["integer", "null"] }, name: { type: ["string", "null"] }, at: { type: ["string", "null"], format: "date-time" } } },
    run_id: "r",
  };
  const rows = (text: string, columns = ["id", "name", "at"]): CopyTextRows => ({
    text,
    count: text.split("\n").length - 1,
    columns,
    kinds: columns.map((c) => (c === "id" ? "integer" : c === "at" ? "timestamp" : "text")),
    values: columns.map((c) => (c === "id" ? (t: string) => BigInt(t) : c === "at" ? isoTimestamp : (t: string) => t)),
  });
  const plan = planLoad(target, [{ id: 1n, name: "a", at: "2024-01-01T00:00:00Z" }], null);

  it("copies cells as they came, with the metadata after them, and only the record's fields", () => {
    expect(copyThrough(plan, [rows("1\ta\\tb\t2024-01-01 00:00:00\tkey1\n2\t\\N\t\\N\tkey2\n")], ["id"], ["r", "s", "b"])).toEqual({
      columns: ["id", "name", "at"],
      text: "1\ta\\tb\t2024-01-01 00:00:00\t\\N\tr\ts\tb\n2\t\\N\t\\N\t\\N\tr\ts\tb\n",
    });
  });

  it("decodes a cell that is not in its plain form and writes it as copyText would", () => {
    expect(copyThrough(plan, [rows("3\tx\t2024-01-01T00:00:00Z\tk\n")], ["id"], [])?.text).toBe("3\tx\t2024-01-01T00:00:00Z\t\\N\n");
  });

  it("copies jsonb as it came only where the records would write the same jsonb", () => {
    const jsonTarget: StreamTarget = { ...target, json_schema: { type: "object", properties: { id: { type: ["integer", "null"] }, doc: { type: ["object", "null"] } } } };
    const jsonPlan = planLoad(jsonTarget, [{ id: 1n, doc: {} }], null);
    const cell = (doc: string) => {
      const page: CopyTextRows = { text: `1\t${doc}\tk\n`, count: 1, columns: ["id", "doc"], kinds: ["integer", "jsonb"], values: [(t) => BigInt(t), (t) => JSON.parse(t)] };
      return copyThrough(jsonPlan, [page], ["id"], [])!.text.split("\t")[1];
    };
    expect(cell('{"a": [1, -20, 0], "b": "2.5", "c": true}')).toBe('{"a": [1, -20, 0], "b": "2.5", "c": true}');
    expect(cell('{"a": 2.50}')).toBe('{"a":2.5}');
    expect(cell('{"a": 12345678901234567890}')).toBe('{"a":12345678901234567000}');
    expect(cell('{"a": -0}')).toBe('{"a":0}');
    // An escape inside a string goes to the parser: COPY doubles the backslash, which the scan does not read.
    expect(cell('{"a": "\\\\u00e9"}')).toBe('{"a":"é"}');
    expect(cell("null")).toBe("\\N");
  });

  it("gives the group to the records' way: a NULL key, a value that widens, a field the plan does not write", () => {
    expect(copyThrough(plan, [rows("\\N\ta\t\\N\tk\n")], ["id"], [])).toBeNull();
    expect(copyThrough(plan, [rows("1\ta\tinfinity\tk\n")], ["id"], [])).toBeNull();
    expect(copyThrough(plan, [rows("9223372036854775807\ta\t\\N\tk\n")], ["id"], [])).toBeNull();
    expect(copyThrough(plan, [rows("1\ta\t\\N\tx\tk\n", ["id", "name", "at", "other"])], ["id"], [])).toBeNull();
    expect(copyThrough(plan, [rows("1\ta\n")], ["id"], [])).toBeNull();
  });
});
