#!/usr/bin/env node
// The s3 reader's benchmarks (not part of npm test); figures and ratios against a baseline run in the same script.
//   throughput: one CSV from the S3 server of the tests (test/fakes/s3) through the real engine in local workerd
//               (wrangler dev) into PostgreSQL, vs `psql \copy` of the same CSV from local disk: rows/s, MB/s, ratio.
//   memory:     peak workerd RSS loading a small vs a 10x larger CSV (target under 1.3x: bounded by a page, not a file).
//   parquet:    many Parquet files (DuckDB-written, snappy) into PostgreSQL, vs `psql \copy` of the same rows as CSV.
// Usage: node bench/s3.mjs [--throughput-mb 100 --small-mb 100 --large-mb 1000 --parquet-files 100
//                           --parquet-rows 1000000 --skip-throughput --skip-memory --skip-parquet --profile]
//   --profile: the Worker isolate's CPU profile during the throughput and Parquet engine runs (bench/lib.mjs).
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { GENERATED_HEADER, generatedLine } from "../test/fakes/s3/fixtures.ts";
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY } from "../test/fakes/s3/fixtures.ts";
import { commandLine, countRows, cpuProfile, dropSchema, loaderRun, pgUrl, root, startFake, startWorker, workerdPeakRssMiB } from "./lib.mjs";

const cli = commandLine();
const THROUGHPUT_MB = Number(cli.value("throughput-mb", 100));
const SMALL_MB = Number(cli.value("small-mb", 100));
const LARGE_MB = Number(cli.value("large-mb", 1000));
const PARQUET_FILES = Number(cli.value("parquet-files", 100));
const PARQUET_ROWS = Number(cli.value("parquet-rows", 1_000_000));
const PROFILE = cli.flag("profile");
const INSPECTOR_PORT = 19330;
const MB = 1_000_000;
const profiled = (work) => (PROFILE ? cpuProfile(INSPECTOR_PORT, work) : work());
const profilerArgs = PROFILE ? ["--inspector-port", String(INSPECTOR_PORT)] : [];

/** Rows of the generated CSV that make about `mb` megabytes (its rows' lengths vary a little). */
function rowsFor(mb) {
  let bytes = GENERATED_HEADER.length + 1;
  const sample = 10_000;
  for (let i = 1; i <= sample; i++) bytes += Buffer.byteLength(generatedLine(i)) + 1;
  return Math.round((mb * MB) / (bytes / sample));
}


/** The same CSV the S3 server generates, on local disk for psql. */
async function localCsv(rows) {
  const dir = mkdtempSync(join(tmpdir(), "loaders-s3-bench-"));
  const file = join(dir, "data.csv");
  const out = createWriteStream(file);
  out.write(`${GENERATED_HEADER}\n`);
  for (let i = 1; i <= rows; i += 1000) {
    const block = [];
    for (let j = i; j < Math.min(i + 1000, rows + 1); j++) block.push(generatedLine(j));
    if (!out.write(`${block.join("\n")}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { file, dir, bytes: statSync(file).size };
}

function psqlCopy(file, columns = "id bigint, label text, amount double precision, at timestamptz, flag boolean") {
  const url = new URL(pgUrl());
  const args = ["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username) || "postgres", "-d", url.pathname.slice(1), "-v", "ON_ERROR_STOP=1", "-q"];
  const run = (sql) => {
    const result = spawnSync("psql", [...args, "-c", sql], { encoding: "utf8", env: { ...process.env, PGPASSWORD: url.password } });
    if (result.status !== 0) throw new Error(`psql: ${result.stderr}`);
  };
  run(`drop schema if exists bench_s3_copy cascade; create schema bench_s3_copy; create table bench_s3_copy.data (${columns})`);
  const started = performance.now();
  run(`\\copy bench_s3_copy.data from '${file}' with (format csv, header true)`);
  const seconds = (performance.now() - started) / 1000;
  run("drop schema bench_s3_copy cascade");
  return seconds;
}

/** One full_refresh run of an s3 loader (the S3 server at its loopback address, path style) into PostgreSQL. */
async function engineRun(worker, s3, bucket, key, schema, format = "csv") {
  const { rows, seconds } = await loaderRun(worker, {
    name: "bench s3",
    loader_type: "s3",
    target_schema: schema,
    sync_mode: "full_refresh",
    selected_streams: [{ name: "data" }],
    config: { bucket, region: "us-east-1", endpoint: s3.base, force_path_style: true, access_key_id: ACCESS_KEY_ID, secret_access_key: SECRET_ACCESS_KEY, streams: [{ name: "data", format, glob: key }] },
  });
  return { rows, seconds };
}

async function checkCount(schema, rows) {
  const count = await countRows(schema, "data");
  if (count !== rows) throw new Error(`${schema}.data holds ${count} rows, not ${rows}`);
}

const results = { date: new Date().toISOString() };
const s3 = await startFake("s3", { controlPrefix: "/_control/" });
try {
  if (!cli.flag("skip-throughput")) await throughput();
  if (!cli.flag("skip-memory")) await memory();
  if (!cli.flag("skip-parquet")) await parquet();
} finally {
  await s3.stop();
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/s3-latest.json"), JSON.stringify(results, null, 2));

async function throughput() {
  const rows = rowsFor(THROUGHPUT_MB);
  const bucket = "bench-throughput";
  await s3.control("PUT", `bucket/${bucket}`, {});
  const object = await s3.control("POST", `generate-csv/${bucket}/data.csv`, { rows });
  const local = await localCsv(rows);
  if (local.bytes !== object.size) throw new Error(`local CSV ${local.bytes} bytes, S3 object ${object.size}`);
  console.log(`throughput: ${rows} rows, ${(object.size / MB).toFixed(0)} MB of CSV into PostgreSQL`);
  const copySeconds = psqlCopy(local.file);
  rmSync(local.dir, { recursive: true, force: true });
  const copy = { seconds: copySeconds, rowsPerSecond: rows / copySeconds, mbPerSecond: object.size / MB / copySeconds };
  console.log(`  baseline  psql \\copy from local disk   ${copy.rowsPerSecond.toFixed(0).padStart(8)} rows/s ${copy.mbPerSecond.toFixed(1).padStart(6)} MB/s (${copySeconds.toFixed(1)} s)`);
  const worker = await startWorker({ fakePort: s3.port, port: 18797, extraArgs: profilerArgs });
  try {
    const run = await profiled(() => engineRun(worker, s3, bucket, "data.csv", "bench_s3_engine"));
    await checkCount("bench_s3_engine", rows);
    await dropSchema("bench_s3_engine");
    const engine = { seconds: run.seconds, rowsPerSecond: rows / run.seconds, mbPerSecond: object.size / MB / run.seconds };
    console.log(`  engine    S3 → workerd → PostgreSQL   ${engine.rowsPerSecond.toFixed(0).padStart(8)} rows/s ${engine.mbPerSecond.toFixed(1).padStart(6)} MB/s (${run.seconds.toFixed(1)} s)  ratio ${(engine.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}`);
    Object.assign(results, { throughput: { rows, bytes: object.size, psql_copy: copy, engine, ratio: engine.rowsPerSecond / copy.rowsPerSecond } });
  } finally {
    await worker.stop();
  }
}

async function memory() {
  console.log(`memory: peak workerd RSS, a ${SMALL_MB} MB vs a ${LARGE_MB} MB CSV into PostgreSQL`);
  const peaks = {};
  for (const [label, mb] of [["small", SMALL_MB], ["large", LARGE_MB]]) {
    const rows = rowsFor(mb);
    const bucket = `bench-memory-${label}`;
    await s3.control("PUT", `bucket/${bucket}`, {});
    const object = await s3.control("POST", `generate-csv/${bucket}/data.csv`, { rows });
    const worker = await startWorker({ fakePort: s3.port, port: 18798 });
    try {
      const schema = `bench_s3_mem_${label}`;
      const run = await engineRun(worker, s3, bucket, "data.csv", schema);
      peaks[label] = workerdPeakRssMiB(worker.pid);
      await checkCount(schema, rows);
      await dropSchema(schema);
      console.log(`  ${(object.size / MB).toFixed(0).padStart(5)} MB (${rows} rows): peak RSS ${peaks[label].toFixed(0)} MiB (${(rows / run.seconds).toFixed(0)} rows/s)`);
      results[`memory_${label}`] = { bytes: object.size, rows, peak_rss_mib: peaks[label] };
    } finally {
      await worker.stop();
    }
  }
  console.log(`  ratio large/small: ${(peaks.large / peaks.small).toFixed(2)} (target < 1.3)`);
  results.memory_ratio = peaks.large / peaks.small;
}

async function parquet() {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "loaders-s3-parquet-"));
  const bucket = "bench-parquet";
  await s3.control("PUT", `bucket/${bucket}`, {});
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  const rowsOf = (f) => `select (${f} * ${PARQUET_ROWS} + i)::BIGINT as id, 'label ' || i as label, (i / 100)::DECIMAL(12,2) as amount, TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 SECOND as at from range(0, ${PARQUET_ROWS}) t(i)`;
  let bytes = 0;
  for (let f = 0; f < PARQUET_FILES; f++) {
    const file = join(dir, `part-${f}.parquet`);
    await db.run(`COPY (${rowsOf(f)}) TO '${file}' (FORMAT parquet)`);
    const body = readFileSync(file);
    bytes += body.length;
    const res = await fetch(`${s3.base}/_control/object/${bucket}/p/part-${String(f).padStart(4, "0")}.parquet`, { method: "PUT", body });
    if (!res.ok) throw new Error(`upload part ${f}: ${res.status}`);
    rmSync(file);
  }
  const csv = join(dir, "all.csv");
  await db.run(`COPY (${Array.from({ length: PARQUET_FILES }, (_, f) => rowsOf(f)).join(" union all ")}) TO '${csv}' (FORMAT csv, HEADER)`);
  db.closeSync();
  instance.closeSync();
  const rows = PARQUET_FILES * PARQUET_ROWS;
  console.log(`parquet: ${PARQUET_FILES} files of ${PARQUET_ROWS} rows (${(bytes / MB).toFixed(0)} MB of Parquet) into PostgreSQL`);
  const copySeconds = psqlCopy(csv, "id bigint, label text, amount numeric, at timestamptz");
  rmSync(dir, { recursive: true, force: true });
  console.log(`  baseline  psql \\copy of the same rows as CSV ${(rows / copySeconds).toFixed(0).padStart(8)} rows/s (${copySeconds.toFixed(1)} s)`);
  const worker = await startWorker({ fakePort: s3.port, port: 18799, extraArgs: profilerArgs });
  try {
    const run = await profiled(() => engineRun(worker, s3, bucket, "p/*.parquet", "bench_s3_parquet", "parquet"));
    await checkCount("bench_s3_parquet", rows);
    await dropSchema("bench_s3_parquet");
    const engine = { seconds: run.seconds, rowsPerSecond: rows / run.seconds, mbPerSecond: bytes / MB / run.seconds };
    console.log(`  engine    S3 → workerd → PostgreSQL        ${engine.rowsPerSecond.toFixed(0).padStart(8)} rows/s ${engine.mbPerSecond.toFixed(1).padStart(6)} MB/s (${run.seconds.toFixed(1)} s)  ratio ${(engine.rowsPerSecond / (rows / copySeconds)).toFixed(2)}`);
    results.parquet = { files: PARQUET_FILES, rows, bytes, psql_copy_seconds: copySeconds, engine, ratio: engine.rowsPerSecond / (rows / copySeconds) };
  } finally {
    await worker.stop();
  }
}
