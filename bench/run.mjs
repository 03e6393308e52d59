#!/usr/bin/env node
// Benchmarks (not part of npm test). Prints figures and ratios against baselines measured in the same run.
//   throughput: N records (100 a page, as Stripe serves) from the fake REST API through the real engine in local
//               workerd into PostgreSQL and into D1, vs a plain Node loop fetching the same pages + COPY into Postgres.
//   memory:     peak RSS of workerd for a small vs a 10x larger stream (bounded by a page, not by a stream).
// Usage: npm run bench [-- --records 200000 --memory-small 50000 --memory-large 500000 --skip-throughput --skip-memory
//                         --memory-warehouses postgresql,d1 --local-observability]
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, dropSchema, engineRun, pgUrl, root, seed, startFakeApi, startWorker, workerdPeakRssMiB } from "./lib.mjs";

const cli = commandLine();
const RECORDS = Number(cli.value("records", 200_000));
const MEMORY_SMALL = Number(cli.value("memory-small", 50_000));
const MEMORY_LARGE = Number(cli.value("memory-large", 500_000));
const LOCAL_OBSERVABILITY = cli.flag("local-observability");
const MEMORY_WAREHOUSES = cli.value("memory-warehouses", "postgresql,d1").split(",");
const PAGE = 100;

function copyText(value) {
  if (value === null || value === undefined) return "\\N";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** The baseline: what a hand-written Node loader does — fetch a page, COPY it, repeat. */
async function nodeBaseline(fake, tenant) {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  await client.query("drop schema if exists bench_baseline cascade; create schema bench_baseline");
  await client.query(
    "create table bench_baseline.items (id bigint, name text, status text, amount double precision, updated_at text, created_at text, tags jsonb, owner jsonb)",
  );
  const started = performance.now();
  let after = null;
  let rows = 0;
  for (;;) {
    const url = new URL(`${fake.base}/t/${tenant}/cursor/items`);
    url.searchParams.set("limit", String(PAGE));
    if (after) url.searchParams.set("after", after);
    const body = await (await fetch(url)).json();
    const lines = body.results.map((r) => [r.id, r.name, r.status, r.amount, r.updated_at, r.created_at, r.tags, r.owner].map(copyText).join("\t") + "\n");
    await pipeline(Readable.from(lines), client.query(copyFrom("copy bench_baseline.items from stdin")));
    rows += body.results.length;
    if (!body.next_cursor) break;
    after = body.next_cursor;
  }
  const seconds = (performance.now() - started) / 1000;
  const count = Number((await client.query("select count(*) from bench_baseline.items")).rows[0].count);
  await client.query("drop schema bench_baseline cascade");
  await client.end();
  if (count !== rows) throw new Error(`baseline loaded ${count} of ${rows}`);
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

const results = { date: new Date().toISOString(), records: RECORDS, page_size: PAGE, local_observability: LOCAL_OBSERVABILITY };
const fake = await startFakeApi();
try {
  if (!cli.flag("skip-throughput")) await throughput();
  if (!cli.flag("skip-memory")) await memory();
} finally {
  fake.stop();
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/latest.json"), JSON.stringify(results, null, 2));

async function throughput() {
  await seed(fake, "bench", RECORDS);
  console.log(`throughput: ${RECORDS} records, ${PAGE} a page`);
  const baseline = await nodeBaseline(fake, "bench");
  console.log(`  baseline  Node fetch + COPY → Postgres   ${baseline.rowsPerSecond.toFixed(0).padStart(8)} rows/s (${baseline.seconds.toFixed(2)} s)`);

  // "log": the D1 adapter's rows-written lines are info logs, which wrangler shows from that level on.
  const worker = await startWorker({ fakePort: fake.port, port: 18787, localObservability: LOCAL_OBSERVABILITY, logLevel: "log" });
  try {
    const pgRun = await engineRun(worker, fake, "bench", { warehouse: "postgresql", schema: "bench_engine" });
    await dropSchema("bench_engine");
    const d1Writes = d1WritesOf(worker);
    const d1Run = await engineRun(worker, fake, "bench", { warehouse: "d1", schema: "bench_engine" });
    // The last chunk's adapter logs at its close, just after the run completes.
    await new Promise((r) => setTimeout(r, 1000));
    d1Run.rows_written = d1Writes.rowsWritten();
    if (d1Run.rows_written === 0) throw new Error("no rows-written line from the D1 adapter in the worker's output");
    d1Run.rows_written_per_record = d1Run.rows_written / d1Run.rows;
    const chunks = Math.ceil(RECORDS / PAGE / 500);
    const overheadMs = ((pgRun.seconds - baseline.seconds) * 1000) / chunks;
    console.log(`  engine    workerd → Postgres              ${pgRun.rowsPerSecond.toFixed(0).padStart(8)} rows/s (${pgRun.seconds.toFixed(2)} s)  ratio ${(pgRun.rowsPerSecond / baseline.rowsPerSecond).toFixed(2)}`);
    console.log(`  engine    workerd → D1                    ${d1Run.rowsPerSecond.toFixed(0).padStart(8)} rows/s (${d1Run.seconds.toFixed(2)} s)  ratio ${(d1Run.rowsPerSecond / baseline.rowsPerSecond).toFixed(2)}`);
    console.log(`  D1 rows written ${d1Run.rows_written} for ${d1Run.rows} records: ${d1Run.rows_written_per_record.toFixed(3)} a record (target ≤ 1.1) ${d1Run.rows_written_per_record <= 1.1 ? "met" : "NOT met"}`);
    console.log(`  overhead  per 500-page chunk vs baseline  ${overheadMs.toFixed(0)} ms (${chunks} chunks)`);
    Object.assign(results, { baseline, engine_postgres: pgRun, engine_d1: d1Run, ratio_postgres: pgRun.rowsPerSecond / baseline.rowsPerSecond, ratio_d1: d1Run.rowsPerSecond / baseline.rowsPerSecond, overhead_ms_per_chunk: overheadMs });
  } finally {
    await worker.stop();
  }
}

/** Sums the rows_written the D1 adapter logs at each close (src/warehouses/d1.ts) from the worker's output. */
function d1WritesOf(worker) {
  let total = 0;
  let pending = "";
  worker.child.stdout.on("data", (data) => {
    pending += data.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const at = line.indexOf('{"level"');
      if (at < 0 || !line.includes('"d1 warehouse writes"')) continue;
      total += JSON.parse(line.slice(at)).rows_written;
    }
  });
  return { rowsWritten: () => total };
}

async function memory() {
  // PostgreSQL first: its data lives outside workerd. Local D1 stores the warehouse inside the workerd process, so
  // its figure includes SQLite's cache of the growing table. Both peaks also hold what the local runtime has not
  // collected yet: per-subrequest objects awaiting a major GC in our isolate and in miniflare's outbound isolate
  // (bench/memory-profile.mjs breaks them down, bench/workerd-gc-repro.mjs shows it without our code).
  for (const warehouse of MEMORY_WAREHOUSES) {
    console.log(`memory: peak workerd RSS, ${MEMORY_SMALL} vs ${MEMORY_LARGE} records into ${warehouse}${LOCAL_OBSERVABILITY ? " (with wrangler's local trace capture)" : ""}`);
    const peaks = {};
    for (const [label, count] of [["small", MEMORY_SMALL], ["large", MEMORY_LARGE]]) {
      await seed(fake, `mem_${label}`, count);
      const worker = await startWorker({ fakePort: fake.port, port: 18788, localObservability: LOCAL_OBSERVABILITY });
      try {
        const schema = `mem_${label}`;
        const run = await engineRun(worker, fake, `mem_${label}`, { warehouse, schema });
        peaks[label] = workerdPeakRssMiB(worker.pid);
        if (warehouse === "postgresql") await dropSchema(schema);
        console.log(`  ${String(count).padStart(7)} records: peak RSS ${peaks[label].toFixed(0)} MiB (${run.rowsPerSecond.toFixed(0)} rows/s)`);
      } finally {
        await worker.stop();
      }
    }
    console.log(`  ratio large/small: ${(peaks.large / peaks.small).toFixed(2)} (target < 1.5)`);
    results[`memory_${warehouse}`] = { small: { records: MEMORY_SMALL, peak_rss_mib: peaks.small }, large: { records: MEMORY_LARGE, peak_rss_mib: peaks.large }, ratio: peaks.large / peaks.small };
  }
}
