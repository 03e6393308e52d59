/**
 * Key ranges of a split read (connectors/kit/sql-source.ts): the boundaries over a key's min..max, the ranges'
 * initial checkpoints, which tables are split at all, and the statements a split and a range read send (recorded
 * around a real PostgreSQL session, so the SQL is also checked by the server that runs it).
 */
import { describe, expect, it } from "vitest";
import type { JsonObject, Page, ReadRequest } from "../../connectors/kit/contract";
import { type SourceSession, type SourceTable, PAGE_ROWS, keyBoundaries, rangeCheckpoints, readKeyset, splitKeyset } from "../../connectors/kit/sql-source";
import { openSession, postgresDialect } from "../../connectors/postgresql/connection";
import { discoverTables, estimateRows } from "../../connectors/postgresql/discover";
import { postgresqlConnector } from "../../connectors/postgresql";
import { pgConfig } from "../helpers/api";
import { uniqueName } from "../helpers/engine";
import { discoveredTable, postgresReader } from "../helpers/postgres";

const { query, dropAfterAll } = postgresReader();

/** Every key `keys` holds, by range: the keys above the previous boundary and up to the next one. */
function byRange(keys: bigint[], boundaries: bigint[]): bigint[][] {
  const ranges: bigint[][] = boundaries.map(() => []).concat([[]]);
  for (const key of keys) ranges[boundaries.filter((b) => key > b).length]!.push(key);
  return ranges;
}

describe("keyBoundaries", () => {
  it("cuts min..max into ranges of equal width whose union holds every key once", () => {
    expect(keyBoundaries(1n, 100n, 4)).toEqual([25n, 50n, 75n]);
    const keys = Array.from({ length: 100 }, (_, i) => BigInt(i + 1));
    expect(byRange(keys, keyBoundaries(1n, 100n, 4)).map((r) => r.length)).toEqual([25, 25, 25, 25]);
    expect(byRange(keys, keyBoundaries(1n, 100n, 3)).map((r) => r.length)).toEqual([33, 33, 34]);
  });

  it("gives no boundary for one key value (one row, or min = max) and at most one range per value", () => {
    expect(keyBoundaries(7n, 7n, 4)).toEqual([]);
    expect(keyBoundaries(1n, 3n, 8)).toEqual([1n, 2n]);
    expect(keyBoundaries(1n, 2n, 2)).toEqual([1n]);
    expect(keyBoundaries(5n, 9n, 1)).toEqual([]);
  });

  it("handles negative keys and keys beyond 2^53 exactly", () => {
    expect(keyBoundaries(-100n, -1n, 4)).toEqual([-76n, -51n, -26n]);
    expect(keyBoundaries(-50n, 49n, 2)).toEqual([-1n]);
    const big = 2n ** 63n - 1n;
    const low = big - 999n;
    const boundaries = keyBoundaries(low, big, 4);
    expect(boundaries).toEqual([low + 249n, low + 499n, low + 749n]);
    expect(String(boundaries[0])).toBe("9223372036854775057");
    const spanning = keyBoundaries(-(2n ** 63n), 2n ** 63n - 1n, 2);
    expect(spanning).toEqual([-1n]);
  });
});

describe("rangeCheckpoints", () => {
  it("opens the first range below and the last above, each range between its neighbours' boundaries", () => {
    expect(rangeCheckpoints([25n, 50n, 75n])).toEqual([{ until: ["25"] }, { after: ["25"], until: ["50"] }, { after: ["50"], until: ["75"] }, { after: ["75"] }]);
    expect(rangeCheckpoints([])).toEqual([]);
  });
});

/** A session that records every statement it is given, in front of a real one. */
function recording(session: SourceSession): { session: SourceSession; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    session: {
      query: (text, values) => (statements.push(text), session.query(text, values)),
      queryArrays: (text, values) => (statements.push(text), session.queryArrays(text, values)),
      close: () => session.close(),
    },
  };
}

async function withSession<T>(schema: string, use: (s: { session: SourceSession; statements: string[] }) => Promise<T>): Promise<T> {
  const real = await openSession(postgresqlConnector.config.parse({ ...pgConfig(), schemas: [schema] }), true);
  try {
    return await use(recording(real));
  } finally {
    await real.close();
  }
}

async function readAll(session: SourceSession, request: ReadRequest): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of readKeyset(session, postgresDialect, request, new AbortController().signal)) pages.push(page);
  return pages;
}

const limits = { rowsPerRange: 1000, maxRanges: 16 };
const fullRefresh = (stream: SourceTable, checkpoint: JsonObject | null = null): ReadRequest => ({ stream, sync_mode: "full_refresh", state: null, checkpoint });

describe("splitKeyset against PostgreSQL", () => {
  it("splits an analyzed table over the threshold into ceil(rows / threshold) ranges that read every key once", async () => {
    const schema = uniqueName("ranges");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    // Negative and positive keys, beyond 2^53 at the top: the split and the reads keep them exact.
    await query(`create table ${schema}.wide (id bigint primary key, v text)`);
    await query(`insert into ${schema}.wide select i * 1000000000000, 'v' || i from generate_series(-1200, 1299) i`);
    await query(`insert into ${schema}.wide values (9007199254740993, 'big')`);
    await query(`analyze ${schema}.wide`);
    const table = await discoveredTable(schema, "wide");
    await withSession(schema, async ({ session, statements }) => {
      const ranges = await splitKeyset(session, postgresDialect, estimateRows, fullRefresh(table), limits);
      expect(ranges).toHaveLength(3);
      expect(ranges![0]).toEqual({ until: [expect.any(String)] });
      expect(ranges![2]).toEqual({ after: [expect.any(String)] });
      expect(statements).toEqual([
        expect.stringContaining("reltuples"),
        `SELECT min(t."id")::text AS lo, max(t."id")::text AS hi FROM "${schema}"."wide" AS t`,
      ]);
      statements.length = 0;
      const keys: string[] = [];
      for (const range of ranges!) {
        const pages = await readAll(session, fullRefresh(table, range));
        for (const page of pages) {
          keys.push(...page.records.map((r) => String(r.id)));
          // A resumed range stays inside its bounds: every checkpoint keeps the range's upper end.
          if (range.until) expect(page.checkpoint.until).toEqual(range.until);
        }
      }
      expect(keys).toHaveLength(2501);
      expect(new Set(keys).size).toBe(2501);
      expect(keys).toContain("9007199254740993");
      expect(keys).toContain("-1200000000000000");
      // The upper bound is a parameter of the page statement, cast to the key's type like the lower one.
      expect(statements.filter((s) => s.includes(`WHERE (t."id") > ($1::bigint) AND (t."id") <= ($2::bigint) ORDER BY`))).not.toHaveLength(0);
      expect(statements.filter((s) => s.includes(`WHERE (t."id") <= ($1::bigint) ORDER BY`))).toHaveLength(1);
    });
  });

  it("reads a table under the threshold, or not yet analyzed, in one piece with the statements of before", async () => {
    const schema = uniqueName("ranges");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create table ${schema}.small (id int primary key, v text)`);
    await query(`insert into ${schema}.small select i, 'v' || i from generate_series(1, ${PAGE_ROWS + 500}) i`);
    const table = await discoveredTable(schema, "small");
    await withSession(schema, async ({ session, statements }) => {
      // Never analyzed: reltuples is -1, the size unknown.
      expect(await splitKeyset(session, postgresDialect, estimateRows, fullRefresh(table), { rowsPerRange: 10, maxRanges: 16 })).toBeNull();
      await query(`analyze ${schema}.small`);
      expect(await splitKeyset(session, postgresDialect, estimateRows, fullRefresh(table), { rowsPerRange: PAGE_ROWS + 500, maxRanges: 16 })).toBeNull();
      expect(statements).toEqual([expect.stringContaining("reltuples"), expect.stringContaining("reltuples")]);
      statements.length = 0;
      const pages = await readAll(session, fullRefresh(table));
      expect(pages.map((p) => p.records.length)).toEqual([PAGE_ROWS, 500]);
      expect(pages[0]!.checkpoint).toEqual({ after: [String(PAGE_ROWS)] });
      expect(statements).toEqual([
        `SELECT t.*, t."id"::text AS __loaders_key_0 FROM "${schema}"."small" AS t ORDER BY t."id" LIMIT ${PAGE_ROWS}`,
        `SELECT t.*, t."id"::text AS __loaders_key_0 FROM "${schema}"."small" AS t WHERE (t."id") > ($1::integer) ORDER BY t."id" LIMIT ${2 * PAGE_ROWS}`,
      ]);
    });
  });

  it("never splits an empty table, incremental reads, composite, text or missing keys", async () => {
    const schema = uniqueName("ranges");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create table ${schema}.empty (id int primary key)`);
    await query(`create table ${schema}.pair (a int, b int, primary key (a, b))`);
    await query(`create table ${schema}.named (code text primary key)`);
    await query(`create table ${schema}.loose (id int)`);
    await query(`analyze ${schema}.empty`);
    const [empty, pair, named, loose] = await Promise.all(["empty", "pair", "named", "loose"].map((t) => discoveredTable(schema, t)));
    await withSession(schema, async ({ session, statements }) => {
      // An analyzed empty table estimates 0 rows; with a threshold of 0 rows it still has no min and max to cut.
      expect(await splitKeyset(session, postgresDialect, async () => 5000, fullRefresh(empty!), limits)).toBeNull();
      expect(statements).toEqual([expect.stringContaining("min(")]);
      statements.length = 0;
      for (const table of [pair!, named!, loose!]) expect(await splitKeyset(session, postgresDialect, async () => 5000, fullRefresh(table), limits)).toBeNull();
      expect(await splitKeyset(session, postgresDialect, async () => 5000, { ...fullRefresh(empty!), sync_mode: "incremental" }, limits)).toBeNull();
      // Decided from the spec alone: no statement at all.
      expect(statements).toEqual([]);
    });
  });

  it("refuses a checkpoint that names neither end, or an end of another width", async () => {
    const schema = uniqueName("ranges");
    dropAfterAll(schema);
    await query(`create schema ${schema}`);
    await query(`create table ${schema}.t (id int primary key)`);
    const table = await discoveredTable(schema, "t");
    await withSession(schema, async ({ session }) => {
      await expect(readAll(session, fullRefresh(table, {}))).rejects.toMatchObject({ kind: "data" });
      await expect(readAll(session, fullRefresh(table, { until: ["1", "2"] }))).rejects.toMatchObject({ kind: "data", message: expect.stringContaining("2 order values") });
    });
  });
});
