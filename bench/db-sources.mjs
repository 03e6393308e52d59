#!/usr/bin/env node
// Database sources into the PostgreSQL warehouse (issue 18 part 1; not part of npm test). One table of N rows
// (bigint key, timestamptz, text, numeric, int, bool, jsonb, timestamp) in PostgreSQL and in MariaDB/MySQL, loaded
// full_refresh through the real engine under `wrangler dev`, against the fastest pipe the command-line tools give
// in the same run: `psql COPY … TO STDOUT | psql COPY … FROM STDIN` and `mysql --batch | psql COPY … FROM STDIN`.
// Usage: npm run bench:db [-- --rows 1000000 --sources postgresql,mysql --repeat 1 --keep-data --profile --port 18797]
//   --profile: a CPU profile of the Worker's isolate during each engine run (through wrangler's inspector), printed
//              as the functions with the most self time.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { api, commandLine, cpuProfile, pgQuery, pgUrl, seedPostgresItems, startWorker, workerdCpuSeconds } from "./lib.mjs";

const cli = commandLine();
const ROWS = Number(cli.value("rows", 1_000_000));
const SOURCES = cli.value("sources", "postgresql,mysql").split(",");
const REPEAT = Number(cli.value("repeat", 1));
const TARGET = 0.5;
const PROFILE = cli.flag("profile");
// Other benchmarks start their own wrangler dev on these defaults; --port and --inspector-port keep runs apart.
const PORT = Number(cli.value("port", 18797));
const INSPECTOR_PORT = Number(cli.value("inspector-port", 19329));
const SCHEMA = "bench_db_src";
const MYSQL_DB = "bench_db_src";
const MYSQL_READER = { user: "loaders_bench_reader", password: "bench-reader-password" };
const pgLogin = new URL(pgUrl());
const mysqlLogin = new URL(process.env.LOADERS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test");

function sh(command, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", command], { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    if (input !== undefined) child.stdin.end(input);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} → ${code}: ${err.slice(-2000)}`))));
  });
}

const psql = (database = pgLogin.pathname.slice(1)) =>
  `psql -X -q -v ON_ERROR_STOP=1 -h ${pgLogin.hostname} -p ${pgLogin.port || 5432} -U ${decodeURIComponent(pgLogin.username) || "postgres"} -d ${database}`;
const mysql = () => `mysql -h ${mysqlLogin.hostname} -P ${mysqlLogin.port || 3306} -u ${decodeURIComponent(mysqlLogin.username) || "root"}`;

async function seedMysql() {
  await sh(`${mysql()} -e "DROP DATABASE IF EXISTS ${MYSQL_DB}; CREATE DATABASE ${MYSQL_DB}"`);
  // The engine logs in with a password (a loader without one is a draft); the bench's own reader has one.
  for (const host of ["localhost", "127.0.0.1", "%"]) {
    await sh(`${mysql()} -e "CREATE USER IF NOT EXISTS '${MYSQL_READER.user}'@'${host}' IDENTIFIED BY '${MYSQL_READER.password}'; GRANT SELECT ON ${MYSQL_DB}.* TO '${MYSQL_READER.user}'@'${host}'"`);
  }
  const sql = `
    CREATE TABLE items (id bigint PRIMARY KEY, created_at timestamp(6) NOT NULL, name text, amount decimal(12,2),
      qty int, active boolean, attrs json, updated_at datetime(6));
    SET time_zone = '+00:00';
    INSERT INTO items
    SELECT seq, TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000) MICROSECOND,
           CONCAT('item ', seq, ' with a name of some length'), (seq % 100000) / 100.0, IF(seq % 10 = 0, NULL, seq % 5000),
           seq % 2 = 0, JSON_OBJECT('color', CONCAT('c', seq % 7), 'n', seq, 'tags', JSON_ARRAY('a', 'b')),
           TIMESTAMP('2024-06-01 00:00:00') + INTERVAL seq SECOND
      FROM seq_1_to_${ROWS};`;
  await sh(`${mysql()} ${MYSQL_DB}`, { input: sql });
}

const TARGET_DDL = (table) =>
  `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id bigint, created_at timestamptz, name text, amount numeric, qty bigint, active bool, attrs jsonb, updated_at timestamptz)`;

/** The baseline: the databases' own bulk paths, joined by a pipe (no parsing in between). */
async function pipeBaseline(source) {
  const table = `${SCHEMA}.pipe_${source}`;
  await pgQuery(TARGET_DDL(table));
  const started = performance.now();
  const into = `${psql()} -c "\\copy ${table} FROM STDIN WITH (NULL 'NULL')"`;
  if (source === "postgresql") {
    await sh(`${psql()} -c "\\copy (SELECT * FROM ${SCHEMA}.items) TO STDOUT WITH (NULL 'NULL')" | ${into}`);
  } else {
    // mysql --batch escapes tab, newline and backslash as COPY's text format does, and writes NULL as NULL.
    await sh(`${mysql()} --batch --skip-column-names ${MYSQL_DB} -e "SELECT * FROM items" | ${into}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const [{ count }] = await pgQuery(`SELECT count(*)::int AS count FROM ${table}`);
  await pgQuery(`DROP TABLE ${table}`);
  if (count !== ROWS) throw new Error(`pipe loaded ${count} of ${ROWS}`);
  return { seconds, rowsPerSecond: ROWS / seconds };
}

/** CPU seconds a process has used, or undefined once it is gone. */
function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server's side of an engine run: the CPU of the backends serving the Worker's sessions (source
 * reads and warehouse writes both log in as application "loaders"; other agents' tests do too, so only backends
 * whose statement has named this benchmark's schemas count), sampled while the run polls. A backend that ends between
 * two samples loses at most its last quarter second.
 */
function serverCpuSampler() {
  const seen = new Map();
  return {
    async sample() {
      const rows = await pgQuery("SELECT pid, query FROM pg_stat_activity WHERE application_name = 'loaders'").catch(() => []);
      for (const { pid, query } of rows) {
        if (!seen.has(pid) && !query.includes("bench_db_")) continue;
        const cpu = processCpuSeconds(pid);
        if (cpu === undefined) continue;
        const entry = seen.get(pid) ?? { first: cpu, last: cpu };
        entry.last = cpu;
        seen.set(pid, entry);
      }
    },
    total: () => [...seen.values()].reduce((sum, { first, last }) => sum + last - first, 0),
  };
}

async function engineRun(worker, source, targetSchema) {
  const call = api(worker.base);
  const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: "bench-db" } });
  const ws = boot.workspace.id;
  const key = boot.api_key.key;
  const scoped = (path, init = {}) => call(`/api/v1/workspaces/${ws}${path}`, { ...init, key, workspace: ws });
  const pgConfig = {
    host: pgLogin.hostname,
    port: Number(pgLogin.port || 5432),
    database: pgLogin.pathname.slice(1),
    user: decodeURIComponent(pgLogin.username) || "postgres",
    password: pgLogin.password || "trust",
  };
  const warehouse = await scoped("/sources", { method: "POST", body: { name: "pg", source_type: "postgresql", config: { ...pgConfig, sslmode: "disable" } } });
  const config =
    source === "postgresql"
      ? { ...pgConfig, sslmode: "disable", schemas: [SCHEMA], tables: ["items"] }
      : { host: mysqlLogin.hostname, port: Number(mysqlLogin.port || 3306), database: MYSQL_DB, ...MYSQL_READER, ssl_mode: "disabled", tables: ["items"] };
  const stream = source === "postgresql" ? `${SCHEMA}.items` : "items";
  const loader = await scoped("/loaders", {
    method: "POST",
    body: { name: `bench ${source}`, loader_type: source, source_id: warehouse.id, target_schema: targetSchema, sync_mode: "full_refresh", selected_streams: [{ name: stream, sync_mode: "full_refresh" }], config },
  });
  const started = performance.now();
  const cpuBefore = workerdCpuSeconds(worker.pid);
  const server = serverCpuSampler();
  const run = await scoped(`/loaders/${loader.id}/trigger`, { method: "POST" });
  let current = run;
  while (!["completed", "failed", "cancelled"].includes(current.status)) {
    await new Promise((r) => setTimeout(r, 250));
    await server.sample();
    current = await scoped(`/loaders/${loader.id}/runs/${run.id}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = workerdCpuSeconds(worker.pid) - cpuBefore;
  if (current.status !== "completed") throw new Error(`engine run ${current.status}: ${current.error_message}`);
  const [{ count, keys }] = await pgQuery(`SELECT count(*)::int AS count, count(DISTINCT id)::int AS keys FROM ${targetSchema}.${source === "postgresql" ? `${SCHEMA}_items` : "items"}`);
  if (count !== ROWS || keys !== ROWS) throw new Error(`engine loaded ${count} rows (${keys} keys) of ${ROWS}`);
  const perMillion = (cpu) => (cpu * 1_000_000) / ROWS;
  return { seconds, rowsPerSecond: ROWS / seconds, cpuPerMillion: perMillion(cpuSeconds), serverCpuPerMillion: perMillion(server.total()) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => n.toFixed(0).padStart(8);

console.log(`database sources: ${ROWS.toLocaleString("en")} rows, full_refresh into PostgreSQL, ${REPEAT} repeat(s), medians`);
if (SOURCES.includes("postgresql")) await seedPostgresItems(SCHEMA, ROWS);
else await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
if (SOURCES.includes("mysql")) await seedMysql();
// A worker already listening there (another benchmark's) would answer in place of this one's.
if (await fetch(`http://127.0.0.1:${PORT}/`).then(() => true, () => false)) throw new Error(`port ${PORT} is in use; pass --port`);
const worker = await startWorker({ fakePort: 1, port: PORT, extraArgs: PROFILE ? ["--inspector-port", String(INSPECTOR_PORT)] : [] });
try {
  for (const source of SOURCES) {
    const pipes = [];
    const engines = [];
    const cpus = [];
    const serverCpus = [];
    for (let i = 0; i < REPEAT; i++) {
      pipes.push((await pipeBaseline(source)).rowsPerSecond);
      const targetSchema = `bench_db_${source}_${i}`;
      const run = () => engineRun(worker, source, targetSchema);
      const result = await (PROFILE ? cpuProfile(INSPECTOR_PORT, run) : run());
      engines.push(result.rowsPerSecond);
      cpus.push(result.cpuPerMillion);
      serverCpus.push(result.serverCpuPerMillion);
      await pgQuery(`DROP SCHEMA IF EXISTS ${targetSchema} CASCADE`);
    }
    const pipe = median(pipes);
    const engine = median(engines);
    const ratio = engine / pipe;
    const pipeName = source === "postgresql" ? "COPY TO STDOUT | COPY FROM STDIN" : "mysql --batch | COPY FROM STDIN";
    console.log(`  ${source.padEnd(10)} pipe (${pipeName}) ${fmt(pipe)} rows/s`);
    console.log(`  ${source.padEnd(10)} engine, one stream       ${fmt(engine)} rows/s  ratio ${ratio.toFixed(2)} (target ≥ ${TARGET}) ${ratio >= TARGET ? "met" : "NOT met"}`);
    console.log(`  ${source.padEnd(10)} engine CPU (workerd processes) ${median(cpus).toFixed(1).padStart(6)} s per million rows`);
    console.log(`  ${source.padEnd(10)} engine's PostgreSQL backends  ${median(serverCpus).toFixed(1).padStart(6)} s per million rows (source reads and warehouse writes)`);
  }
} finally {
  await worker.stop();
  if (!cli.flag("keep-data")) {
    await pgQuery(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    if (SOURCES.includes("mysql")) await sh(`${mysql()} -e "DROP DATABASE IF EXISTS ${MYSQL_DB}"`);
  }
}
