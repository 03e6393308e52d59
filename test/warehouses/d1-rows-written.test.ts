/**
 * What a D1 warehouse load costs: D1 bills every row written, and each index entry is one (issue 18 part 4). Keyed
 * tables are WITHOUT ROWID on their key, so a record is one row written; a full_refresh swap is a rename that
 * writes none. Counted from D1's own meta.rows_written of every batch the adapter sends.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { StreamTarget } from "../../src/warehouses/contract";
import { D1Warehouse, d1TableName } from "../../src/warehouses/d1";
import { d1Harness, uniqueSchema } from "./harness";

function countingDb(db: D1Database) {
  const counter = { rowsWritten: 0 };
  const wrapped = {
    prepare: (sql: string) => db.prepare(sql),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = await db.batch(statements);
      for (const result of results) counter.rowsWritten += result.meta.rows_written ?? 0;
      return results;
    },
  } as unknown as D1Database;
  return { db: wrapped, counter };
}

const records = (from: number, count: number, updatedAt = "2024-01-01T00:00:00Z") =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, name: `n${from + i}`, amount: (from + i) * 1.5, updated_at: updatedAt }));

async function tableSql(table: string): Promise<string> {
  const row = await env.WAREHOUSE.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1").bind(table).first<{ sql: string }>();
  return row?.sql ?? "";
}

async function indexCount(table: string): Promise<number> {
  const row = await env.WAREHOUSE.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1").bind(table).first<{ n: number }>();
  return row?.n ?? -1;
}

describe("d1 rows written per record", () => {
  const schema = uniqueSchema("rw");
  afterEach(() => d1Harness().cleanup(schema));

  it("full_refresh without a schema: ≤ 1.1 rows written a record through staging and the swap, keyed rows merged once", async () => {
    const { db, counter } = countingDb(env.WAREHOUSE);
    const target: StreamTarget = { schema, stream: "items", sync_mode: "full_refresh", primary_key: ["id"], cursor_field: null, run_id: "run-a" };
    const adapter = new D1Warehouse(db);
    await adapter.prepareStream(target);
    for (let page = 0; page < 3; page++) {
      expect(await adapter.stage(target, { batch_id: `run-a:items:${page}`, records: records(page * 1000, 1000), synced_at: "2024-05-01T00:00:00Z" })).toEqual({ rows_staged: 1000 });
    }
    // A redelivered group replaces its rows under the same key: still one row each.
    await adapter.stage(target, { batch_id: "run-a:items:2", records: records(2000, 1000), synced_at: "2024-05-01T00:00:00Z" });
    await adapter.finalizeStream(target);
    const table = d1TableName(schema, "items");
    const count = await env.WAREHOUSE.prepare(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM "${table}"`).first();
    expect(count).toEqual({ n: 3000, d: 3000 });
    expect(await tableSql(table)).toMatch(/PRIMARY KEY \("id"\)\) WITHOUT ROWID$/);
    expect(await indexCount(table)).toBe(0);
    // 4,000 upserts of 1,000-record groups (the last replayed) and a rename: no index entry, no copy.
    expect(counter.rowsWritten).toBeLessThanOrEqual(4000 * 1.1);
    expect(counter.rowsWritten).toBeGreaterThanOrEqual(4000);
  });

  it("incremental: a changed record rewrites its one row; an older version is not written over a newer one", async () => {
    const { db, counter } = countingDb(env.WAREHOUSE);
    const target: StreamTarget = { schema, stream: "items", sync_mode: "incremental", primary_key: ["id"], cursor_field: "updated_at", run_id: "run-b" };
    const adapter = new D1Warehouse(db);
    await adapter.prepareStream(target);
    await adapter.stage(target, { batch_id: "run-b:items:0", records: records(0, 1000, "2024-02-01T00:00:00Z"), synced_at: "2024-05-01T00:00:00Z" });
    const afterFirst = counter.rowsWritten;
    expect(afterFirst).toBeLessThanOrEqual(1100);
    await adapter.stage(target, { batch_id: "run-b:items:1", records: records(0, 500, "2024-01-01T00:00:00Z").map((r) => ({ ...r, name: "older" })), synced_at: "2024-05-01T00:00:00Z" });
    await adapter.stage(target, { batch_id: "run-b:items:2", records: records(500, 500, "2024-03-01T00:00:00Z").map((r) => ({ ...r, name: "newer" })), synced_at: "2024-05-01T00:00:00Z" });
    const table = d1TableName(schema, "items");
    const names = await env.WAREHOUSE.prepare(`SELECT name = 'newer' AS newer, name = 'older' AS older, count(*) AS n FROM "${table}" GROUP BY 1, 2 ORDER BY 1`).all();
    expect(names.results).toEqual([{ newer: 0, older: 0, n: 500 }, { newer: 1, older: 0, n: 500 }]);
    expect(counter.rowsWritten - afterFirst).toBeLessThanOrEqual(500 * 1.1);
  });

  it("a table from before keeps merging on its unique index, and is not given a second one", async () => {
    const table = d1TableName(schema, "legacy");
    await env.WAREHOUSE.batch([
      env.WAREHOUSE.prepare(
        `CREATE TABLE "${table}" ("id" INTEGER, "name" TEXT, "_loader_run_id" TEXT, "_loader_synced_at" TEXT, "_loader_batch_id" TEXT, "_loader_deleted_at" TEXT)`,
      ),
      env.WAREHOUSE.prepare(`CREATE UNIQUE INDEX "${table}__pk" ON "${table}" ("id")`),
      env.WAREHOUSE.prepare(`INSERT INTO "${table}" ("id", "name") VALUES (1, 'old'), (2, 'old')`),
    ]);
    const adapter = new D1Warehouse(env.WAREHOUSE);
    const target: StreamTarget = { schema, stream: "legacy", sync_mode: "incremental", primary_key: ["id"], cursor_field: null, run_id: "run-c" };
    await adapter.prepareStream(target);
    await adapter.stage(target, { batch_id: "run-c:legacy:0", records: [{ id: 2, name: "new" }, { id: 3, name: "new" }], synced_at: "2024-05-01T00:00:00Z" });
    const rows = await env.WAREHOUSE.prepare(`SELECT id, name FROM "${table}" ORDER BY id`).all();
    expect(rows.results).toEqual([{ id: 1, name: "old" }, { id: 2, name: "new" }, { id: 3, name: "new" }]);
    expect(await indexCount(table)).toBe(1);
  });
});
