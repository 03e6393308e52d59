/**
 * s3 loaders end to end through the engine (queue, RunTracker, chunks of CHUNK_MAX_PAGES pages) from the run's S3
 * server into D1 and PostgreSQL: exact rows and values, incremental runs, a consumer killed in the middle of a CSV
 * and of a Parquet file resuming from the committed checkpoint inside the object without loss or duplicates, and a
 * wrong secret putting the loader into `error`.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runTracker } from "../../../src/engine/dispatch";
import type { RunTracker } from "../../../src/engine/run-tracker";
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, generatedRow } from "../../fakes/s3/fixtures";
import { as, bootstrapWorkspace, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { committedState, createLoader, d1Rows, triggerAndWait, uniqueName, waitForRun } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { testBucket } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

function loaderBody(sourceId: string, bucket: string, streams: object[], extra: Record<string, unknown> = {}) {
  const target = uniqueName("files");
  return {
    name: "Bucket files",
    loader_type: "s3",
    source_id: sourceId,
    config: { bucket, region: "us-east-1", access_key_id: ACCESS_KEY_ID, secret_access_key: SECRET_ACCESS_KEY, streams },
    target_schema: target,
    sync_mode: "incremental",
    selected_streams: streams.map((s: any) => ({ name: s.name, sync_mode: "incremental" })),
    ...extra,
  };
}

async function seedFiles() {
  const bucket = await testBucket("e2e");
  await bucket.put("orders/2026-01.csv", 'id,customer,total,paid_at\n1,"Smith, Jane",10.50,2026-01-05T10:00:00Z\n2,Zoë,7,\n3,"multi\nline",0.25,2026-01-06T00:00:00Z\n', {
    lastModified: "2026-02-01T00:00:00Z",
  });
  await bucket.put("orders/2026-02.csv.gz", "id,customer,total,paid_at\n4,Li,99,2026-02-01T00:00:00Z\n", { gzip: true, lastModified: "2026-03-01T00:00:00Z" });
  await bucket.put("events/e.jsonl", '{"id": 9007199254740993, "kind": "click", "meta": {"x": 1}}\n{"id": 2, "kind": "view", "meta": null}\n', { lastModified: "2026-02-01T00:00:00Z" });
  await bucket.parquet("metrics/m.parquet", "select i::BIGINT as id, (i / 8)::DECIMAL(12,3) as value, TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 HOUR as at from range(1, 2501) t(i)", {
    lastModified: "2026-02-01T00:00:00Z",
  });
  const streams = [
    { name: "orders", format: "csv", glob: "orders/*.{csv,csv.gz}" },
    { name: "events", format: "jsonl", glob: "events/*.jsonl" },
    { name: "metrics", format: "parquet", glob: "metrics/*.parquet" },
  ];
  return { bucket, streams };
}

describe("s3 → D1, end to end", () => {
  it("loads csv, gzip csv, jsonl and parquet exactly, then merges a re-written file in place and adds a new one", async () => {
    const owner = await bootstrapWorkspace();
    const { bucket, streams } = await seedFiles();
    const loader = await createLoader(owner, loaderBody(await createD1Source(owner), bucket.name, streams));
    const table = (name: string) => `${loader.target_schema.toLowerCase()}__${name}`;

    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", rows_loaded: 4 + 2 + 2500, streams_failed: 0 });
    const orders = await d1Rows(table("orders"), "_s3_last_modified, _s3_key, _s3_row");
    expect(orders.map((r) => [r._s3_key, r._s3_row, r.id, r.customer, r.total, r.paid_at])).toEqual([
      ["orders/2026-01.csv", 1, 1, "Smith, Jane", 10.5, "2026-01-05T10:00:00.000Z"],
      ["orders/2026-01.csv", 2, 2, "Zoë", 7, null],
      ["orders/2026-01.csv", 3, 3, "multi\nline", 0.25, "2026-01-06T00:00:00.000Z"],
      ["orders/2026-02.csv.gz", 1, 4, "Li", 99, "2026-02-01T00:00:00.000Z"],
    ]);
    const events = await d1Rows(table("events"), "_s3_row");
    expect(events.map((r) => [String(r.id), r.kind, r.meta === null ? null : JSON.parse(r.meta)])).toEqual([
      ["9007199254740993", "click", { x: 1 }],
      ["2", "view", null],
    ]);
    const metrics = await d1Rows(table("metrics"), "_s3_row");
    expect(metrics).toHaveLength(2500);
    expect(metrics[6]).toMatchObject({ id: 7, value: "0.875", at: "2026-01-01T07:00:00.000Z", _s3_row: 7, _loader_run_id: first.id });
    expect(await committedState(loader.id, "orders")).toMatchObject({ cursor: ["2026-03-01T00:00:00.000Z", "orders/2026-02.csv.gz"] });

    await bucket.put("orders/2026-01.csv", "id,customer,total,paid_at\n1,Smith,11,2026-01-05T10:00:00Z\n2,Zoë,8,\n3,Ng,1,\n", { lastModified: "2026-04-01T00:00:00Z" });
    await bucket.put("orders/2026-03.csv", "id,customer,total,paid_at\n5,New,5,\n", { lastModified: "2026-04-02T00:00:00Z" });
    const second = await triggerAndWait(owner, loader.id);
    expect(second.streams.find((s: any) => s.name === "orders")).toMatchObject({ status: "completed", rows_loaded: 4 });
    expect(second.streams.find((s: any) => s.name === "metrics")).toMatchObject({ status: "completed", rows_loaded: 0 });
    const after = await d1Rows(table("orders"), "_s3_key, _s3_row");
    expect(after.map((r) => [r._s3_key, r._s3_row, r.customer, r.total])).toEqual([
      ["orders/2026-01.csv", 1, "Smith", 11],
      ["orders/2026-01.csv", 2, "Zoë", 8],
      ["orders/2026-01.csv", 3, "Ng", 1],
      ["orders/2026-02.csv.gz", 1, "Li", 99],
      ["orders/2026-03.csv", 1, "New", 5],
    ]);
  });
});

describe("s3 → PostgreSQL, end to end", () => {
  it("loads exact values with their types", async () => {
    const owner = await bootstrapWorkspace();
    const { bucket, streams } = await seedFiles();
    const body = loaderBody(await createPostgresSource(owner), bucket.name, streams);
    const schema = body.target_schema.toLowerCase();
    dropAfterAll(schema);
    const loader = await createLoader(owner, body);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 2506 });
    const orders = await query(`select * from "${schema}".orders order by _s3_last_modified, _s3_key, _s3_row`);
    expect(orders.map((r) => [r.id, r.customer, Number(r.total), r.paid_at?.toISOString() ?? null])).toEqual([
      ["1", "Smith, Jane", 10.5, "2026-01-05T10:00:00.000Z"],
      ["2", "Zoë", 7, null],
      ["3", "multi\nline", 0.25, "2026-01-06T00:00:00.000Z"],
      ["4", "Li", 99, "2026-02-01T00:00:00.000Z"],
    ]);
    expect(await columnTypes(schema, "orders")).toMatchObject({ id: "bigint", total: "double precision", paid_at: "timestamp with time zone", _s3_row: "bigint" });
    const events = await query(`select id::text as id, kind from "${schema}".events order by _s3_row`);
    expect(events).toEqual([{ id: "9007199254740993", kind: "click" }, { id: "2", kind: "view" }]);
    const metric = await query(`select id, value, at from "${schema}".metrics where _s3_row = 2500`);
    expect(metric.map((r) => [String(r.id), String(r.value), r.at.toISOString()])).toEqual([["2500", "312.500", "2026-04-15T04:00:00.000Z"]]);
  });
});

describe("s3: an object re-written shorter, and skipped rows", () => {
  const longer = "id,v\n1,a\n2,b\n3,c\n4,d\n";
  const shorter = "id,v\n1,x\n2,y\n";
  const streams = [
    { name: "parts", format: "csv", glob: "parts/*.csv" },
    { name: "lines", format: "jsonl", glob: "lines/*.jsonl", on_bad_row: "skip" },
  ];
  async function seed() {
    const bucket = await testBucket("short");
    await bucket.put("parts/p.csv", longer, { lastModified: "2026-02-01T00:00:00Z" });
    await bucket.put("lines/l.jsonl", '{"n": 1}\nnot json\n{"n": 2}\n[3]\n', { lastModified: "2026-02-01T00:00:00Z" });
    return bucket;
  }

  it("D1: the rows beyond the new length are kept, marked deleted; skipped rows are counted on the run", async () => {
    const owner = await bootstrapWorkspace();
    const bucket = await seed();
    const loader = await createLoader(owner, loaderBody(await createD1Source(owner), bucket.name, streams));
    const table = (name: string) => `${loader.target_schema.toLowerCase()}__${name}`;
    const first = await triggerAndWait(owner, loader.id);
    expect(first.streams.find((s: any) => s.name === "lines")).toMatchObject({ status: "completed", rows_loaded: 2, rows_skipped: 2 });
    expect(first.streams.find((s: any) => s.name === "parts")).not.toHaveProperty("rows_skipped");

    await bucket.put("parts/p.csv", shorter, { lastModified: "2026-03-01T00:00:00Z" });
    const second = await triggerAndWait(owner, loader.id);
    expect(second.streams.find((s: any) => s.name === "parts")).toMatchObject({ status: "completed", rows_loaded: 4 });
    const parts = await d1Rows(table("parts"), "_s3_row");
    expect(parts.map((r) => [r._s3_row, r.id, r.v, r._s3_last_modified, r._loader_deleted_at])).toEqual([
      [1, 1, "x", "2026-03-01T00:00:00.000Z", null],
      [2, 2, "y", "2026-03-01T00:00:00.000Z", null],
      [3, 3, "c", "2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
      [4, 4, "d", "2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
    ]);

    // Longer again: the rows come back, no longer deleted.
    await bucket.put("parts/p.csv", longer, { lastModified: "2026-04-01T00:00:00Z" });
    await triggerAndWait(owner, loader.id);
    expect((await d1Rows(table("parts"), "_s3_row")).map((r) => [r._s3_row, r.v, r._loader_deleted_at])).toEqual([
      [1, "a", null],
      [2, "b", null],
      [3, "c", null],
      [4, "d", null],
    ]);
  });

  it("PostgreSQL: the rows beyond the new length are kept, marked deleted", async () => {
    const owner = await bootstrapWorkspace();
    const bucket = await seed();
    const body = loaderBody(await createPostgresSource(owner), bucket.name, streams);
    const schema = body.target_schema.toLowerCase();
    dropAfterAll(schema);
    const loader = await createLoader(owner, body);
    const first = await triggerAndWait(owner, loader.id);
    expect(first.streams.find((s: any) => s.name === "lines")).toMatchObject({ rows_loaded: 2, rows_skipped: 2 });
    await bucket.put("parts/p.csv", shorter, { lastModified: "2026-03-01T00:00:00Z" });
    await triggerAndWait(owner, loader.id);
    const parts = await query(`select _s3_row, v, _loader_deleted_at from "${schema}".parts order by _s3_row`);
    expect(parts.map((r) => [String(r._s3_row), r.v, r._loader_deleted_at?.toISOString() ?? null])).toEqual([
      ["1", "x", null],
      ["2", "y", null],
      ["3", "c", "2026-03-01T00:00:00.000Z"],
      ["4", "d", "2026-03-01T00:00:00.000Z"],
    ]);
  });
});

async function trackerView(runId: string) {
  return runInDurableObject(runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>, (instance: RunTracker) => instance.snapshot());
}

/**
 * Kills the stream's consumer, as a crash would: the tracker hands the stream to a new chunk (the old delivery's
 * lease is void, so its next report is refused), keeping the last committed checkpoint, and a new delivery runs it.
 */
async function killConsumer(owner: { workspaceId: string }, loaderId: string, runId: string, stream: string, afterPages: number) {
  for (const started = Date.now(); ; ) {
    const view = await trackerView(runId);
    const s = view.streams.find((x: any) => x.name === stream);
    if (s && s.pages >= afterPages) break;
    if (view.run?.status !== "running" || Date.now() - started > 60_000) throw new Error(`the run did not reach ${afterPages} pages: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const stub = runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;
  const chunk = await runInDurableObject(stub, (_instance: RunTracker, state) => {
    const sql = state.storage.sql;
    const s = sql.exec<{ chunk: number; checkpoint: string | null }>("SELECT chunk, checkpoint FROM streams WHERE name = ?", stream).one();
    sql.exec("UPDATE streams SET chunk = chunk + 1, lease_token = NULL, lease_until = 0 WHERE name = ?", stream);
    return { next: s.chunk + 1, checkpoint: s.checkpoint };
  });
  await env.EXTRACT_QUEUE.send({ kind: "extract", runId, loaderId, workspaceId: owner.workspaceId, stream, chunk: chunk.next });
  return chunk.checkpoint ? JSON.parse(chunk.checkpoint) : null;
}

describe("s3: a consumer killed mid-file", () => {
  it("resumes a CSV inside the object from the committed byte offset, without loss or duplicates", async () => {
    const owner = await bootstrapWorkspace();
    const bucket = await testBucket("kill");
    const rows = 40_000;
    const written = await bucket.generateCsv("big/data.csv", rows);
    expect(written.size).toBeGreaterThan(2_000_000);
    const loader = await createLoader(owner, loaderBody(await createD1Source(owner), bucket.name, [{ name: "big", format: "csv" }], { sync_mode: "full_refresh", selected_streams: [{ name: "big", sync_mode: "full_refresh" }] }));
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const checkpoint = await killConsumer(owner, loader.id, run.id, "big", 6);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed" });
    const loaded = await d1Rows(`${loader.target_schema.toLowerCase()}__big`, "_s3_row");
    expect(loaded).toHaveLength(rows);
    expect(loaded.map((r) => r._s3_row)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    expect(loaded[996]).toMatchObject({ id: 997, label: generatedRow(997).label });
    // The killed chunk's successor asked for the rest of the object from the committed offset.
    expect(checkpoint?.file?.offset).toBeGreaterThan(0);
    const ranges = (await bucket.requests()).map((r) => r.headers.range).filter(Boolean);
    expect(ranges).toContain(`bytes=${checkpoint.file.offset}-`);
  });

  it("resumes a Parquet file inside its row groups, without loss or duplicates", async () => {
    const owner = await bootstrapWorkspace();
    const bucket = await testBucket("kill");
    const rows = 20_000;
    await bucket.parquet("p/data.parquet", `select i::BIGINT as id, 'row ' || i as label from range(1, ${rows + 1}) t(i)`, { rowGroupSize: 4096 });
    const loader = await createLoader(owner, loaderBody(await createD1Source(owner), bucket.name, [{ name: "p", format: "parquet" }], { sync_mode: "full_refresh", selected_streams: [{ name: "p", sync_mode: "full_refresh" }] }));
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const checkpoint = await killConsumer(owner, loader.id, run.id, "p", 6);
    expect(checkpoint?.file?.row).toBeGreaterThan(0);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed" });
    const loaded = await d1Rows(`${loader.target_schema.toLowerCase()}__p`, "_s3_row");
    expect(loaded.map((r) => r.id)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    expect(new Set(loaded.map((r) => r.label)).size).toBe(rows);
  });
});

describe("s3: the loader type", () => {
  it("is served with its reader and its file-stream options", async () => {
    const served = await servedLoaderType("s3");
    expect(served).toMatchObject({ type: "s3", category: "files", reader_available: true });
    expect(JSON.stringify(served)).toContain("csv_types");
  });
});

describe("s3: credentials refused", () => {
  it("a wrong secret fails the run with a message naming the bucket and sets the loader to error", async () => {
    const owner = await bootstrapWorkspace();
    const { bucket, streams } = await seedFiles();
    const body = loaderBody(await createD1Source(owner), bucket.name, streams.slice(0, 1));
    const loader = await createLoader(owner, { ...body, config: { ...body.config, secret_access_key: "not-the-secret" } });
    const done = await triggerAndWait(owner, loader.id);
    expect(done).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(done.streams[0]).toMatchObject({ status: "failed", error_message: expect.stringContaining(`bucket "${bucket.name}"`) });
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("secret_access_key") });
    expect(JSON.stringify(after)).not.toContain("not-the-secret");
  });
});
