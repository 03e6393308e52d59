/**
 * Benchmark of the REST warehouses (not part of npm test): N records into each fake (Snowflake, BigQuery,
 * Databricks) through the real adapters, staged in groups of 1,000 rows (the engine's WRITE_BATCH_ROWS) and committed
 * once per chunk of 50 groups (the engine's default 500 pages of 100). Prints rows/s, statements or jobs per million
 * rows, bytes sent per row, the count of each API call, and the ratio to a baseline run in the same script: the same
 * adapter and fake given one record per group and per chunk — a staging statement (or load job) and a MERGE for
 * every row, as loaders that write row by row do — on a sample.
 *
 *   npx tsx bench/warehouses.ts [--records 1000000] [--baseline 2000] [--only snowflake,bigquery,databricks]
 */
import { startBigQueryFake } from "../test/fakes/bigquery/server";
import { startDatabricksFake } from "../test/fakes/databricks/server";
import type { RunningFake } from "../test/fakes/index";
import { startSnowflakeFake } from "../test/fakes/snowflake/server";
import { createHttpClient } from "../connectors/kit/http";
import { createBigQueryWarehouse } from "../src/warehouses/bigquery/bigquery";
import type { StreamTarget, WarehouseAdapter, WarehouseDeps } from "../src/warehouses/contract";
import { createDatabricksWarehouse } from "../src/warehouses/databricks/databricks";
import { createSnowflakeWarehouse } from "../src/warehouses/snowflake/snowflake";

// src/warehouses/index.ts also loads the PostgreSQL adapter (cloudflare:sockets, workerd only): the factories are used directly.
const factories: Record<string, (config: unknown, deps: WarehouseDeps) => WarehouseAdapter> = {
  snowflake: createSnowflakeWarehouse,
  bigquery: createBigQueryWarehouse,
  databricks: createDatabricksWarehouse,
};

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] as string) : fallback;
};
const RECORDS = Number(arg("records", "1000000"));
const BASELINE = Number(arg("baseline", "2000"));
const ONLY = arg("only", "snowflake,bigquery,databricks").split(",");
const GROUP = 1000;
const GROUPS_PER_CHUNK = 50;

const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").trimEnd()}\n-----END ${label}-----\n`;

async function keyPair() {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const der = async (format: "pkcs8" | "spki", key: CryptoKey) => (await crypto.subtle.exportKey(format, key)) as ArrayBuffer;
  return { privatePem: pem("PRIVATE KEY", await der("pkcs8", pair.privateKey)), publicPem: pem("PUBLIC KEY", await der("spki", pair.publicKey)) };
}

async function control(fake: RunningFake, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${fake.port}/_control/${path}`, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

/** A Stripe-like customer: a dozen fields, one nested object, an array, a timestamp cursor. */
function record(i: number) {
  return {
    id: i,
    email: `customer${i}@example.com`,
    name: `Customer ${i}`,
    balance: (i * 37) % 10_000,
    currency: "usd",
    delinquent: i % 17 === 0,
    score: (i % 1000) / 7,
    address: { city: `City ${i % 300}`, country: "FR", line1: `${i} Main Street`, postal_code: String(10_000 + (i % 90_000)) },
    tags: [`t${i % 5}`, `t${i % 7}`],
    created: 1_700_000_000 + i,
    updated_at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  };
}

interface Setup {
  fake: RunningFake;
  config: Record<string, unknown>;
  prepare?: (adapter: WarehouseAdapter) => Promise<void>;
  /** API calls and bytes sent, from the fake's request log. */
  tally(): Promise<{ calls: Record<string, number>; bytes: number; statementsOrJobs: number }>;
}

async function snowflake(): Promise<Setup> {
  const fake = await startSnowflakeFake();
  const keys = await keyPair();
  await control(fake, "accounts/XY12345/users", { name: "BENCH", public_key_pem: keys.publicPem, role: "LOADER" });
  const config = { account: "xy12345.us-east-1", warehouse: "loaders_wh", database: "loaders", schema: "public", username: "bench", private_key: keys.privatePem, role: "LOADER" };
  return {
    fake,
    config,
    async tally() {
      const { statements, polls } = await control(fake, "accounts/XY12345/requests");
      const calls: Record<string, number> = { "POST /api/v2/statements": statements.length, "GET /api/v2/statements/{handle}": polls };
      for (const s of statements) {
        const kind = `  ${String(s.statement).split(" ").slice(0, 2).join(" ")}`;
        calls[kind] = (calls[kind] ?? 0) + 1;
      }
      return { calls, bytes: statements.reduce((n: number, s: any) => n + s.bytes, 0), statementsOrJobs: statements.length };
    },
  };
}

async function bigquery(): Promise<Setup> {
  const fake = await startBigQueryFake();
  const keys = await keyPair();
  const email = "bench@loaders-test.iam.gserviceaccount.com";
  await control(fake, "service-accounts", { client_email: email, public_key_pem: keys.publicPem, projects: { "loaders-test": "editor" } });
  const key = { type: "service_account", project_id: "loaders-test", private_key: keys.privatePem, client_email: email, token_uri: "https://oauth2.googleapis.com/token" };
  return {
    fake,
    config: { project_id: "loaders-test", dataset: "bench", service_account_json: JSON.stringify(key), location: "US" },
    async tally() {
      const log: any[] = await control(fake, "requests");
      const calls: Record<string, number> = {};
      for (const c of log) calls[c.call] = (calls[c.call] ?? 0) + 1;
      const jobs = log.filter((c) => c.call.startsWith("jobs.insert")).length;
      // Upload bytes for loads; for the rest, the JSON request bodies are small and counted by the fake as none.
      return { calls, bytes: log.reduce((n, c) => n + (c.bytes ?? 0), 0), statementsOrJobs: jobs };
    },
  };
}

async function databricks(): Promise<Setup> {
  const fake = await startDatabricksFake();
  const ws = "workspaces/dbc-loaders-test.cloud.databricks.com";
  await control(fake, `${ws}/tokens`, { token: "dapibench" });
  await control(fake, `${ws}/warehouses`, { id: "benchwh" });
  await control(fake, `${ws}/catalogs`, { name: "loaders" });
  await control(fake, `${ws}/query`, { sql: 'CREATE SCHEMA IF NOT EXISTS "loaders"."landing"' });
  return {
    fake,
    config: { host: "dbc-loaders-test.cloud.databricks.com", http_path: "/sql/1.0/warehouses/benchwh", token: "dapibench", catalog: "loaders", schema: "landing" },
    async tally() {
      const log: any[] = await control(fake, `${ws}/requests`);
      const calls: Record<string, number> = {};
      for (const c of log) calls[c.call] = (calls[c.call] ?? 0) + 1;
      for (const c of log.filter((x) => x.call === "statements.execute")) {
        const kind = `  ${String(c.statement).split(" ").slice(0, 2).join(" ")}`;
        calls[kind] = (calls[kind] ?? 0) + 1;
      }
      return { calls, bytes: log.reduce((n, c) => n + (c.bytes ?? 0), 0), statementsOrJobs: log.filter((c) => c.call === "statements.execute").length };
    },
  };
}

async function load(type: string, setup: Setup, records: number, schema: string, perRow: boolean): Promise<{ seconds: number }> {
  const hostOverrides: Record<string, string> = {};
  for (const host of setup.fake.hosts) hostOverrides[host] = `http://127.0.0.1:${setup.fake.port}`;
  const adapter = factories[type]!(setup.config, { warehouseDb: undefined as never, development: true, http: createHttpClient({ development: true, hostOverrides }) });
  const target: StreamTarget = { schema, stream: "customers", sync_mode: "incremental", primary_key: ["id"], cursor_field: "updated_at", run_id: `bench-${schema}` };
  const started = performance.now();
  await adapter.prepareStream(target);
  const group = perRow ? 1 : GROUP;
  const perChunk = perRow ? 1 : GROUPS_PER_CHUNK;
  let staged: string[] = [];
  let chunk = 0;
  for (let first = 0; first < records; first += group) {
    const rows = Array.from({ length: Math.min(group, records - first) }, (_, k) => record(first + k));
    const batchId = `${target.run_id}:customers:${first}`;
    await adapter.stage(target, { batch_id: batchId, records: rows, synced_at: new Date().toISOString() });
    staged.push(batchId);
    if (staged.length === perChunk || first + group >= records) {
      await adapter.commit(target, { chunk_id: `${target.run_id}:customers:c${chunk++}`, batch_ids: staged });
      staged = [];
    }
  }
  await adapter.finalizeStream(target);
  await adapter.close();
  return { seconds: (performance.now() - started) / 1000 };
}

const makers: Record<string, () => Promise<Setup>> = { snowflake, bigquery, databricks };
console.log(`REST warehouses: ${RECORDS.toLocaleString("en")} records (groups of ${GROUP}, ${GROUPS_PER_CHUNK} groups a chunk); baseline: ${BASELINE} rows, one statement or job per row`);
for (const type of ONLY) {
  const setup = await makers[type]!();
  try {
    const base = await load(type, setup, BASELINE, "bench_baseline", true);
    const baseTally = await setup.tally();
    const baseRate = BASELINE / base.seconds;
    const run = await load(type, setup, RECORDS, "bench_main", false);
    const tally = await setup.tally();
    const calls = Object.fromEntries(Object.entries(tally.calls).map(([k, v]) => [k, v - (baseTally.calls[k] ?? 0)]));
    const work = tally.statementsOrJobs - baseTally.statementsOrJobs;
    const rate = RECORDS / run.seconds;
    console.log(`\n${type}`);
    console.log(`  rows/s                          ${Math.round(rate).toLocaleString("en")}   (baseline per-row: ${Math.round(baseRate).toLocaleString("en")}; ratio ${(rate / baseRate).toFixed(1)}x)`);
    console.log(`  ${type === "bigquery" ? "jobs" : "statements"} per million rows       ${Math.round((work / RECORDS) * 1_000_000).toLocaleString("en")}   (baseline: ${Math.round(((baseTally.statementsOrJobs) / BASELINE) * 1_000_000).toLocaleString("en")})`);
    console.log(`  bytes sent per row              ${((tally.bytes - baseTally.bytes) / RECORDS).toFixed(0)}`);
    console.log(`  API calls:`);
    for (const [name, count] of Object.entries(calls).filter(([, n]) => n > 0)) console.log(`    ${name.padEnd(40)} ${count}`);
  } finally {
    await setup.fake.close();
  }
}
