/**
 * Page reads by COPY (connectors/postgresql/copy.ts): the statement's values inlined as literals, COPY's text format
 * decoded, and — against the real PostgreSQL — every value of every type read the same as a SELECT's DataRows give
 * it through the same type parsers.
 */
import { describe, expect, it } from "vitest";
import { PAGE_ROWS } from "../../../connectors/kit/sql-source";
import { unescapeCopyText } from "../../../connectors/kit/copy-text";
import { CopyPage, inlineValues } from "../../../connectors/postgresql/copy";
import { openSession } from "../../../connectors/postgresql/connection";
import { postgresqlConnector } from "../../../connectors/postgresql";
import { pgConfig } from "../../helpers/api";
import { uniqueName } from "../../helpers/engine";
import { postgresReader } from "../../helpers/postgres";

const { query, dropAfterAll } = postgresReader();
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

describe("COPY page statements", () => {
  it("inlines $n values as literals, never inside quoted identifiers or strings", () => {
    expect(inlineValues(`SELECT t.* FROM "s"."a$1" AS t WHERE (t."id") > ($1::bigint) AND t."x$2" = $2::text`, ["10", "it's"], literal)).toBe(
      `SELECT t.* FROM "s"."a$1" AS t WHERE (t."id") > ('10'::bigint) AND t."x$2" = 'it''s'::text`,
    );
    expect(inlineValues(`SELECT '$1', "q""$1", $10 FROM t WHERE x = $1`, ["a", "", "", "", "", "", "", "", "", "ten"], literal)).toBe(
      `SELECT '$1', "q""$1", 'ten' FROM t WHERE x = 'a'`,
    );
    expect(inlineValues("SELECT $1, $2, $3", [null, 5, true], literal)).toBe("SELECT NULL, '5', 'true'");
    expect(() => inlineValues("SELECT $2", ["a"], literal)).toThrow(/\$2 of 1/);
    expect(() => inlineValues(`SELECT "open`, [], literal)).toThrow(/unterminated/);
    expect(() => inlineValues("SELECT $1", [{}], literal)).toThrow(/text, a number or a boolean/);
  });

  it("decodes COPY's text format: escapes, NULL against the text \\N, empty strings, field counts", () => {
    expect(unescapeCopyText("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh")).toBe("a\tb\nc\\d\re\bf\fg\vh");
    expect(unescapeCopyText("\\101\\x42\\q\\")).toBe("ABq\\");
    const parsers = [undefined, (text: string) => Number(text), undefined];
    const pageRows = (text: string, fieldParsers: typeof parsers) => {
      const page = new CopyPage(["a", "b", "c"], text, fieldParsers, ["text", "integer", "text"]);
      const rows = page.rows;
      // One row read alone decodes as the whole page does.
      expect(rows.map((_, index) => page.row(index))).toEqual(rows);
      return rows;
    };
    expect(pageRows("a\t1\t\\N\n\t2\t\\\\N\n\\N\t\\N\tx\\ty\n", parsers)).toEqual([
      ["a", 1, null],
      ["", 2, "\\N"],
      [null, null, "x\ty"],
    ]);
    expect(pageRows("", parsers)).toEqual([]);
    expect(() => pageRows("a\t1\n", parsers)).toThrow(/3 fields/);
    expect(() => pageRows("a\t1\tb\tc\n", parsers)).toThrow(/3 fields/);
    expect(() => pageRows("a\t1\tb", parsers)).toThrow(/inside a row/);
  });
});

describe("postgresql page reads by COPY", () => {
  it("read every type exactly as a SELECT's DataRows through the same parsers", async () => {
    const schema = uniqueName("copy");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create type ${schema}.mood as enum ('sad', 'ok')`);
    await query(`create table ${schema}.wide (
      id bigint primary key, i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision, n numeric, n2 numeric(12,2),
      b boolean, t text, vc varchar(20), ch char(3), j json, jb jsonb, ts timestamp, tstz timestamptz, d date,
      tm time, iv interval, u uuid, by bytea, ia int[], ta text[], ja jsonb[], ip inet, m ${schema}.mood, e text)`);
    await query(`insert into ${schema}.wide values
      (1, 1, -2, 9007199254740993, 1.5, -0.1, 123456789012345678901234567890.123456789, 10.50, true,
       E'tab\\there\\nnew line\\r\\\\back\\\\slash \\\\N ''quote'' "dq" ünï €😀', 'x', 'ab', '{"a": "t\\tb", "b": [1, 2.50]}',
       '{"k": "v\\\\n", "big": 12345678901234567890}', '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.5+02', '2024-02-29',
       '23:59:59.999999', '1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff0a09',
       '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL,"NULL"}', array['{"x":1}'::jsonb], '192.168.0.1/24', 'ok', ''),
      (2, null, null, null, 'NaN', '-Infinity', 'NaN', null, false, '', null, null, 'null', '[]', 'infinity', '-infinity',
       '-infinity', null, null, null, '\\x', '{}', '{}', null, null, null, E'\\\\N'),
      (3, 32767, 2147483647, -9223372036854775808, 'Infinity', 1e308, -0.0, -0.01, null, E'\\ufeffbom first', 'ünï', 'a',
       '"str"', '{"nested": {"deep": [true, false, null]}}', '0001-01-01 00:00:00', '1970-01-01 00:00:00+00', '0001-01-01',
       '00:00', '-1 days', null, null, null, null, null, '::1', 'sad', E'line\\nbreak\\tand tab')`);
    const select = `SELECT t.*, (t."id")::text AS __key FROM "${schema}"."wide" AS t WHERE (t."id") > ($1::bigint) ORDER BY t."id" LIMIT ${PAGE_ROWS}`;
    const session = await openSession(postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] }), true);
    try {
      const described = await session.query(select, ["0"]);
      const copied = await session.queryArrays(select, ["0"]);
      expect(copied.columns).toEqual(Object.keys(described[0]!));
      expect(copied.rows).toEqual(described.map((row) => Object.values(row)));
      const text = `tab\there\nnew line\r\\back\\slash \\N 'quote' "dq" ünï €😀`;
      expect(copied.rows.map((row) => row[9])).toEqual([text, "", "\ufeffbom first"]);
      expect(copied.rows[1]![26]).toBe("\\N");
      expect(copied.rows[0]![3]).toBe(9007199254740993n);

      // Values that need escaping as literals; an empty page that still knows its columns; a page that starts
      // with U+FEFF keeps it.
      const byText = `SELECT t."id", t."t" FROM "${schema}"."wide" AS t WHERE t."t" = $1::text`;
      expect((await session.queryArrays(byText, [text])).rows).toEqual([[1n, text]]);
      const empty = await session.queryArrays(byText, ["no such text'\\"]);
      expect([empty.columns, empty.rows, empty.count]).toEqual([["id", "t"], [], 0]);
      expect((await session.queryArrays(`SELECT t."t" FROM "${schema}"."wide" AS t WHERE t."id" = $1::bigint`, ["3"])).rows).toEqual([["\ufeffbom first"]]);
    } finally {
      await session.close();
    }
  });

  it("read a full page of wide rows that arrives over many socket reads the same as a SELECT", async () => {
    // Every CopyData chunk is a view into pg's receive buffer, which pg reuses for the bytes that follow.
    const select = `SELECT i, repeat(md5(i::text), 20) || E'\\t' || i AS t, jsonb_build_object('n', i, 's', repeat('é', i % 50)) AS j
      FROM generate_series(1, ${PAGE_ROWS}) AS i WHERE i > $1::int ORDER BY i`;
    const session = await openSession(postgresqlConnector.config.parse({ ...pgConfig(), schemas: ["public"] }), true);
    try {
      const described = await session.query(select, [0]);
      const copied = await session.queryArrays(select, [0]);
      expect(copied.rows.length).toBe(PAGE_ROWS);
      expect(copied.rows).toEqual(described.map((row) => Object.values(row)));
    } finally {
      await session.close();
    }
  });
});
