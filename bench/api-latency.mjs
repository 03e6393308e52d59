#!/usr/bin/env node
// API latency (issue 18 part 2). The Worker under `wrangler dev`; 100 workspaces of 20 rest_api loaders each; 50
// concurrent clients, each serving two workspaces, paced under the per-workspace limit (20/s, 100/min).
//   baseline: a bare Hono route of the same app in the same workerd (`/__bench/bare`, mounted only when the
//             LOADERS_BENCH_BARE_ROUTE var is "1": src/api/app.ts), through the same request-id middleware
//   reads:    GET /workspaces/{id}/loaders (20 loaders, the bare array) — target p99 ≤ 2 × the bare route's
//   triggers: POST …/loaders/{loaderId}/trigger then GET …/runs/{runId} — target p50 < 3 × a read's; each followed
//             by the read again, timed apart, to show what the runs the triggers start cost every request meanwhile
// Usage: npm run bench:api [-- --workspaces 100 --loaders 20 --clients 50 --reads 40 --triggers 10]
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { api, commandLine, root, seed, startFakeApi, startWorker } from "./lib.mjs";

const cli = commandLine();
const WORKSPACES = Number(cli.value("workspaces", 100));
const LOADERS = Number(cli.value("loaders", 20));
const CLIENTS = Number(cli.value("clients", 50));
// Per workspace, within one minute with the setup's 1 + LOADERS calls: reads + 3 × triggers + 21 ≤ 100.
const READS = Number(cli.value("reads", 40));
const TRIGGERS = Number(cli.value("triggers", 10));
// A client alternates its two workspaces; 100 ms between its requests keeps each workspace at ≤ 5/s.
const PACE_MS = 100;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const summary = (values) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99) });
const format = (s) => `p50 ${s.p50.toFixed(1).padStart(6)} ms  p99 ${s.p99.toFixed(1).padStart(6)} ms  (n ${s.n})`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function timed(url, init) {
  const started = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  const ms = performance.now() - started;
  if (res.status === 429) throw new Error(`rate limited at ${url}: the pacing is wrong`);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url} → ${res.status} ${body.slice(0, 300)}`);
  return { ms, body };
}

/** `CLIENTS` clients, each running `work(client, i)` `count` times with PACE_MS between requests. */
async function clients(count, work) {
  const samples = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        samples.push(...(await work(client, i)));
        const left = PACE_MS - (performance.now() - started);
        if (left > 0) await sleep(left);
      }
    }),
  );
  return samples;
}

async function setup(worker) {
  const call = api(worker.base);
  const spaces = [];
  await Promise.all(
    Array.from({ length: 10 }, async (_, lane) => {
      for (let w = lane; w < WORKSPACES; w += 10) {
        const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: `latency ${w}` } });
        const ws = boot.workspace.id;
        const key = boot.api_key.key;
        const scoped = (path, init = {}) => call(`/api/v1/workspaces/${ws}${path}`, { ...init, key, workspace: ws });
        const source = await scoped("/sources", { method: "POST", body: { name: "d1", source_type: "d1" } });
        const loaders = [];
        for (let l = 0; l < LOADERS; l++) {
          const loader = await scoped("/loaders", {
            method: "POST",
            body: {
              name: `loader ${l}`,
              loader_type: "rest_api",
              source_id: source.id,
              target_schema: `lat_${w}_${l}`,
              sync_mode: "full_refresh",
              selected_streams: [{ name: "items" }],
              config: {
                base_url: "https://api.example.com/t/latency",
                auth: { type: "none" },
                paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 100 },
                streams: [{ name: "items", path: "/cursor/items", records_path: "results", primary_key: ["id"] }],
              },
            },
          });
          loaders.push(loader.id);
        }
        spaces[w] = { ws, key, loaders };
      }
    }),
  );
  return spaces;
}

const fake = await startFakeApi();
const worker = await startWorker({ fakePort: fake.port, port: 18789, extraArgs: ["--var", "LOADERS_BENCH_BARE_ROUTE:1"] });
const results = { date: new Date().toISOString(), workspaces: WORKSPACES, loaders: LOADERS, clients: CLIENTS };
try {
  await seed(fake, "latency", 10);
  const setupStarted = performance.now();
  const spaces = await setup(worker);
  console.log(`api latency: ${WORKSPACES} workspaces × ${LOADERS} loaders (setup ${((performance.now() - setupStarted) / 1000).toFixed(1)} s), ${CLIENTS} clients, ${PACE_MS} ms pacing`);
  const headers = (space) => ({ authorization: `Bearer ${space.key}`, "x-workspace-id": space.ws });
  const spaceOf = (client, i) => spaces[(client * 2 + (i % 2)) % WORKSPACES];

  // Warm-up: every isolate and workspace Durable Object started once, off the clock.
  await clients(2, async (client, i) => {
    const space = spaceOf(client, i);
    await timed(`${worker.base}/__bench/bare`);
    await timed(`${worker.base}/api/v1/workspaces/${space.ws}/loaders`, { headers: headers(space) });
    return [];
  });
  const bare = summary(await clients(READS, async () => [(await timed(`${worker.base}/__bench/bare`)).ms]));
  const reads = summary(
    await clients(READS, async (client, i) => {
      const space = spaceOf(client, i);
      const { ms, body } = await timed(`${worker.base}/api/v1/workspaces/${space.ws}/loaders`, { headers: headers(space) });
      if (JSON.parse(body).length !== LOADERS) throw new Error(`expected ${LOADERS} loaders`);
      return [ms];
    }),
  );
  const triggerOnly = [];
  const readsUnderRuns = [];
  const triggers = summary(
    await clients(TRIGGERS, async (client, i) => {
      const space = spaceOf(client, i);
      const loaderId = space.loaders[Math.floor(i / 2)];
      const base = `${worker.base}/api/v1/workspaces/${space.ws}/loaders/${loaderId}`;
      const started = performance.now();
      const trigger = await timed(`${base}/trigger`, { method: "POST", headers: headers(space) });
      triggerOnly.push(trigger.ms);
      await timed(`${base}/runs/${JSON.parse(trigger.body).id}`, { headers: headers(space) });
      const elapsed = performance.now() - started;
      // The same read as the read phase's, while the runs the triggers started are working: what any request costs
      // under that load, apart from what the trigger itself adds.
      readsUnderRuns.push((await timed(`${worker.base}/api/v1/workspaces/${space.ws}/loaders`, { headers: headers(space) })).ms);
      return [elapsed];
    }),
  );
  const trigger = summary(triggerOnly);
  const loadedReads = summary(readsUnderRuns);
  const loadedRatio = triggers.p50 / loadedReads.p50;
  const readRatio = reads.p99 / bare.p99;
  const triggerRatio = triggers.p50 / reads.p50;
  console.log(`  baseline  bare Hono route          ${format(bare)}`);
  console.log(`  reads     GET …/loaders (${LOADERS})     ${format(reads)}  p99 ${readRatio.toFixed(2)} × bare (target ≤ 2) ${readRatio <= 2 ? "met" : "NOT met"}`);
  console.log(`  trigger   POST …/trigger           ${format(trigger)}`);
  console.log(`  trigger + GET …/runs/{runId}       ${format(triggers)}  p50 ${triggerRatio.toFixed(2)} × a read (target < 3) ${triggerRatio < 3 ? "met" : "NOT met"}`);
  console.log(`  reads while the triggered runs work ${format(loadedReads)}  (trigger + GET p50 ${loadedRatio.toFixed(2)} × these; not the target's measure)`);
  Object.assign(results, { bare, reads, trigger, trigger_then_get: triggers, reads_under_runs: loadedReads, read_p99_ratio: readRatio, trigger_p50_ratio: triggerRatio, trigger_p50_ratio_to_loaded_reads: loadedRatio });
} finally {
  await worker.stop();
  fake.stop();
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/api-latency.json"), JSON.stringify(results, null, 2));
