/**
 * Property (issue 16): whatever a user does while runs go on — PUT (moving the target schema, renaming, rescheduling),
 * pause, resume, cancel, trigger, delete and recreate, and source data changing — every run that completed leaves
 * tables equal to the source: count = count distinct = the source's count, for a full_refresh and an incremental
 * stream of 20,000 rows from the fake REST API into the real PostgreSQL warehouse; and once nothing runs, no staging
 * table is left. The actions are drawn from a seeded generator, so a failure replays with the same seed.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../fakes/shared/prng";
import { as, bootstrapWorkspace, type Caller } from "../helpers/api";
import { createLoader, fakeControl, uniqueName } from "../helpers/engine";
import { createPostgresSource, postgresReader } from "../helpers/postgres";

const ROWS = 20_000;
const STEPS = 20;
const SEEDS = [16, 41, 7];

const { query, dropAfterAll } = postgresReader();

function config(tenant: string) {
  return {
    base_url: `https://api.example.com/t/${tenant}`,
    auth: { type: "none" },
    // The fake's largest page: 20 pages a stream, so a run crosses several chunks (CHUNK_MAX_PAGES is 4 in tests).
    paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 1000 },
    streams: [
      { name: "snapshot", path: "/cursor/items", records_path: "results", primary_key: ["id"] },
      { name: "changes", path: "/cursor/items", records_path: "results", primary_key: ["id"], incremental: { cursor_field: "updated_at", param: "updated_since", lookback_seconds: 0 } },
    ],
  };
}

const STREAMS = [
  { name: "snapshot", sync_mode: "full_refresh", table: "snapshot" },
  { name: "changes", sync_mode: "incremental", table: "changes" },
] as const;

type Action = "trigger" | "put_schema" | "put_name" | "pause" | "resume" | "cancel" | "delete" | "touch" | "settle";

const WEIGHTS: Record<Action, number> = { trigger: 5, put_schema: 3, put_name: 1, pause: 1, resume: 1, cancel: 1, delete: 2, touch: 2, settle: 4 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface World {
  rng: Rng;
  owner: Caller;
  sourceId: string;
  tenant: string;
  schemas: string[];
  loaderId: string;
  /** Schemas a completed run wrote into: each must hold the source exactly, from then on. */
  completedSchemas: Set<string>;
  completedRuns: Set<string>;
  log: string[];
}

async function newLoader(w: World): Promise<string> {
  const loader = await createLoader(w.owner, {
    name: "Items",
    loader_type: "rest_api",
    source_id: w.sourceId,
    config: config(w.tenant),
    target_schema: w.rng.pick(w.schemas),
    sync_mode: "full_refresh",
    selected_streams: STREAMS.map(({ name, sync_mode }) => ({ name, sync_mode })),
  });
  return loader.id;
}

async function liveRun(loaderId: string): Promise<string | null> {
  const row = await env.DB.prepare("select id from loader_runs where loader_id = ? and status in ('pending', 'running')").bind(loaderId).first<{ id: string }>();
  return row?.id ?? null;
}

/** Remembers the schema of every run of the loader that completed (runs of a deleted loader go with it). */
async function noteCompleted(w: World): Promise<void> {
  const rows = await env.DB.prepare("select id, snapshot from loader_runs where loader_id = ? and status = 'completed'").bind(w.loaderId).all<{ id: string; snapshot: string }>();
  for (const row of rows.results) {
    w.completedRuns.add(row.id);
    w.completedSchemas.add((JSON.parse(row.snapshot).target_schema as string).toLowerCase());
  }
}

async function expectTablesEqualSource(w: World): Promise<void> {
  for (const schema of w.completedSchemas) {
    for (const stream of STREAMS) {
      const [counts] = await query<{ n: string; ids: string }>(`select count(*) as n, count(distinct id) as ids from "${schema}"."${stream.table}"`);
      expect({ schema, table: stream.table, ...counts }, w.log.join(" → ")).toEqual({ schema, table: stream.table, n: String(ROWS), ids: String(ROWS) });
    }
  }
}

async function stagingTables(w: World): Promise<string[]> {
  const rows = await query<{ name: string }>(
    "select table_schema || '.' || table_name as name from information_schema.tables where table_schema = any($1) and table_name like '%\\_\\_stage\\_%'",
    [w.schemas.map((s) => s.toLowerCase())],
  );
  return rows.map((r) => r.name);
}

/** Nothing runs any more, and within a bound every staging table is gone (a cancelled run's is dropped by its consumer). */
async function settle(w: World): Promise<void> {
  const until = Date.now() + 60_000;
  while ((await liveRun(w.loaderId)) && Date.now() < until) await sleep(100);
  expect(await liveRun(w.loaderId), w.log.join(" → ")).toBeNull();
  await noteCompleted(w);
  let staging = await stagingTables(w);
  for (let i = 0; i < 100 && staging.length > 0; i++) {
    await sleep(100);
    staging = await stagingTables(w);
  }
  expect(staging, w.log.join(" → ")).toEqual([]);
}

async function act(w: World, action: Action): Promise<void> {
  const api = as(w.owner);
  const loader = `/loaders/${w.loaderId}`;
  switch (action) {
    case "trigger": {
      const res = await api(`${loader}/trigger`, { method: "POST" });
      expect([201, 409], JSON.stringify(res.json)).toContain(res.status);
      break;
    }
    case "put_schema": {
      const res = await api(loader, { method: "PUT", body: { target_schema: w.rng.pick(w.schemas) } });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      break;
    }
    case "put_name":
      expect((await api(loader, { method: "PUT", body: { name: `Items ${w.rng.chars(4)}`, schedule: w.rng.pick([null, "0 3 * * *"]) } })).status).toBe(200);
      break;
    case "pause":
      expect((await api(loader, { method: "PUT", body: { status: "paused" } })).status).toBe(200);
      break;
    case "resume":
      expect((await api(loader, { method: "PUT", body: { status: "active" } })).status).toBe(200);
      break;
    case "cancel": {
      const runId = await liveRun(w.loaderId);
      if (runId) expect([200, 409]).toContain((await api(`${loader}/runs/${runId}/cancel`, { method: "POST" })).status);
      break;
    }
    case "delete":
      await noteCompleted(w);
      expect((await api(loader, { method: "DELETE" })).status).toBe(200);
      w.loaderId = await newLoader(w);
      break;
    case "touch":
      await fakeControl(w.tenant, "touch", { count: w.rng.int(1, 500) });
      break;
    case "settle":
      await settle(w);
      break;
  }
}

describe("user actions interleaved with runs", () => {
  for (const seed of SEEDS) {
    it(`leave every completed run's tables equal to the source and no staging behind (seed ${seed})`, { timeout: 180_000 }, async () => {
      const rng = createRng(seed);
      const tenant = uniqueName("prop");
      await fakeControl(tenant, "seed", { count: ROWS });
      const owner = await bootstrapWorkspace();
      const schemas = [uniqueName("prop_a"), uniqueName("prop_b")];
      for (const schema of schemas) dropAfterAll(schema.toLowerCase());
      const w: World = { rng, owner, sourceId: await createPostgresSource(owner), tenant, schemas, loaderId: "", completedSchemas: new Set(), completedRuns: new Set(), log: [] };
      w.loaderId = await newLoader(w);
      for (let step = 0; step < STEPS; step++) {
        const action = rng.weighted(WEIGHTS);
        w.log.push(action);
        await act(w, action);
        await noteCompleted(w);
        await expectTablesEqualSource(w);
        // Let the run move on between two actions, by a random amount: some land mid-chunk, some between chunks.
        await sleep(rng.int(0, 600));
      }
      await settle(w);
      await expectTablesEqualSource(w);
      expect(w.completedRuns.size, w.log.join(" → ")).toBeGreaterThan(0);
      console.log(`seed ${seed}: ${w.log.join(" → ")}; ${w.completedRuns.size} runs completed, into ${w.completedSchemas.size} schema(s)`);
    });
  }
});
