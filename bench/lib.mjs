// Shared pieces of the benchmarks: child processes (a fake's own CLI, wrangler dev), the API client, RSS sampling, a
// loader's run into PostgreSQL or D1 (workspace, source, loader, trigger, wait for the end), and the rest_api engine
// run over the fake REST API.
import { spawn } from "node:child_process";
import pg from "pg";
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

/** The command line of a bench script: `--name value` options, bare `--flag`s, and repeatable options. */
export function commandLine(argv = process.argv.slice(2)) {
  const at = (name) => argv.indexOf(`--${name}`);
  return {
    value: (name, fallback) => {
      const i = at(name);
      return i >= 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[i + 1] : fallback;
    },
    flag: (name) => at(name) >= 0,
    all: (name) => argv.flatMap((arg, i) => (arg === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]] : [])),
  };
}

/**
 * One fake of the tests running alone (`test/fakes/<name>/cli.ts --port 0`, test/fakes/shared/cli.ts). `control`
 * calls its control API under `controlPrefix` (`/_fake/` for most fakes, `/_control/` for the S3 server) and answers
 * the JSON; `nodeArgs` go to Node itself (a larger heap for a big dataset). Its stderr is the bench's.
 */
export async function startFake(name, { controlPrefix = "/_fake/", nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, `test/fakes/${name}/cli.ts`), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (!match) return;
      child.stdout.off("data", onData);
      child.stdout.resume();
      resolve(Number(match[1]));
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${name} fake exited with ${code} before listening`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (method, path, body) => {
    const res = await fetch(`${base}${controlPrefix}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${name} control ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const stop = () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill("SIGTERM"))));
  return { port, base, control, stop };
}

export function startFakeApi() {
  return startFake("rest-api", { controlPrefix: "/t/" });
}

/**
 * `wrangler dev` on the embedded defaults. `localObservability` is wrangler's local trace capture (an extra isolate
 * recording every request and subrequest for its dev UI, X_LOCAL_OBSERVABILITY): a tool of local development that
 * production does not have, so the benchmarks leave it off unless asked to measure it.
 */
export async function startWorker({ fakePort, port, extraArgs = [], localObservability = false, logLevel = "warn" }) {
  const dir = mkdtempSync(join(tmpdir(), "loaders-bench-"));
  const envFile = join(dir, ".env");
  writeFileSync(
    envFile,
    [
      "ENVIRONMENT=development",
      "ADMIN_TOKEN=bench-admin-token-0123456789",
      `SECRETS_KEYRING={"current":"b","keys":{"b":"${Buffer.alloc(32, 7).toString("base64")}"}}`,
      `HOST_OVERRIDES={"api.example.com":"http://127.0.0.1:${fakePort}"}`,
    ].join("\n"),
  );
  const wrangler = join(root, "node_modules/.bin/wrangler");
  const migrate = spawn(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd: root, stdio: "ignore", env: { ...process.env, CI: "true" } });
  await new Promise((resolve) => migrate.on("exit", resolve));
  const child = spawn(wrangler, ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", dir, "--env-file", envFile, "--log-level", logLevel, "--show-interactive-dev-session=false", ...extraArgs], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", X_LOCAL_OBSERVABILITY: String(localObservability) },
  });
  // BENCH_WORKER_LOG=path keeps wrangler's output (the Worker's console.warn lines) for instrumenting a run.
  if (process.env.BENCH_WORKER_LOG) {
    const log = createWriteStream(process.env.BENCH_WORKER_LOG, { flags: "a" });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, pid: child.pid, dir, child, stop: () => new Promise((resolve) => { child.on("exit", resolve); child.kill("SIGTERM"); }) };
}

/**
 * CPU seconds (user + system) used so far by every workerd process below `pid` (wrangler dev's): what a run costs
 * whatever else the machine runs. workerd is found by its command line: it renames its main thread in `stat`.
 */
export function workerdCpuSeconds(pid) {
  const processes = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ");
      const workerd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0].endsWith("/workerd");
      // utime and stime, in clock ticks of 1/100 s.
      processes.set(Number(entry), { ppid: Number(fields[1]), workerd, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  const below = (parent) => [...processes].filter(([, p]) => p.ppid === parent).reduce((sum, [child, p]) => sum + (p.workerd ? p.ticks : 0) + below(child), 0);
  return below(pid) / 100;
}

/** Peak resident memory (VmHWM) of every workerd process below `pid`, in MiB. */
export function workerdPeakRssMiB(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(Number(entry), { ppid, comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {}
  }
  let peak = 0;
  const visit = (parent) => {
    for (const [child, info] of children) {
      if (info.ppid !== parent) continue;
      if (info.comm.startsWith("workerd")) {
        const status = readFileSync(`/proc/${child}/status`, "utf8");
        const kb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      }
      visit(child);
    }
  };
  visit(pid);
  return peak;
}

export function api(base) {
  return async function call(path, { method = "GET", key, workspace, body } = {}) {
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (workspace) headers["x-workspace-id"] = workspace;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    // Polling a long run can meet the workspace's 100/min limit: wait as told and ask again.
    while (res.status === 429) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
      res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    }
    const json = await res.json().catch(() => undefined);
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

export function pgUrl() {
  return process.env.LOADERS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** The POST /sources body of the benchmarks' PostgreSQL (pgUrl()). */
export function postgresSource() {
  const url = new URL(pgUrl());
  return {
    name: "pg",
    source_type: "postgresql",
    config: { host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username), password: url.password || "trust", sslmode: "disable" },
  };
}

/**
 * One run of a new loader in a new workspace: `loader` is the POST /loaders body without `source_id`; the source is the
 * benchmarks' PostgreSQL, or the embedded D1 with `warehouse: "d1"`. Polls the run every `pollMs` (`onPoll` sees each
 * answer) and answers the completed run and the seconds from trigger to its end; any other end throws.
 */
export async function loaderRun(worker, loader, { warehouse = "postgresql", pollMs = 500, onPoll } = {}) {
  const call = api(worker.base);
  const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: "bench" } });
  const ws = boot.workspace.id;
  const scoped = (path, init = {}) => call(`/api/v1/workspaces/${ws}${path}`, { ...init, key: boot.api_key.key, workspace: ws });
  const source = await scoped("/sources", { method: "POST", body: warehouse === "d1" ? { name: "d1", source_type: "d1" } : postgresSource() });
  const created = await scoped("/loaders", { method: "POST", body: { ...loader, source_id: source.id } });
  const started = performance.now();
  const run = await scoped(`/loaders/${created.id}/trigger`, { method: "POST" });
  let current = run;
  while (!["completed", "failed", "cancelled"].includes(current.status)) {
    await new Promise((r) => setTimeout(r, pollMs));
    current = await scoped(`/loaders/${created.id}/runs/${run.id}`);
    onPoll?.(current);
  }
  const seconds = (performance.now() - started) / 1000;
  if (current.status !== "completed") throw new Error(`engine run ${current.status}: ${current.error_message ?? JSON.stringify(current.streams)}`);
  return { run: current, rows: current.rows_loaded, seconds };
}

/** One statement (or several, simple protocol) on the benchmarks' PostgreSQL, on a connection of its own: its rows. */
export async function pgQuery(sql) {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The database benchmarks' table, `schema`.items, of `rows` deterministic rows: row i has key i, a timestamptz with
 * microseconds, text, numeric, a NULL in every 10th `qty`, a bool, a JSON document and a timestamp. Analyzed, so the
 * catalog's estimate (what a key-range split reads) is the row count.
 */
export async function seedPostgresItems(schema, rows) {
  await pgQuery(`
    DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.items (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, name text, amount numeric(12,2),
      qty int, active bool, attrs jsonb, updated_at timestamp);
    INSERT INTO ${schema}.items
    SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' + (i % 1000) * interval '1 microsecond',
           'item ' || i || ' with a name of some length', (i % 100000) / 100.0, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 5000 END,
           i % 2 = 0, jsonb_build_object('color', 'c' || (i % 7), 'n', i, 'tags', jsonb_build_array('a', 'b')),
           timestamp '2024-06-01 00:00:00' + i * interval '1 second'
      FROM generate_series(1, ${rows}) AS i;
    ANALYZE ${schema}.items;`);
}

/** Rows of one table in the benchmarks' PostgreSQL. */
export async function countRows(schema, table) {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    return Number((await client.query(`select count(*) from "${schema}"."${table}"`)).rows[0].count);
  } finally {
    await client.end();
  }
}

export async function seed(fake, tenant, count) {
  const res = await fetch(`${fake.base}/t/${tenant}/_control/seed`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ count }) });
  if (!res.ok) throw new Error(`seed failed: ${res.status}`);
}

/** One full_refresh run of a rest_api loader over the fake's cursor list; `onPoll` sees each polled run. */
export async function engineRun(worker, fake, tenant, { warehouse, schema, page = 100, onPoll }) {
  const { rows, seconds } = await loaderRun(
    worker,
    {
      name: "bench",
      loader_type: "rest_api",
      target_schema: schema,
      sync_mode: "full_refresh",
      selected_streams: [{ name: "items" }],
      config: {
        base_url: `https://api.example.com/t/${tenant}`,
        auth: { type: "none" },
        paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: page },
        streams: [{ name: "items", path: "/cursor/items", records_path: "results", primary_key: ["id"] }],
      },
    },
    { warehouse: warehouse === "postgresql" ? "postgresql" : "d1", pollMs: 400, onPoll },
  );
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

export async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}

/**
 * A Chrome DevTools Protocol session on one isolate of workerd's inspector. `send` answers the command's result, or
 * undefined after `timeoutMs`: an isolate answers only once it has started (after its first event), until then a
 * question gets no answer.
 */
export async function devtoolsSession(url, headers = {}) {
  const socket = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let next = 1;
  const waiting = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    // Snapshot chunks and console events arrive as events; only the answers matter here.
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  };
  const send = (method, params = {}, timeoutMs = 2000) =>
    new Promise((resolve) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => socket.close() };
}

/**
 * The CPU profile of the user worker's isolate while `work` runs (workerd started with `--inspector-port`), printed as
 * inclusive and self time per function, largest first.
 */
export async function cpuProfile(inspectorPort, work) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  // wrangler's inspector proxy accepts a socket only from a local Origin.
  const { send, close } = await devtoolsSession(targets[0].webSocketDebuggerUrl, { origin: "http://localhost" });
  // Through wrangler's proxy these commands take effect but their answers do not always come back: the profile does.
  for (const [method, params] of [["Profiler.enable", {}], ["Profiler.setSamplingInterval", { interval: 1000 }], ["Profiler.start", {}]]) await send(method, params, 3000);
  const result = await work();
  const { profile } = (await send("Profiler.stop", {}, 120_000)) ?? {};
  close();
  if (!profile) {
    console.log("    (no CPU profile came back)");
    return result;
  }
  const self = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  let total = 0;
  for (const [id, n] of counts) {
    const { callFrame } = byId.get(id);
    const file = callFrame.url.split("/").pop();
    const name = `${callFrame.functionName || "(anonymous)"} ${file}:${callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + n);
    total += n;
  }
  // Inclusive time: each sample counted once for every function on its stack.
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  for (const [id, n] of counts) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { callFrame } = byId.get(at);
      const name = `${callFrame.functionName || "(anonymous)"} ${callFrame.url.split("/").pop()}:${callFrame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + n);
    }
  }
  console.log(`    CPU profile, inclusive time (${total} samples):`);
  for (const [name, n] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`      ${((100 * n) / total).toFixed(1).padStart(5)} %  ${name}`);
  console.log(`    CPU profile, self time (${total} samples):`);
  for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`      ${((100 * n) / total).toFixed(1).padStart(5)} %  ${name}`);
  return result;
}
