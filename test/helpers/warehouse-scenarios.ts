/**
 * What the Snowflake, BigQuery and Databricks adapter tests share (test/warehouses/{snowflake,bigquery,databricks}.test.ts):
 * the stream target and write batches they load, the connection test's steps, and the scenarios whose behaviour the
 * stage/commit contract fixes for every staged warehouse (DESIGN §4.1), registered once here with each file adding
 * what its warehouse does on the wire (its statement or job log).
 */
import { expect, it } from "vitest";
import type { ConnectionTestStep, StreamTarget, WarehouseAdapter, WriteBatch } from "../../src/warehouses/contract";
import type { StagedUnderTest } from "../warehouses/staged-warehouses";

export const SYNCED_AT = "2024-05-01T12:00:00.000Z";

export const batch = (batch_id: string, records: WriteBatch["records"]): WriteBatch => ({ batch_id, records, synced_at: SYNCED_AT });

/** An incremental `Contacts` stream keyed by `Id`, cursor `UpdatedAt`, in run `run-1`, unless overridden. */
export const streamTarget = (schema: string, overrides: Partial<StreamTarget> = {}): StreamTarget => ({
  schema,
  stream: "Contacts",
  sync_mode: "incremental",
  primary_key: ["Id"],
  cursor_field: "UpdatedAt",
  run_id: "run-1",
  ...overrides,
});

export async function connectionSteps(adapter: { testConnection(): AsyncIterable<ConnectionTestStep> }): Promise<ConnectionTestStep[]> {
  const out: ConnectionTestStep[] = [];
  for await (const step of adapter.testConnection()) out.push(step);
  return out;
}

type Harness = () => StagedUnderTest | Promise<StagedUnderTest>;

/** One attempt of a chunk: the stream prepared, each group staged, one commit of them all (twice: a redelivered commit). */
export async function loadChunk(wh: StagedUnderTest, t: StreamTarget, groups: Array<[string, WriteBatch["records"]]>, options: { commits?: number } = {}): Promise<WarehouseAdapter> {
  const adapter = wh.adapter();
  await adapter.prepareStream(t);
  for (const [id, records] of groups) await adapter.stage(t, batch(id, records));
  for (let i = 0; i < (options.commits ?? 1); i++) await adapter.commit(t, { chunk_id: `${t.run_id}:${t.stream}:c0`, batch_ids: groups.map(([id]) => id) });
  return adapter;
}

/**
 * full_refresh: each run builds its table aside and swaps it in at finalize; until then readers see the previous run's
 * rows, a redelivered commit changes nothing, and a redelivered finalize finds nothing aside and leaves the table alone.
 * `after` checks how the warehouse swapped (its statements or jobs).
 */
export function fullRefreshScenario(harness: Harness, options: { primaryKey: string[]; after?: (wh: StagedUnderTest, schema: string) => Promise<void> }, title: string): void {
  it(title, async () => {
    const wh = await harness();
    const schema = `${wh.type.slice(0, 2)}_fr_${crypto.randomUUID().slice(0, 8)}`;
    const run = (run_id: string) => streamTarget(schema, { sync_mode: "full_refresh", run_id, cursor_field: null, primary_key: options.primaryKey });
    const load = (t: StreamTarget, ids: number[]) => loadChunk(wh, t, [[`${t.run_id}:Contacts:0`, ids.map((Id) => ({ Id, Name: `n${Id}` }))]], { commits: 2 });
    const ids = async () => (await wh.rows(schema, "Contacts", "id")).map((r) => r.id);
    const first = run("run-a");
    await (await load(first, [1, 2, 3])).finalizeStream(first);
    expect(await ids()).toEqual([1, 2, 3]);
    const second = run("run-b");
    const adapter = await load(second, [9]);
    expect(await ids()).toEqual([1, 2, 3]);
    await adapter.finalizeStream(second);
    await wh.adapter().finalizeStream(second);
    expect(await ids()).toEqual([9]);
    expect((await wh.rows(schema, "Contacts", "id")).map((r) => r.name)).toEqual(["n9"]);
    expect(await wh.tables(schema)).toEqual(["contacts"]);
    await options.after?.(wh, schema);
  });
}

/**
 * A keyless commit with `replaces_from` first removes what an earlier attempt of the chunk committed from that page on:
 * the report of the first attempt was lost, and the redelivery cut its groups at other pages.
 */
export function replacesFromScenario(harness: Harness): void {
  it("a keyless commit with replaces_from first removes what an earlier attempt committed from that page on, however it cut its groups", async () => {
    const wh = await harness();
    const schema = `rf_${crypto.randomUUID().slice(0, 8)}`;
    const t = streamTarget(schema, { stream: "events", primary_key: [], cursor_field: null, run_id: "run-rf" });
    const attempt = async (groups: Array<[string, WriteBatch["records"]]>) => {
      const adapter = wh.adapter();
      await adapter.prepareStream(t);
      for (const [id, records] of groups) await adapter.stage(t, batch(id, records));
      await adapter.commit(t, { chunk_id: "run-rf:events:c0", batch_ids: groups.map(([id]) => id), replaces_from: 0 });
    };
    await attempt([
      ["run-rf:events:0", [{ n: 1 }, { n: 2 }]],
      ["run-rf:events:3", [{ n: 3 }, { n: 4 }]],
    ]);
    await attempt([
      ["run-rf:events:0", [{ n: 1 }, { n: 2 }, { n: 3 }]],
      ["run-rf:events:5", [{ n: 4 }]],
    ]);
    expect((await wh.rows(schema, "events", "n")).map((r) => [r.n, r._loader_batch_id])).toEqual([
      [1, "run-rf:events:0"],
      [2, "run-rf:events:0"],
      [3, "run-rf:events:0"],
      [4, "run-rf:events:5"],
    ]);
  });
}
