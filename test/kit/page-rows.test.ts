/**
 * How many rows each keyset statement asks for (connectors/kit/sql-source.ts nextPageRows): doubling after full
 * pages up to MAX_PAGE_ROWS, held to PAGE_BYTES by the rows' measured width, and the statements a read of narrow and
 * of wide rows really sends to PostgreSQL, with every key read once.
 */
import { describe, expect, it } from "vitest";
import type { Page, ReadRequest } from "../../connectors/kit/contract";
import { MAX_PAGE_ROWS, PAGE_BYTES, PAGE_ROWS, type SourceSession, type SourceTable, nextPageRows, readKeyset } from "../../connectors/kit/sql-source";
import { openSession, postgresDialect } from "../../connectors/postgresql/connection";
import { postgresqlConnector } from "../../connectors/postgresql";
import { pgConfig } from "../helpers/api";
import { uniqueName } from "../helpers/engine";
import { discoveredTable, postgresReader } from "../helpers/postgres";

const { query, dropAfterAll } = postgresReader();

const narrow = (n: number) => Array.from({ length: n }, (_, i) => [i, `name ${i}`, true, null]);

describe("nextPageRows", () => {
  it("doubles after a full page of narrow rows, up to MAX_PAGE_ROWS", () => {
    expect(nextPageRows(PAGE_ROWS, narrow(PAGE_ROWS))).toBe(2 * PAGE_ROWS);
    expect(nextPageRows(8000, narrow(8000))).toBe(MAX_PAGE_ROWS);
    expect(nextPageRows(MAX_PAGE_ROWS, narrow(MAX_PAGE_ROWS))).toBe(MAX_PAGE_ROWS);
  });

  it("stops at the deployment's MAX_PAGE_ROWS when it is lower", () => {
    expect(nextPageRows(PAGE_ROWS, narrow(PAGE_ROWS), 1000)).toBe(1000);
    expect(nextPageRows(PAGE_ROWS, narrow(PAGE_ROWS), 1500)).toBe(1500);
    expect(nextPageRows(1, [["y".repeat(PAGE_BYTES)]], 5)).toBe(5);
  });

  it("keeps the limit after a short page (the read ends there)", () => {
    expect(nextPageRows(PAGE_ROWS, narrow(PAGE_ROWS - 1))).toBe(PAGE_ROWS);
    expect(nextPageRows(PAGE_ROWS, [])).toBe(PAGE_ROWS);
  });

  it("holds a page of wide rows to PAGE_BYTES by the widest sampled row, never below 10 rows", () => {
    const text = "x".repeat(100_000);
    const wideText = Array.from({ length: PAGE_ROWS }, (_, i) => [i, i === PAGE_ROWS - 1 ? text : "short"]);
    expect(nextPageRows(PAGE_ROWS, wideText)).toBe(Math.floor(PAGE_BYTES / (100_000 + 8)));
    // JSON values count by their text; records (objects) as well as value arrays.
    const doc = { items: Array.from({ length: 2000 }, (_, i) => ({ i, tag: "abcdefghij" })) };
    const bytes = JSON.stringify(doc).length;
    const records = Array.from({ length: PAGE_ROWS }, (_, i) => ({ id: i, doc }));
    expect(nextPageRows(PAGE_ROWS, records)).toBe(Math.min(2 * PAGE_ROWS, Math.floor(PAGE_BYTES / (bytes + 8))));
    const huge = Array.from({ length: 20 }, () => ["y".repeat(PAGE_BYTES)]);
    expect(nextPageRows(20, huge)).toBe(10);
    // A bigint inside a JSON value does not break the measure.
    expect(nextPageRows(10, Array.from({ length: 10 }, (_, i) => [{ n: BigInt(i) }]))).toBe(20);
  });
});

/** Every page of a full read, with the LIMIT of each statement sent. */
async function readWithLimits(schema: string, table: SourceTable): Promise<{ pages: Page[]; limits: number[] }> {
  const real = await openSession(postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] }), true);
  const limits: number[] = [];
  const session: SourceSession = {
    query: (text, values) => (limits.push(Number(/LIMIT (\d+)/.exec(text)?.[1])), real.query(text, values)),
    queryArrays: (text, values) => (limits.push(Number(/LIMIT (\d+)/.exec(text)?.[1])), real.queryArrays(text, values)),
    close: () => real.close(),
  };
  const request: ReadRequest = { stream: table, sync_mode: "full_refresh", state: null, checkpoint: null };
  const pages: Page[] = [];
  try {
    for await (const page of readKeyset(session, postgresDialect, request, new AbortController().signal)) pages.push(page);
  } finally {
    await real.close();
  }
  return { pages, limits };
}

describe("page sizes of a PostgreSQL read", () => {
  it("grows 1,000 → 2,000 → 4,000 → 8,000 → 10,000 rows over narrow rows, every key once", async () => {
    const schema = uniqueName("pagerows");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create table ${schema}.items (id int primary key, v text)`);
    await query(`insert into ${schema}.items select i, 'v' || i from generate_series(1, 30000) i`);
    const { pages, limits } = await readWithLimits(schema, await discoveredTable(schema, "items"));
    expect(limits).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
    expect(pages.map((p) => p.records.length)).toEqual([1000, 2000, 4000, 8000, 10000, 5000]);
    const keys = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(keys).toEqual(Array.from({ length: 30000 }, (_, i) => i + 1));
  });

  it("reads wide rows in pages of about PAGE_BYTES", async () => {
    const schema = uniqueName("pagerows");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create table ${schema}.docs (id int primary key, body text)`);
    // 1,500 rows of 20,000 characters: after the first page of 1,000 (20 MB), pages of PAGE_BYTES / 20,000 rows.
    await query(`insert into ${schema}.docs select i, repeat('z', 20000) from generate_series(1, 1500) i`);
    const { pages, limits } = await readWithLimits(schema, await discoveredTable(schema, "docs"));
    const perPage = Math.floor(PAGE_BYTES / (20_000 + 8 + 4));
    expect(limits.slice(0, 2)).toEqual([1000, perPage]);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
  });
});
