/**
 * The MERGE strategy of sql.ts (what the staged warehouses commit with), run on the machine's PostgreSQL 15, whose
 * MERGE follows the same SQL standard shape: one source row per key (newest cursor, then the later batch), older
 * versions never replace newer ones, a tombstone keeps what it does not carry, only the named batches are merged,
 * keyless streams replace their batches' rows, and committing twice equals committing once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MergeDialect, type MergeSpec, mergeStatements } from "../../src/warehouses/sql";
import { connectPostgres } from "../helpers/postgres";
import type pg from "pg";

const dialect: MergeDialect = {
  quote: (name) => `"${name}"`,
  cursorNotOlder: (newer, older) => `${newer} >= ${older}`,
  keyless: "delete-insert",
};

let client: pg.Client;
const schema = `merge_${Date.now().toString(36)}`;

beforeAll(async () => {
  client = await connectPostgres();
  await client.query(`CREATE SCHEMA "${schema}"`);
});
afterAll(async () => {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const COLUMNS = `id bigint, name text, seq bigint, "_loader_run_id" text, "_loader_synced_at" timestamptz, "_loader_batch_id" text, "_loader_deleted_at" timestamptz`;

async function table(name: string) {
  await client.query(`CREATE TABLE "${schema}"."${name}" (${COLUMNS})`);
  return `"${schema}"."${name}"`;
}

type Row = [id: number, name: string | null, seq: number | null, batch: string, deleted?: string];

async function insert(target: string, rows: Row[]) {
  for (const [id, name, seq, batch, deleted] of rows) {
    await client.query(`INSERT INTO ${target} VALUES ($1, $2, $3, 'run', now(), $4, $5)`, [id, name, seq, batch, deleted ?? null]);
  }
}

function spec(target: string, staging: string, primaryKey: string[]): MergeSpec {
  return {
    target,
    staging,
    columns: ["id", "name", "seq"],
    primaryKey,
    cursor: primaryKey.length ? { name: "seq", type: "integer" } : null,
    batches: (column) => `${column} = ANY($1::text[])`,
    batchOrder: (column) => `array_position($1::text[], ${column})`,
  };
}

async function commit(merge: MergeSpec, batches: string[]) {
  await client.query("BEGIN");
  try {
    for (const sql of mergeStatements(merge, dialect)) await client.query(sql, [batches]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

async function rows(target: string) {
  const { rows } = await client.query(`SELECT id::int, name, seq::int, "_loader_batch_id" AS batch, "_loader_deleted_at" IS NOT NULL AS deleted FROM ${target} ORDER BY id, batch`);
  return rows.map((r) => [r.id, r.name, r.seq, r.batch, r.deleted]);
}

describe("MERGE strategy on PostgreSQL", () => {
  it("keyed: newest cursor wins, a tie goes to the later batch, older versions and unnamed batches are ignored", async () => {
    const target = await table("keyed");
    const staging = await table("keyed_stage");
    await insert(target, [
      [1, "old", 5, "t0"],
      [2, "keep", 9, "t0"],
      [5, "alive", 3, "t0"],
    ]);
    await insert(staging, [
      [1, "from b0, not committed", 99, "b0"],
      [1, "b1", 6, "b1"],
      [3, "new", 1, "b1"],
      [1, "b2 (tie, later batch)", 6, "b2"],
      [2, "older than the table", 8, "b2"],
      [5, null, null, "b2", "2024-01-02T00:00:00Z"],
    ]);
    const merge = spec(target, staging, ["id"]);
    await commit(merge, ["b1", "b2"]);
    const once = await rows(target);
    expect(once).toEqual([
      [1, "b2 (tie, later batch)", 6, "b2", false],
      [2, "keep", 9, "t0", false],
      [3, "new", 1, "b1", false],
      // A tombstone without a cursor applies and keeps the values it does not carry.
      [5, "alive", 3, "b2", true],
    ]);
    await commit(merge, ["b1", "b2"]);
    expect(await rows(target)).toEqual(once);
  });

  it("keyless: the committed batches' rows are replaced, never doubled, and a second commit changes nothing", async () => {
    const target = await table("keyless");
    const staging = await table("keyless_stage");
    // b1 was committed once already (a commit whose report was lost); its rows are in the table.
    await insert(target, [
      [1, "a", null, "b1"],
      [2, "b", null, "b1"],
      [9, "earlier run", null, "t0"],
    ]);
    await insert(staging, [
      [1, "a", null, "b1"],
      [2, "b", null, "b1"],
      [3, "c", null, "b2"],
      [4, "stale, from a killed attempt", null, "b9"],
    ]);
    const merge = spec(target, staging, []);
    await commit(merge, ["b1", "b2"]);
    const once = await rows(target);
    expect(once).toEqual([
      [1, "a", null, "b1", false],
      [2, "b", null, "b1", false],
      [3, "c", null, "b2", false],
      [9, "earlier run", null, "t0", false],
    ]);
    await commit(merge, ["b1", "b2"]);
    expect(await rows(target)).toEqual(once);
  });

  it("keyless with replaces_from: an earlier attempt's committed batches from that page on go, other runs' stay", async () => {
    const target = await table("keyless_replace");
    const staging = await table("keyless_replace_stage");
    await insert(target, [
      [1, "other run", null, "r1:s:0"],
      [2, "reported earlier", null, "r2:s:0"],
      [3, "attempt 1", null, "r2:s:4"],
      [4, "attempt 1, cut later", null, "r2:s:12"],
    ]);
    await insert(staging, [
      [3, "attempt 1", null, "r2:s:4"],
      [4, "attempt 1, cut later", null, "r2:s:4"],
    ]);
    const merge: MergeSpec = {
      ...spec(target, staging, []),
      batches: (column) => `${column} = ANY($1::text[])`,
      replaceFrom: (column) => `(${column} >= 'r2:s:' AND ${column} < 'r2:s:~' AND substr(${column}, length('r2:s:') + 1)::bigint >= 4)`,
    };
    await commit(merge, ["r2:s:4"]);
    expect((await rows(target)).map(([id, , , batch]) => [id, batch])).toEqual([
      [1, "r1:s:0"],
      [2, "r2:s:0"],
      [3, "r2:s:4"],
      [4, "r2:s:4"],
    ]);
  });

  it("replace-where dialects get one atomic statement for keyless streams", () => {
    const [statement, ...rest] = mergeStatements(spec("t", "s", []), { ...dialect, quote: (n) => `\`${n}\``, keyless: "replace-where" });
    expect(rest).toEqual([]);
    expect(statement).toBe(
      "INSERT INTO t REPLACE WHERE `_loader_batch_id` = ANY($1::text[]) SELECT `id`, `name`, `seq`, `_loader_run_id`, `_loader_synced_at`, `_loader_batch_id`, `_loader_deleted_at` FROM s WHERE `_loader_batch_id` = ANY($1::text[])",
    );
  });
});
