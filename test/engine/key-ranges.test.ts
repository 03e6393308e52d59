/**
 * One large PostgreSQL table read as key ranges by parallel chunks (issue 18), loaded into D1: every key exactly once,
 * also when a lane's consumer dies mid-range and when rows are inserted above the last range during the read; a
 * failed lane fails the stream and leaves the live table as the previous run made it; a table under the threshold
 * stays whole. The tests run with RANGE_ROWS=6000 (vitest.config.ts).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import { bootstrapWorkspace, createD1Source, pgConfig } from "../helpers/api";
import { createLoader, d1Rows, triggerAndWait, uniqueName, waitForRun } from "../helpers/engine";
import { breakLane, killFirstLane, trackerView, waitForTracker } from "../helpers/key-ranges";
import { postgresReader } from "../helpers/postgres";
import { as } from "../helpers/api";
import { waitFor } from "../helpers/wait";

const { query, dropAfterAll } = postgresReader();
const RANGE_ROWS = 6000;

/** A schema with `big` (`keys` select of ids, analyzed so the catalog knows its size) and a 3,000-row `small`. */
async function sourceSchema(keys: string): Promise<string> {
  const schema = uniqueName("ranges");
  dropAfterAll(schema);
  await query(`create schema ${schema}`);
  await query(`create table ${schema}.big (id bigint primary key, v text not null)`);
  await query(`insert into ${schema}.big select k, 'first ' || k from (${keys}) AS keys(k)`);
  await query(`create table ${schema}.small (id int primary key, v text)`);
  await query(`insert into ${schema}.small select i, 'v' || i from generate_series(1, 3000) i`);
  await query(`analyze ${schema}.big`);
  await query(`analyze ${schema}.small`);
  return schema;
}

async function loaderFor(schema: string, tables: string[]) {
  const owner = await bootstrapWorkspace();
  const sourceId = await createD1Source(owner);
  const target = uniqueName("ranges");
  const loader = await createLoader(owner, {
    name: "Large table",
    loader_type: "postgresql",
    source_id: sourceId,
    config: { ...pgConfig(), schemas: [schema] },
    target_schema: target,
    sync_mode: "full_refresh",
    selected_streams: tables.map((t) => ({ name: `${schema}.${t}`, sync_mode: "full_refresh" })),
  });
  return { owner, loader, table: (name: string) => `${target}__${schema}_${name}` };
}

async function trigger(owner: Awaited<ReturnType<typeof bootstrapWorkspace>>, loaderId: string): Promise<string> {
  const res = await as(owner)(`/loaders/${loaderId}/trigger`, { method: "POST" });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id;
}

const sourceIds = async (schema: string) => (await query<{ key: string }>(`select id::text as key from ${schema}.big order by id`)).map((r) => r.key);

describe("key-range split: PostgreSQL → D1", () => {
  it("reads a large table as 3 ranges in parallel, every key once, rows inserted above the top range included; a small table stays whole", async () => {
    const schema = await sourceSchema("select generate_series(1, 18000)");
    const { owner, loader, table } = await loaderFor(schema, ["big", "small"]);
    const runId = await trigger(owner, loader.id);
    const split = await waitForTracker(runId, (v) => v.lanes.length > 0, "lanes");
    // Inserted once the ranges are fixed: above the greatest key when the split looked, so only the last range,
    // open above, can read them.
    await query(`insert into ${schema}.big select k, 'late ' || k from generate_series(18001, 18010) k`);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18010 + 3000 });

    const view = await trackerView(runId);
    const big = view.streams.find((s) => s.name === `${schema}.big`)!;
    expect(big).toMatchObject({ status: "completed", ranges: 3, rows_loaded: 18010 });
    expect(view.lanes.map((l) => [l.lane, l.status])).toEqual([[0, "completed"], [1, "completed"], [2, "completed"]]);
    expect(view.lanes.map((l) => l.rows_loaded)).toEqual([6000, 6000, 6010]);
    expect(split.lanes.map((l) => JSON.parse(l.checkpoint!))).toEqual([{ until: ["6000"] }, { after: ["6000"], until: ["12000"] }, { after: ["12000"] }]);

    const rows = await d1Rows(table("big"));
    expect(rows).toHaveLength(18010);
    expect(new Set(rows.map((r) => r.id)).size).toBe(18010);
    expect(rows.map((r) => String(r.id))).toEqual(await sourceIds(schema));
    expect(rows.at(-1)).toMatchObject({ id: 18010, v: "late 18010" });

    expect(view.streams.find((s) => s.name === `${schema}.small`)).toMatchObject({ status: "completed", ranges: 0, rows_loaded: 3000 });
    expect(await d1Rows(table("small"))).toHaveLength(3000);
  });

  it("restarts a lane whose consumer died mid-range from its own checkpoint; the rows it wrote before are neither lost nor doubled", async () => {
    // Uneven: the first of the three ranges (keys up to about a million) holds ~14,000 rows, many chunks of 4 pages.
    const schema = await sourceSchema("select generate_series(1, 12000) union all select 12000 + 500 * generate_series(1, 6000)");
    const { owner, loader, table } = await loaderFor(schema, ["big"]);
    const runId = await trigger(owner, loader.id);
    await waitForTracker(runId, (v) => v.lanes.some((l) => l.lane === 0 && l.pages >= 4 && l.status === "running"), "lane 0 past its first chunk");
    const killed = await killFirstLane(runId, `${schema}.big`);
    expect(killed.rows_loaded).toBeGreaterThan(0);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18000 });
    const view = await trackerView(runId);
    expect(view.lanes).toHaveLength(3);
    expect(view.lanes[0]).toMatchObject({ status: "completed", restarts: 1 });
    expect(view.lanes.slice(1).map((l) => l.restarts)).toEqual([0, 0]);
    const rows = await d1Rows(table("big"));
    expect(rows).toHaveLength(18000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(18000);
    expect(rows.map((r) => String(r.id))).toEqual(await sourceIds(schema));
  });

  it("fails the stream when one lane fails, and the live table keeps the previous run's rows", async () => {
    const schema = await sourceSchema("select generate_series(1, 18000)");
    const { owner, loader, table } = await loaderFor(schema, ["big"]);
    expect(await triggerAndWait(owner, loader.id)).toMatchObject({ status: "completed", rows_loaded: 18000 });
    await query(`update ${schema}.big set v = 'second ' || id`);

    const runId = await trigger(owner, loader.id);
    await waitForTracker(runId, (v) => v.lanes.some((l) => l.lane === 1 && l.pages >= 1 && l.status === "running"), "lane 1 reading");
    await breakLane(runId, loader.id, owner.workspaceId, `${schema}.big`, 1);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(done.error_message).toContain("order values");
    const rows = await d1Rows(table("big"));
    expect(rows).toHaveLength(18000);
    expect(rows.filter((r) => String(r.v).startsWith("second"))).toHaveLength(0);
    // The run's staging is gone: the failing lane dropped it, and no later lane finalized anything.
    const staging = await env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and name like ?").bind(`${table("big")}__stage_%`).all();
    expect(staging.results).toEqual([]);
    const lanes = (await trackerView(runId)).lanes;
    expect(lanes[1]).toMatchObject({ status: "failed" });
    expect(lanes.filter((l) => l.status === "running")).toEqual([]);
  });

  it("stops every lane when the run is cancelled: no staging is left and no table is swapped in", async () => {
    const schema = await sourceSchema("select generate_series(1, 12000) union all select 12000 + 500 * generate_series(1, 6000)");
    const { owner, loader, table } = await loaderFor(schema, ["big"]);
    const runId = await trigger(owner, loader.id);
    await waitForTracker(runId, (v) => v.lanes.some((l) => l.lane === 0 && l.pages >= 4 && l.status === "running"), "lane 0 past its first chunk");
    const tables = async () => (await env.WAREHOUSE.prepare("select name from sqlite_master where type = 'table' and name like ?").bind(`${table("big")}%`).all()).results;
    expect((await tables()).map((t) => String(t.name))).toEqual([expect.stringContaining("__stage_")]);
    const cancelled = await as(owner)(`/loaders/${loader.id}/runs/${runId}/cancel`, { method: "POST" });
    expect(cancelled.json.status).toBe("cancelled");
    // Each lane's consumer in flight notices at its next report or heartbeat; the one that does drops the staging.
    await waitFor(async () => (await tables()).length === 0, "staging dropped", 30_000);
    const view = await trackerView(runId);
    expect(view.streams[0]).toMatchObject({ status: "cancelled" });
    expect(view.lanes.map((l) => l.status).filter((s) => s === "running")).toEqual([]);
    // A lane's message still queued or redelivered finds the run cancelled and writes nothing.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await tables()).toEqual([]);
  });
  it("shows a lane's scheduled retry on the run (attempt, reason naming the range, when), and the run still loads every key once", async () => {
    const schema = await sourceSchema("select generate_series(1, 18000)");
    const { owner, loader, table } = await loaderFor(schema, ["big"]);
    const runId = await trigger(owner, loader.id);
    const split = await waitForTracker(runId, (v) => v.lanes.length === 3, "lanes");
    // The last lane, not yet reached by the local queue (it hands out one message at a time, lanes in order).
    expect(split.lanes[2]).toMatchObject({ status: "running" });
    const stub = runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;
    await runInDurableObject(stub, (instance: RunTracker) => instance.noteRetry(`${schema}.big`, "PostgreSQL: the server closed the connection", 0, 1, undefined, undefined, 2));
    const row = await env.DB.prepare("select streams from loader_runs where id = ?").bind(runId).first<{ streams: string }>();
    const shown = (JSON.parse(row!.streams) as any[]).find((s) => s.name === `${schema}.big`);
    expect(shown).toMatchObject({ status: "running", last_error: "key range 3 of 3: PostgreSQL: the server closed the connection" });
    expect(Date.parse(shown.retry_at)).toBeGreaterThan(Date.now() - 5_000);
    const done = await waitForRun(owner, loader.id, runId);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 18000 });
    const rows = await d1Rows(table("big"));
    expect(rows).toHaveLength(18000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(18000);
  });
});
