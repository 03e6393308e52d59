/**
 * The stage/commit contract (src/warehouses/contract.ts) through the engine, on the real D1 and PostgreSQL: the
 * engine's staged path (commitScope "chunk", what Snowflake, BigQuery and Databricks use) is run over the real
 * adapters by keeping staged batches aside until commit — invisible, as in a staging table — and then writing them
 * with the adapter's own idempotent stage. The checkpoint must follow the commit, and a consumer that dies between
 * stage and commit must cost nothing: no row lost, none doubled.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import { extractChunk } from "../../src/engine/extract-chunk";
import type { RunTracker } from "../../src/engine/run-tracker";
import type { ChunkCommit, StreamTarget, WarehouseAdapter, WriteBatch } from "../../src/warehouses/contract";
import { D1Warehouse } from "../../src/warehouses/d1";
import { PostgresWarehouse } from "../../src/warehouses/postgresql";
import { as, bootstrapWorkspace, createD1Source, type Caller } from "../helpers/api";
import { createRestLoader, fakeControl, fakeRequests, restConfig, uniqueName, waitForRun } from "../helpers/engine";
import { connectPostgres, createPostgresSource, postgresReader } from "../helpers/postgres";
import { trackerStream } from "./harness";

const pg = postgresReader();

interface WarehouseCase {
  name: "d1" | "postgresql";
  proto: object;
  source(owner: Caller): Promise<string>;
  /** The loaded table's ids, in order. */
  ids(schema: string, stream: string): Promise<number[]>;
  /** Rows in the table (0 when it does not exist yet). */
  count(schema: string, stream: string): Promise<number>;
  tables(schema: string): Promise<string[]>;
}

const CASES: WarehouseCase[] = [
  {
    name: "d1",
    proto: D1Warehouse.prototype,
    source: (owner) => createD1Source(owner),
    async count(schema, stream) {
      const table = `${schema.toLowerCase()}__${stream}`;
      const found = await env.WAREHOUSE.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1").bind(table).first();
      return found ? ((await env.WAREHOUSE.prepare(`SELECT count(*) AS n FROM "${table}"`).first<{ n: number }>())?.n ?? 0) : 0;
    },
    async ids(schema, stream) {
      const table = `${schema.toLowerCase()}__${stream}`;
      const { results } = await env.WAREHOUSE.prepare(`SELECT id FROM "${table}" ORDER BY id`).all<{ id: number }>();
      return results.map((r) => Number(r.id));
    },
    async tables(schema) {
      const prefix = `${schema.toLowerCase()}__`;
      const { results } = await env.WAREHOUSE.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?1)) = ?1 ORDER BY name")
        .bind(prefix)
        .all<{ name: string }>();
      return results.map((r) => r.name);
    },
  },
  {
    name: "postgresql",
    proto: PostgresWarehouse.prototype,
    source: (owner) => createPostgresSource(owner),
    async count(schema, stream) {
      // Its own connection: this runs inside the consumer's request, which cannot use the test's socket.
      const client = await connectPostgres();
      try {
        const s = schema.toLowerCase();
        const found = (await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [`"${s}"."${stream}"`])).rows[0];
        return found?.ok ? Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${s}"."${stream}"`)).rows[0]?.n) : 0;
      } finally {
        await client.end();
      }
    },
    async ids(schema, stream) {
      const s = schema.toLowerCase();
      return (await pg.query<{ id: string }>(`SELECT id FROM "${s}"."${stream}" ORDER BY id`)).map((r) => Number(r.id));
    },
    async tables(schema) {
      const rows = await pg.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", [schema.toLowerCase()]);
      return rows.map((r) => r.name);
    },
  },
];

interface CommitSeen {
  chunk: ChunkCommit;
  /** What the tracker had been told when this commit began, and what the target table held. */
  reportedPages: number;
  reportedRows: number;
  targetRows: number;
}

/**
 * Turns a direct adapter class into a staged one for the duration of a test: `stage` only sets the batch aside
 * (replacing one staged under the same id), `commit` writes exactly the batches it names, in order, with the
 * class's own stage. `beforeCommit` runs first and may hold the commit (a consumer that dies there).
 */
function stageAside(proto: object, beforeCommit: (chunk: ChunkCommit) => Promise<void> = async () => {}) {
  const realStage = (proto as WarehouseAdapter).stage;
  const aside = new Map<string, { target: StreamTarget; batch: WriteBatch }>();
  const staged: string[] = [];
  const committed: ChunkCommit[] = [];
  vi.spyOn(proto as WarehouseAdapter, "commitScope", "get").mockReturnValue("chunk");
  vi.spyOn(proto as WarehouseAdapter, "stage").mockImplementation(async (target, batch) => {
    aside.set(batch.batch_id, { target, batch });
    staged.push(batch.batch_id);
    return { rows_staged: batch.records.length };
  });
  vi.spyOn(proto as WarehouseAdapter, "commit").mockImplementation(async function (this: WarehouseAdapter, target, chunk) {
    await beforeCommit(chunk);
    for (const id of chunk.batch_ids) {
      const entry = aside.get(id);
      if (!entry) throw new Error(`commit names batch ${id}, which was never staged`);
      await realStage.call(this, entry.target, entry.batch);
    }
    committed.push(chunk);
  });
  return { staged, committed };
}

async function until<T>(probe: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pages of 1,000 records: each page is one write group, so a 4-page chunk (CHUNK_MAX_PAGES in the test env) stages 4 groups. */
function bigPages(tenant: string, stream: { name: string; incremental?: boolean; primary_key?: string[] }) {
  const config = restConfig(tenant, [{ path: "/cursor/items", ...stream }]);
  return { ...config, paginator: { ...config.paginator, limit: 1000 } };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(CASES)("stage/commit through the engine: $name", (wh) => {
  it("stages every group of a chunk, commits them once, and reports the checkpoint only after the commit", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("staged");
    await fakeControl(tenant, "seed", { count: 6000 });
    const schema = uniqueName("staged");
    if (wh.name === "postgresql") pg.dropAfterAll(schema.toLowerCase());
    const loader = await createRestLoader(owner, await wh.source(owner), bigPages(tenant, { name: "items", incremental: true }), [{ name: "items", sync_mode: "incremental" }], {
      target_schema: schema,
    });

    let runId = "";
    const seen: CommitSeen[] = [];
    const staging = stageAside(wh.proto, async (chunk) => {
      const stream = await trackerStream(runId);
      seen.push({ chunk, reportedPages: stream.pages, reportedRows: stream.rows_loaded, targetRows: await wh.count(schema, "items") });
    });
    const triggered = await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" });
    runId = triggered.json.id;
    const done = await waitForRun(owner, loader.id, runId);

    expect(done).toMatchObject({ status: "completed", rows_loaded: 6000 });
    // Two chunks: pages 0-3 (the budget), then 4-5 and the stream's end. Each commit names its chunk's groups.
    const batch = (seq: number) => `${runId}:items:${seq}`;
    expect(staging.staged).toEqual([0, 1, 2, 3, 4, 5].map(batch));
    expect(seen.map((s) => s.chunk)).toEqual([
      { chunk_id: `${runId}:items:c0`, batch_ids: [0, 1, 2, 3].map(batch), replaces_from: 0 },
      { chunk_id: `${runId}:items:c1`, batch_ids: [4, 5].map(batch), replaces_from: 4 },
    ]);
    // When a commit began, the tracker knew only what earlier commits had made durable, and so did the table.
    expect(seen.map(({ reportedPages, reportedRows, targetRows }) => [reportedPages, reportedRows, targetRows])).toEqual([
      [0, 0, 0],
      [4, 4000, 4000],
    ]);
    const ids = await wh.ids(schema, "items");
    expect(ids).toHaveLength(6000);
    expect(new Set(ids).size).toBe(6000);
  });

  it("a consumer killed between stage and commit: the redelivery restages the same batches and commits them once", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("killed");
    await fakeControl(tenant, "seed", { count: 6000 });
    const schema = uniqueName("killed");
    if (wh.name === "postgresql") pg.dropAfterAll(schema.toLowerCase());
    // No primary key: nothing downstream could hide a doubled row.
    const loader = await createRestLoader(owner, await wh.source(owner), bigPages(tenant, { name: "events", primary_key: [] }), [{ name: "events", sync_mode: "full_refresh" }], {
      target_schema: schema,
    });

    // Plain flags polled on both sides: a promise settled from another request's context (the test's) would not
    // wake the consumer's.
    const consumer = { stuck: false, killed: false };
    let commits = 0;
    const staging = stageAside(wh.proto, async () => {
      commits += 1;
      if (commits !== 1) return;
      consumer.stuck = true;
      while (!consumer.killed) await new Promise((r) => setTimeout(r, 20));
      throw new Error("consumer process died");
    });

    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await until(async () => consumer.stuck);
    // The first consumer staged the chunk's four groups and is stuck before its commit: nothing is reported yet.
    const stuck = await trackerStream(run.id);
    expect(stuck).toMatchObject({ pages: 0, rows_loaded: 0, checkpoint: null, chunk: 0 });
    const firstAttempt = [...staging.staged];
    expect(firstAttempt).toEqual([0, 1, 2, 3].map((seq) => `${run.id}:events:${seq}`));

    // The queue redelivers the chunk once its lease has run out; the stuck consumer is dead from here on.
    const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
    await runInDurableObject(stub, (_instance: RunTracker, state) => {
      state.storage.sql.exec("UPDATE streams SET lease_until = 0");
    });
    const message = { kind: "extract" as const, runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "events", chunk: 0 };
    const redelivered = await extractChunk(env, message, { id: "redelivery", attempts: 2 }, { maxPages: 4, maxMilliseconds: 60_000 });
    expect(redelivered).toMatchObject({ action: "ack" });
    consumer.killed = true;

    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 6000 });
    // The redelivery staged exactly the batches the dead consumer had staged, under the same ids.
    expect(staging.staged.slice(4, 8)).toEqual(firstAttempt);
    expect(staging.committed.map((c) => c.batch_ids)).toEqual([firstAttempt, [4, 5].map((seq) => `${run.id}:events:${seq}`)]);
    const ids = await wh.ids(schema, "events");
    expect(ids).toHaveLength(6000);
    expect(new Set(ids).size).toBe(6000);
    // The first four pages were read twice (once per attempt), the rest once.
    const requests = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/cursor/items"));
    const firstPage = requests.filter((r) => !r.query.after);
    expect(firstPage).toHaveLength(2);
    expect(requests).toHaveLength(4 * 2 + 2);
    expect(await wh.tables(schema)).toEqual(wh.name === "d1" ? [`${schema.toLowerCase()}__events`] : ["events"]);
  });
});
