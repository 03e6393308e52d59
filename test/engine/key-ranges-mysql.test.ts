/**
 * One large MariaDB table read as key ranges by parallel chunks (issue 18), loaded into the PostgreSQL warehouse,
 * where the lanes' groups are concurrent upserts of disjoint keys into one staging table: every key exactly once,
 * also across a lane's consumer dying mid-range. A table under the threshold stays whole. RANGE_ROWS=6000 in the
 * tests (vitest.config.ts); InnoDB's row estimate is a sample, so the split's count of ranges is only bounded here.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { extractChunk } from "../../src/engine/extract-chunk";
import { as, bootstrapWorkspace } from "../helpers/api";
import { createLoader, uniqueName, waitForRun } from "../helpers/engine";
import { killFirstLane, trackerView, waitForTracker } from "../helpers/key-ranges";
import { mysqlAdmin, mysqlSourceConfig } from "../helpers/mysql";
import { createPostgresSource, postgresReader } from "../helpers/postgres";

const admin = mysqlAdmin();
const warehouse = postgresReader();

/** `big` with the ids `keys` selects (as `k` from MariaDB's sequence engine), `small` of 3,000 rows; both analyzed. */
async function sourceDatabase(keys: string): Promise<string> {
  const database = await admin.database("ranges");
  await admin.query(`CREATE TABLE \`${database}\`.big (id BIGINT PRIMARY KEY, v VARCHAR(40) NOT NULL)`);
  await admin.query(`INSERT INTO \`${database}\`.big SELECT k, CONCAT('v ', k) FROM (${keys}) AS keys_`);
  await admin.query(`CREATE TABLE \`${database}\`.small (id INT PRIMARY KEY, v VARCHAR(40))`);
  await admin.query(`INSERT INTO \`${database}\`.small SELECT seq, CONCAT('v ', seq) FROM seq_1_to_3000`);
  await admin.query(`ANALYZE TABLE \`${database}\`.big, \`${database}\`.small`);
  return database;
}

async function load(keys: string, tables: string[]) {
  const database = await sourceDatabase(keys);
  const owner = await bootstrapWorkspace();
  const sourceId = await createPostgresSource(owner);
  const schema = uniqueName("ranges");
  warehouse.dropAfterAll(schema);
  const loader = await createLoader(owner, {
    name: "Large MariaDB table",
    loader_type: "mysql",
    source_id: sourceId,
    config: mysqlSourceConfig(database),
    target_schema: schema,
    sync_mode: "full_refresh",
    selected_streams: tables.map((name) => ({ name, sync_mode: "full_refresh" })),
  });
  const res = await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  const sourceKeys = async () => (await admin.query<{ id: number }>(`SELECT id FROM \`${database}\`.big ORDER BY id`)).map((r) => String(r.id));
  const loadedKeys = async (table: string) => (await warehouse.query<{ key: string }>(`select id::text as key from "${schema}"."${table}" order by id`)).map((r) => r.key);
  return { owner, loader, runId: res.json.id as string, sourceKeys, loadedKeys };
}

describe("key-range split: MariaDB → PostgreSQL", () => {
  it("loads a large table through 3 or more parallel ranges with every key once; a small table stays whole", async () => {
    const { owner, loader, runId, sourceKeys, loadedKeys } = await load("SELECT seq AS k FROM seq_1_to_18000", ["big", "small"]);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18000 + 3000 });
    const view = await trackerView(runId);
    const big = view.streams.find((s) => s.name === "big")!;
    expect(big.ranges).toBeGreaterThanOrEqual(3);
    expect(view.lanes.filter((l) => l.stream === "big")).toHaveLength(big.ranges);
    expect(view.lanes.every((l) => l.status === "completed")).toBe(true);
    expect(view.streams.find((s) => s.name === "small")).toMatchObject({ ranges: 0, rows_loaded: 3000 });
    const keys = await loadedKeys("big");
    expect(keys).toHaveLength(18000);
    expect(new Set(keys).size).toBe(18000);
    expect(keys).toEqual(await sourceKeys());
    expect(await loadedKeys("small")).toHaveLength(3000);
  });

  it("restarts a lane whose consumer died mid-range; the PostgreSQL table holds every key once", async () => {
    // Uneven, so the first range spans many chunks: ~14,000 of the 18,000 rows sit below a third of the key span.
    const { owner, loader, runId, sourceKeys, loadedKeys } = await load("SELECT seq AS k FROM seq_1_to_12000 UNION ALL SELECT 12000 + 500 * seq FROM seq_1_to_6000", ["big"]);
    await waitForTracker(runId, (v) => v.lanes.some((l) => l.lane === 0 && l.pages >= 4 && l.status === "running"), "lane 0 past its first chunk");
    const killed = await killFirstLane(runId, "big");
    expect(killed.rows_loaded).toBeGreaterThan(0);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18000 });
    const view = await trackerView(runId);
    expect(view.lanes[0]).toMatchObject({ status: "completed", restarts: 1 });
    const keys = await loadedKeys("big");
    expect(keys).toHaveLength(18000);
    expect(new Set(keys).size).toBe(18000);
    expect(keys).toEqual(await sourceKeys());
  });
  it("lanes that really run at once (consumers of their own, as Queues scales them) load every key once", async () => {
    // The local queue hands out one message at a time, so its consumer alone runs lanes one after another. Here every
    // lane is also run by a consumer of its own, all at once: the queue's delivery of the same lane then finds the
    // lane held and is dropped as a duplicate, or holds it and this one is; either way at most one runs each lane.
    const { owner, loader, runId, sourceKeys, loadedKeys } = await load("SELECT seq AS k FROM seq_1_to_18000", ["big"]);
    const split = await waitForTracker(runId, (v) => v.lanes.length >= 3, "lanes");
    const outcomes = await Promise.all(
      split.lanes.map((lane) =>
        extractChunk(
          env,
          { kind: "extract", runId, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "big", chunk: lane.chunk, lane: lane.lane },
          { id: `own-consumer-${lane.lane}`, attempts: 1 },
          { maxPages: 1_000, maxMilliseconds: 60_000 },
        ),
      ),
    );
    // The queue's one consumer can hold one lane at a time, so at least all but one ran here, side by side.
    const ranHere = outcomes.filter((o) => o.note === "key range completed" || o.note === "stream completed");
    expect(ranHere.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(split.lanes.length - 1);
    expect(outcomes.filter((o) => o.note === "stream completed").length).toBeLessThanOrEqual(1);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18000 });
    const view = await trackerView(runId);
    expect(view.lanes.every((l) => l.status === "completed")).toBe(true);
    const keys = await loadedKeys("big");
    expect(keys).toHaveLength(18000);
    expect(new Set(keys).size).toBe(18000);
    expect(keys).toEqual(await sourceKeys());
  });
});
