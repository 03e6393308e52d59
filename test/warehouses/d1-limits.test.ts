/**
 * D1's per-statement limits (100 bound parameters, 100 KB of SQL, 2 MB per value) hold for realistic pages: the
 * page travels as one JSON parameter, split across statements of one atomic batch only when it is large.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { StreamTarget } from "../../src/warehouses/contract";
import { D1Warehouse, d1TableName } from "../../src/warehouses/d1";
import { type Statement, d1Harness, uniqueSchema } from "./harness";

function recordingDb(db: D1Database) {
  const batches: number[] = [];
  const wrapped = {
    prepare: (sql: string) => db.prepare(sql),
    batch: (statements: D1PreparedStatement[]) => {
      batches.push(statements.length);
      return db.batch(statements);
    },
  } as unknown as D1Database;
  return { db: wrapped, batches };
}

describe("d1 limits", () => {
  const schema = uniqueSchema("lim");
  const target: StreamTarget = { schema, stream: "wide", sync_mode: "incremental", primary_key: ["id"], cursor_field: "updated_at", run_id: "run-1" };
  afterEach(() => d1Harness().cleanup(schema));

  it("writes 1,000-row pages of 30 columns with at most 100 bound parameters per statement", async () => {
    const statements: Statement[] = [];
    const { db, batches } = recordingDb(env.WAREHOUSE);
    const adapter = new D1Warehouse(db, { onStatement: (sql, params) => statements.push({ sql, params }) });
    const record = (i: number) => {
      const r: Record<string, unknown> = { id: i, updated_at: `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z` };
      for (let c = 0; c < 28; c++) r[`field${c}`] = c % 3 === 0 ? i * c : c % 3 === 1 ? `value ${i}-${c}` : i % 2 === 0;
      return r;
    };
    for (let p = 0; p < 2; p++) {
      const records = Array.from({ length: 1000 }, (_, i) => record(p * 1000 + i));
      expect(await adapter.stage(target, { batch_id: `p${p}`, records, synced_at: "2024-05-01T00:00:00Z" })).toEqual({ rows_staged: 1000 });
    }

    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.params.length).toBeLessThanOrEqual(100);
      expect(new TextEncoder().encode(s.sql).length).toBeLessThanOrEqual(100_000);
    }
    const inserts = statements.filter((s) => s.sql.startsWith("INSERT"));
    expect(inserts).toHaveLength(2);
    expect(batches).toHaveLength(2);
    const table = d1TableName(schema, "wide");
    const count = await env.WAREHOUSE.prepare(`SELECT count(*) AS n, count(DISTINCT "field1") AS d FROM "${table}"`).first<{ n: number; d: number }>();
    expect(count).toEqual({ n: 2000, d: 2000 });
    const columns = await d1Harness().columns(schema, "wide");
    expect(Object.keys(columns ?? {})).toHaveLength(34);
    const row = await env.WAREHOUSE.prepare(`SELECT "field0", "field1", "field2", "field3" FROM "${table}" WHERE id = 1234`).first();
    expect(row).toEqual({ field0: 0, field1: "value 1234-1", field2: 1, field3: 3702 });
  });

  it("splits a page whose JSON exceeds the safe value size into statements of ONE atomic batch", async () => {
    const statements: Statement[] = [];
    const { db, batches } = recordingDb(env.WAREHOUSE);
    const adapter = new D1Warehouse(db, { onStatement: (sql, params) => statements.push({ sql, params }) });
    const filler = "é".repeat(500); // 1,000 bytes of UTF-8 in 500 characters
    const records = Array.from({ length: 1500 }, (_, i) => ({ id: i, body: `${i}:${filler}` }));

    expect(await adapter.stage(target, { batch_id: "big", records, synced_at: "2024-05-01T00:00:00Z" })).toEqual({ rows_staged: 1500 });

    const inserts = statements.filter((s) => s.sql.startsWith("INSERT"));
    expect(inserts).toHaveLength(2);
    for (const insert of inserts) expect(new TextEncoder().encode(insert.params[0] as string).length).toBeLessThanOrEqual(1_000_000);
    expect(batches).toHaveLength(1);
    const table = d1TableName(schema, "wide");
    const count = await env.WAREHOUSE.prepare(`SELECT count(*) AS n FROM "${table}"`).first<{ n: number }>();
    expect(count?.n).toBe(1500);
  });
});
