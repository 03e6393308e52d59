#!/usr/bin/env node
// Scheduler at scale (issue 18 part 3). The real cron handler under `wrangler dev`, fired through wrangler's
// scheduled-event route, over loaders copied in SQL from one made through the API (the tick reads only D1 rows).
//   baseline: one tick with 100 due among 1,000 (one claim round: what the tick started at most before batching)
//   1,000 due among 1,000, and 1,000 due among 100,000 (O(due): ratio ≈ 1), target < 10 s for one tick
//   10,000 due among 100,000: ticks needed (target ≤ 2)
// Each case runs in its own worker so the extraction work of one case's runs does not slow the next case.
// Usage: node bench/scheduler.mjs [-- --total 100000 --due 1000 --many 10000 --cases baseline,small,large,many]
// (--cases runs only the cases named, for a shorter comparison; the summary lines need the cases they compare)
import { spawnSync } from "node:child_process";
import http from "node:http";
import { readdirSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { api, commandLine, root, seed, startFakeApi, startWorker } from "./lib.mjs";

const cli = commandLine();
const TOTAL = Number(cli.value("total", 100_000));
const DUE = Number(cli.value("due", 1_000));
const MANY = Number(cli.value("many", 10_000));
const PAST = "2000-01-01T00:00:00Z";
const FUTURE = "2999-01-01T00:00:00Z";
const CASES = new Set(String(cli.value("cases", "baseline,small,large,many")).split(","));

function d1(worker, sql) {
  const file = join(worker.dir, "bench.sql");
  writeFileSync(file, sql);
  const out = spawnSync(join(root, "node_modules/.bin/wrangler"), ["d1", "execute", "DB", "--local", "--persist-to", worker.dir, "--file", file, "--json"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`d1 execute failed: ${out.stderr || out.stdout}`);
  const parsed = JSON.parse(out.stdout);
  return parsed.at(-1)?.results ?? [];
}

/** A workspace, a D1 source and one hourly rest_api loader through the API, then `count - 1` copies of it in SQL. */
async function seedLoaders(worker, fake, count) {
  const call = api(worker.base);
  const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: "scheduler bench" } });
  const ws = boot.workspace.id;
  const scoped = (path, init = {}) => call(`/api/v1/workspaces/${ws}${path}`, { ...init, key: boot.api_key.key, workspace: ws });
  const source = await scoped("/sources", { method: "POST", body: { name: "d1", source_type: "d1" } });
  const loader = await scoped("/loaders", {
    method: "POST",
    body: {
      name: "hourly",
      loader_type: "rest_api",
      source_id: source.id,
      target_schema: "bench_scheduler",
      sync_mode: "full_refresh",
      schedule: "0 * * * *",
      selected_streams: [{ name: "items" }],
      config: {
        base_url: `https://api.example.com/t/sched`,
        auth: { type: "none" },
        paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 100 },
        streams: [{ name: "items", path: "/cursor/items", records_path: "results", primary_key: ["id"] }],
      },
    },
  });
  d1(
    worker,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})
     INSERT INTO loaders (id, workspace_id, source_id, name, loader_type, config, config_secrets, target_schema, selected_streams, sync_mode,
       schedule, status, status_error, next_run_at, created_by, created_at, updated_at, revision)
     SELECT 'bench_' || printf('%07d', i), workspace_id, source_id, name || ' ' || i, loader_type, config, config_secrets, target_schema,
       selected_streams, sync_mode, schedule, status, status_error, '${FUTURE}', created_by, created_at, updated_at, revision
     FROM loaders, n WHERE loaders.id = '${loader.id}';
     UPDATE loaders SET next_run_at = '${FUTURE}' WHERE id = '${loader.id}';`,
  );
}

function makeDue(worker, count) {
  if (process.env.BENCH_DEBUG) console.error("makeDue");
  d1(worker, `UPDATE loaders SET next_run_at = '${PAST}' WHERE id IN (SELECT id FROM loaders WHERE next_run_at = '${FUTURE}' ORDER BY id LIMIT ${count});`);
}

function counts(worker) {
  const [row] = d1(
    worker,
    `SELECT (SELECT count(*) FROM loaders) AS loaders, (SELECT count(*) FROM loaders WHERE next_run_at = '${PAST}') AS due,
       (SELECT count(*) FROM loader_runs) AS runs, (SELECT count(*) FROM loader_runs WHERE status <> 'pending') AS dispatched;`,
  );
  return row;
}

/**
 * Runs begun (their tracker started: no longer pending), read straight from the local D1's SQLite file, so the
 * benchmark can poll every 50 ms while the starts run (a `wrangler d1 execute` takes a second or more).
 */
function controlPlane(worker) {
  const dir = join(worker.dir, "v3/d1/miniflare-D1DatabaseObject");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'loader_runs'").get()) return db;
    db.close();
  }
  throw new Error("no local D1 file with loader_runs");
}

async function untilBegun(db, runs, deadline) {
  for (;;) {
    const { begun } = db.prepare("SELECT count(*) AS begun FROM loader_runs WHERE status <> 'pending'").get();
    if (begun >= runs) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One cron tick through wrangler's scheduled route; it answers once the handler has finished. */
async function tick(worker) {
  if (process.env.BENCH_DEBUG) console.error("tick");
  const started = performance.now();
  // A fresh connection: wrangler's proxy closes idle keep-alive sockets, and a tick sent on one would be lost.
  const { status, text } = await new Promise((resolve, reject) => {
    const req = http.get(`${worker.base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`, { agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, text: body }));
    });
    req.on("error", reject);
  });
  if (status !== 200) throw new Error(`scheduled route → ${status} ${text}`);
  return (performance.now() - started) / 1000;
}

async function measure(fake, label, total, due, port) {
  // BENCH_DEBUG: the worker logs at level log, so the tick's own line (claimed_ms, started_ms) shows on stderr.
  const worker = await startWorker({ fakePort: fake.port, port, logLevel: process.env.BENCH_DEBUG ? "log" : "warn" });
  if (process.env.BENCH_DEBUG) { worker.child.stdout.on("data", (d) => process.stderr.write(d)); worker.child.stderr.on("data", (d) => process.stderr.write(d)); }
  try {
    await seedLoaders(worker, fake, total);
    makeDue(worker, due);
    const before = counts(worker);
    const db = controlPlane(worker);
    const ticks = [];
    let after = before;
    const began = performance.now();
    while (after.due > 0 && ticks.length < 5) {
      ticks.push(await tick(worker));
      after = counts(worker);
    }
    const started = after.runs - before.runs;
    // The ticks hand the starts to the queue; the runs begin in its consumers, after or alongside the tick.
    const allBegun = await untilBegun(db, after.runs, began + 15 * 60_000);
    const begunSeconds = (performance.now() - began) / 1000;
    db.close();
    const line = `  ${label.padEnd(36)} ${String(started).padStart(6)} runs started in ${ticks.length} tick(s): ${ticks.map((s) => `${s.toFixed(2)} s`).join(", ")}` +
      `  (${((ticks.reduce((a, b) => a + b, 0) * 1000) / Math.max(started, 1)).toFixed(1)} ms a run); every run begun ${allBegun ? `${begunSeconds.toFixed(2)} s` : "NOT within 15 min"} after the first tick; none left due: ${after.due === 0}`;
    console.log(line);
    if (started !== due) throw new Error(`${label}: ${started} runs for ${due} due loaders`);
    return { total, due, started, ticks, seconds_first_tick: ticks[0], seconds_all_begun: allBegun ? begunSeconds : null, ms_per_run: (ticks.reduce((a, b) => a + b, 0) * 1000) / started };
  } finally {
    await worker.stop();
  }
}

const fake = await startFakeApi();
try {
  await seed(fake, "sched", 0);
  console.log(`scheduler: ${DUE} due among ${DUE} and among ${TOTAL}, ${MANY} due among ${TOTAL}`);
  const run = (name, ...args) => (CASES.has(name) ? measure(fake, ...args) : null);
  const baseline = await run("baseline", `baseline: 100 due among ${DUE}`, DUE, 100, 18790);
  const small = await run("small", `${DUE} due among ${DUE}`, DUE, DUE, 18791);
  const large = await run("large", `${DUE} due among ${TOTAL}`, TOTAL, DUE, 18792);
  const many = await run("many", `${MANY} due among ${TOTAL}`, TOTAL, MANY, 18793);
  const oneTick = large ?? small;
  // Judged on the tick: it is what holds the cron's minute, and it started every run in the DESIGN §2 sense (a
  // pending run whose start is handed to the queue); the time until every tracker began is printed beside it.
  if (oneTick) console.log(`  one tick, ${DUE} due among ${oneTick.total}: ${oneTick.seconds_first_tick.toFixed(2)} s (target < 10 s) ${oneTick.ticks.length === 1 && oneTick.seconds_first_tick < 10 ? "met" : "NOT met"}; every run begun after ${oneTick.seconds_all_begun?.toFixed(2) ?? "(not within 15 min)"} s`);
  if (large && small) console.log(`  O(due): ${DUE} due among ${TOTAL} / among ${DUE}: ratio ${(large.seconds_first_tick / small.seconds_first_tick).toFixed(2)} (target ≈ 1)`);
  if (many) console.log(`  ${MANY} due: ${many.ticks.length} tick(s) (target ≤ 2) ${many.ticks.length <= 2 ? "met" : "NOT met"}`);
  if (baseline && oneTick) console.log(`  ms a run vs the 100-due baseline tick: ${DUE} due ${(oneTick.ms_per_run / baseline.ms_per_run).toFixed(2)}${many ? `, ${MANY} due ${(many.ms_per_run / baseline.ms_per_run).toFixed(2)}` : ""} (≤ 1: batching scales)`);
} finally {
  fake.stop();
}
