/**
 * PostgreSQL → PostgreSQL full_refresh through the engine (issue 18): the source's COPY text copied through, and a
 * keyed stream's groups written two at a time (contract.ts stageConcurrency) — every key once with the source's
 * values, each group reported only after its own write, also when a group's write fails and the chunk is retried.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StreamTarget, WriteBatch } from "../../src/warehouses/contract";
import { PostgresWarehouse } from "../../src/warehouses/postgresql";
import { WarehouseError } from "../../src/warehouses/errors";
import { bootstrapWorkspace, pgConfig } from "../helpers/api";
import { createLoader, triggerAndWait, uniqueName } from "../helpers/engine";
import { createPostgresSource, postgresReader } from "../helpers/postgres";

const { query, dropAfterAll } = postgresReader();
const ROWS = 6000;

async function sourceTable(): Promise<string> {
  const schema = uniqueName("p2p");
  dropAfterAll(schema);
  await query(`create schema ${schema}`);
  await query(`create table ${schema}.items (id bigint primary key, created_at timestamptz not null, name text, amount numeric(12,2),
    qty int, active bool, attrs jsonb, seen timestamp)`);
  await query(`insert into ${schema}.items select i, timestamptz '2024-01-01 00:00:00.123456+00' + i * interval '1 minute',
    E'name\\t' || i, i / 7.0, i % 100, i % 2 = 0, jsonb_build_object('i', i, 'tag', 'x' || (i % 10)),
    timestamp '2024-01-01 00:00:00' + i * interval '1 second' from generate_series(1, ${ROWS}) i`);
  return schema;
}

async function loaderFor(schema: string) {
  const owner = await bootstrapWorkspace();
  const sourceId = await createPostgresSource(owner);
  const target = uniqueName("p2p_wh");
  dropAfterAll(target);
  const loader = await createLoader(owner, {
    name: "Postgres to Postgres",
    loader_type: "postgresql",
    source_id: sourceId,
    config: { ...pgConfig(), schemas: [schema] },
    target_schema: target,
    sync_mode: "full_refresh",
    selected_streams: [{ name: `${schema}.items`, sync_mode: "full_refresh" }],
  });
  return { owner, loader, table: `"${target}"."${schema}_items"` };
}

/** Source rows the warehouse table lacks and warehouse rows the source lacks, compared by every column's value. */
async function differences(schema: string, table: string): Promise<unknown[]> {
  const columns = "id, created_at, name, amount, qty, active, attrs, seen AT TIME ZONE 'UTC' AS seen";
  const warehouse = "id, created_at, name, amount::numeric(12,2), qty, active, attrs, seen";
  return query(`(SELECT ${columns} FROM ${schema}.items EXCEPT SELECT ${warehouse} FROM ${table})
    UNION ALL (SELECT ${warehouse} FROM ${table} EXCEPT SELECT ${columns} FROM ${schema}.items)`);
}

interface StageCall {
  batch: string;
  throughCopy: boolean;
  started: number;
  ended?: number;
}

/** Records every stage of the PostgreSQL warehouse; `alter` may delay or fail one (by its order). */
function watchStages(alter: (call: StageCall, index: number, run: () => Promise<{ rows_staged: number }>) => Promise<{ rows_staged: number }> = (_c, _i, run) => run()) {
  const calls: StageCall[] = [];
  const stage = PostgresWarehouse.prototype.stage;
  vi.spyOn(PostgresWarehouse.prototype, "stage").mockImplementation(async function (this: PostgresWarehouse, target: StreamTarget, batch: WriteBatch) {
    const call: StageCall = { batch: batch.batch_id, throughCopy: batch.copy_text !== undefined, started: performance.now() };
    const index = calls.push(call) - 1;
    try {
      return await alter(call, index, () => stage.call(this, target, batch));
    } finally {
      call.ended = performance.now();
    }
  });
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("postgresql → PostgreSQL, end to end", () => {
  it("copies the source's COPY text through, two groups in flight at once, every key once with its values", async () => {
    const schema = await sourceTable();
    const { owner, loader, table } = await loaderFor(schema);
    const throughCopies: Promise<number | null>[] = [];
    const copyThrough = (PostgresWarehouse.prototype as unknown as { copyThroughStraight: (...args: unknown[]) => Promise<number | null> }).copyThroughStraight;
    const prototype = PostgresWarehouse.prototype as unknown as { copyThroughStraight: (...args: unknown[]) => Promise<number | null> };
    vi.spyOn(prototype, "copyThroughStraight").mockImplementation(function (this: PostgresWarehouse, ...args: unknown[]) {
      const copied = copyThrough.apply(this, args);
      throughCopies.push(copied);
      return copied;
    });
    // The first group's write is held back, so the second's starts while it is still in flight.
    const calls = watchStages(async (_call, index, run) => {
      if (index === 0) await new Promise((resolve) => setTimeout(resolve, 300));
      return run();
    });
    expect(await triggerAndWait(owner, loader.id)).toMatchObject({ status: "completed", rows_loaded: ROWS });
    expect(await query(`select count(*)::int as n, count(distinct id)::int as keys from ${table}`)).toEqual([{ n: ROWS, keys: ROWS }]);
    expect(await differences(schema, table)).toEqual([]);
    expect(calls).toHaveLength(ROWS / 1000);
    expect(calls.every((call) => call.throughCopy)).toBe(true);
    // Every group went through (no records built): the straight copy of COPY text answered with its rows.
    expect(await Promise.all(throughCopies)).toEqual(calls.map(() => 1000));
    expect(calls[1]!.started).toBeLessThan(calls[0]!.ended!);
  });

  it("a group whose write fails is not reported: the retried chunk writes it again, nothing lost or doubled", async () => {
    const schema = await sourceTable();
    const { owner, loader, table } = await loaderFor(schema);
    let failed = false;
    const calls = watchStages(async (_call, index, run) => {
      // The second group fails after the first was written ahead of it.
      if (index === 1 && !failed) {
        failed = true;
        throw new WarehouseError("retryable", "connection reset while copying (test)");
      }
      return run();
    });
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: ROWS });
    expect(failed).toBe(true);
    expect(await query(`select count(*)::int as n, count(distinct id)::int as keys from ${table}`)).toEqual([{ n: ROWS, keys: ROWS }]);
    expect(await differences(schema, table)).toEqual([]);
    // The retry starts from the last reported group: the failed group's batch is staged again.
    expect(calls.filter((call) => call.batch === calls[1]!.batch).length).toBeGreaterThanOrEqual(2);
  });
});
