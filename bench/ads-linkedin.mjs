#!/usr/bin/env node
// The linkedin_ads reader's benchmark (`node bench/ads.mjs --api linkedin`, not part of npm test): daily adAnalytics
// by creative through the real engine in local workerd (wrangler dev) into PostgreSQL, against the LinkedIn fake of
// the tests (test/fakes/linkedin) running alone.
//   throughput: rows/s of the engine run (rows loaded / wall time from trigger to completed).
//   API calls:  adAnalytics calls the fake logged against the fewest the API allows for the same rows: every request
//               at most 15,000 rows (whole days) and 20 fields, so ceil(days / floor(15000 / creatives)) ranges, each
//               asked once per metric group of 18.
// Usage: node bench/ads.mjs --api linkedin [--creatives 2000] [--days 90] [--slice 7]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, countRows, dropSchema, loaderRun, root, startFake, startWorker } from "./lib.mjs";

const cli = commandLine();
const CREATIVES = Number(cli.value("creatives", 2000));
const DAYS = Number(cli.value("days", 90));
const SLICE = Number(cli.value("slice", 7));
/** connectors/linkedin_ads/spec.ts ANALYTICS_METRICS: 36 metrics, 18 a request beside dateRange and pivotValues. */
const METRIC_GROUPS = 2;
const ROW_CAP = 15_000;


const today = new Date().toISOString().slice(0, 10);
const addDays = (date, days) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const fake = await startFake("linkedin");
const member = crypto.randomUUID().slice(0, 8);
const account = String(500_000_000 + Math.floor(Math.random() * 499_999_999));
const app = { client_id: `bench-${member}`, client_secret: "bench-secret", refresh_token: `AQW${crypto.randomUUID().replaceAll("-", "")}` };
await fake.control("PUT", `members/${member}`, app);
// CREATIVES / 10 campaigns of 10 creatives each.
await fake.control("PUT", `accounts/${account}`, { member, campaigns: Math.max(1, Math.round(CREATIVES / 10)), creatives_per_campaign: 10 });
const creatives = Math.max(1, Math.round(CREATIVES / 10)) * 10;
const overrides = JSON.stringify({ "api.linkedin.com": fake.base, "www.linkedin.com": fake.base });
const worker = await startWorker({ fakePort: fake.port, port: 18832, extraArgs: ["--var", `HOST_OVERRIDES:${overrides}`] });
const schema = "bench_linkedin";
try {
  const { run: current, seconds } = await loaderRun(worker, {
    name: "bench linkedin",
    loader_type: "linkedin_ads",
    target_schema: schema,
    sync_mode: "incremental",
    selected_streams: [{ name: "ad_analytics_by_creative", sync_mode: "incremental" }],
    config: { account_ids: [account], ...app, start_date: addDays(today, -(DAYS - 1)), analytics_days_per_request: SLICE },
  });
  const stored = await countRows(schema, "ad_analytics_by_creative");
  const expected = creatives * DAYS;
  if (stored !== expected) throw new Error(`${stored} rows stored, not ${expected}`);
  const log = (await fake.control("GET", `members/${member}/requests`)).data;
  const calls = log.filter((r) => r.path === "/rest/adAnalytics").length;
  const fewest = Math.ceil(DAYS / Math.max(1, Math.floor(ROW_CAP / creatives))) * METRIC_GROUPS;
  const results = {
    date: new Date().toISOString(),
    creatives,
    days: DAYS,
    analytics_days_per_request: SLICE,
    rows: current.rows_loaded,
    seconds,
    rows_per_second: current.rows_loaded / seconds,
    api_calls: calls,
    token_calls: log.filter((r) => r.path === "/oauth/v2/accessToken").length,
    fewest_api_calls: fewest,
    calls_ratio: calls / fewest,
  };
  console.log(`linkedin_ads: ${creatives} creatives × ${DAYS} days = ${expected} daily creative rows (${SLICE}-day requests) into PostgreSQL`);
  console.log(`  engine ${results.rows_per_second.toFixed(0)} rows/s (${seconds.toFixed(1)} s)`);
  console.log(`  adAnalytics calls ${calls} against the fewest the API allows ${fewest} (${fewest / METRIC_GROUPS} ranges of at most ${ROW_CAP} rows × ${METRIC_GROUPS} metric groups)  ratio ${results.calls_ratio.toFixed(2)}; token calls ${results.token_calls}`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, `bench/results/ads-linkedin-${SLICE}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await dropSchema(schema);
} finally {
  await worker.stop();
  await fake.stop();
}
