#!/usr/bin/env node
// The key-range split of one database stream (issue 18 part 1; not part of npm test): one PostgreSQL table of N rows
// (bigint key, timestamptz, text, numeric, int, bool, jsonb, timestamp) loaded full_refresh into the PostgreSQL
// warehouse under `wrangler dev`, read in one piece (RANGE_ROWS left at its default, above N) and as key ranges
// (RANGE_ROWS = N / lanes), alternated run by run. It prints rows/s of each, their ratio, and the CPU of all workerd
// processes per million rows, so that the split's own cost shows: locally every lane runs in the one workerd, so the
// split can only cost here; on Cloudflare each lane is a queue consumer of its own (README, Performance).
// Usage: node bench/db-ranges.mjs [--rows 1000000 --lanes 4 --repeat 3 --port 18897]
import { api, commandLine, pgQuery, pgUrl, seedPostgresItems, startWorker, workerdCpuSeconds } from "./lib.mjs";

const cli = commandLine();
const ROWS = Number(cli.value("rows", 1_000_000));
const LANES = Number(cli.value("lanes", 4));
const REPEAT = Number(cli.value("repeat", 3));
// Two workers at once, on two ports; other benchmarks start theirs on their own defaults.
const PORT = Number(cli.value("port", 18897));
const SCHEMA = "bench_db_ranges";
const login = new URL(pgUrl());

/** One full_refresh run of the table through `worker`; checks every key arrived once, answers rows/s and CPU. */
async function load(worker, targetSchema) {
  const call = api(worker.base);
  const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: "bench-ranges" } });
  const ws = boot.workspace.id;
  const scoped = (path, init = {}) => call(`/api/v1/workspaces/${ws}${path}`, { ...init, key: boot.api_key.key, workspace: ws });
  const config = { host: login.hostname, port: Number(login.port || 5432), database: login.pathname.slice(1), user: decodeURIComponent(login.username) || "postgres", password: login.password || "trust", sslmode: "disable" };
  const warehouse = await scoped("/sources", { method: "POST", body: { name: "pg", source_type: "postgresql", config } });
  const loader = await scoped("/loaders", {
    method: "POST",
    body: {
      name: "bench ranges",
      loader_type: "postgresql",
      source_id: warehouse.id,
      target_schema: targetSchema,
      sync_mode: "full_refresh",
      selected_streams: [{ name: `${SCHEMA}.items`, sync_mode: "full_refresh" }],
      config: { ...config, schemas: [SCHEMA], tables: ["items"] },
    },
  });
  const cpuBefore = workerdCpuSeconds(worker.pid);
  const started = performance.now();
  const run = await scoped(`/loaders/${loader.id}/trigger`, { method: "POST" });
  let current = run;
  while (!["completed", "failed", "cancelled"].includes(current.status)) {
    await new Promise((r) => setTimeout(r, 250));
    current = await scoped(`/loaders/${loader.id}/runs/${run.id}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = workerdCpuSeconds(worker.pid) - cpuBefore;
  if (current.status !== "completed") throw new Error(`run ${current.status}: ${current.error_message}`);
  const [{ count, keys }] = await pgQuery(`SELECT count(*)::int AS count, count(DISTINCT id)::int AS keys FROM ${targetSchema}.${SCHEMA}_items`);
  if (count !== ROWS || keys !== ROWS) throw new Error(`loaded ${count} rows (${keys} keys) of ${ROWS}`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${targetSchema} CASCADE`);
  return { rowsPerSecond: ROWS / seconds, cpuPerMillion: (cpu * 1_000_000) / ROWS };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`key-range split: ${ROWS.toLocaleString("en")} rows from PostgreSQL, full_refresh into PostgreSQL, 1 lane vs ${LANES}, ${REPEAT} repeat(s) alternated, medians`);
await seedPostgresItems(SCHEMA, ROWS);
for (const port of [PORT, PORT + 1]) {
  if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) throw new Error(`port ${port} is in use; pass --port`);
}
const whole = await startWorker({ fakePort: 1, port: PORT });
// RANGE_ROWS 1 % over N / lanes: ANALYZE's estimate (reltuples) is within 1 % of N, so ceil(estimate / RANGE_ROWS)
// is the lane count.
const split = await startWorker({ fakePort: 1, port: PORT + 1, logLevel: "log", extraArgs: ["--var", `RANGE_ROWS:${Math.ceil((ROWS / LANES) * 1.01)}`] });
// The tracker logs each split with its lane count: the benchmark checks the split it measures happened as asked.
const splits = [];
split.child.stdout.on("data", (data) => {
  for (const match of String(data).matchAll(/"msg":"stream split into key ranges"[^\n]*?"ranges":(\d+)/g)) splits.push(Number(match[1]));
});
split.child.stderr.on("data", () => undefined);
const results = { whole: [], split: [] };
try {
  for (let i = 0; i < REPEAT; i++) {
    for (const [name, worker] of i % 2 === 0 ? [["whole", whole], ["split", split]] : [["split", split], ["whole", whole]]) {
      const seen = splits.length;
      const result = await load(worker, `bench_ranges_${name}_${i}`);
      if (name === "split" && splits.slice(seen).join() !== String(LANES)) throw new Error(`the split run logged splits [${splits.slice(seen)}], not one into ${LANES} lanes`);
      results[name].push(result);
      console.log(`  run ${i + 1} ${name.padEnd(5)} ${result.rowsPerSecond.toFixed(0).padStart(8)} rows/s  ${result.cpuPerMillion.toFixed(1).padStart(6)} s workerd CPU per million rows`);
    }
  }
} finally {
  await whole.stop();
  await split.stop();
  if (!cli.flag("keep-data")) await pgQuery(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
}
const rate = (name) => median(results[name].map((r) => r.rowsPerSecond));
const cpu = (name) => median(results[name].map((r) => r.cpuPerMillion));
console.log(`  one lane        ${rate("whole").toFixed(0).padStart(8)} rows/s  ${cpu("whole").toFixed(1).padStart(6)} s workerd CPU per million rows`);
console.log(`  ${String(LANES).padEnd(2)} lanes        ${rate("split").toFixed(0).padStart(8)} rows/s  ${cpu("split").toFixed(1).padStart(6)} s workerd CPU per million rows`);
console.log(`  ratio (lanes / one lane): rows/s ${(rate("split") / rate("whole")).toFixed(2)}, CPU per row ${(cpu("split") / cpu("whole")).toFixed(2)}`);
