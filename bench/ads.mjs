#!/usr/bin/env node
// The facebook_ads reader's benchmark (not part of npm test): 90 days of ad-level daily insights, one async report
// run per day (insights_days_per_job 1), through the real engine in local workerd (wrangler dev) into PostgreSQL,
// against the Facebook fake of the tests (test/fakes/facebook) running alone.
//   throughput: rows/s of the engine run (rows loaded / wall time from trigger to completed).
//   API calls:  the calls the fake logged against the fewest the API allows for the same data: one timezone read,
//               then per job one submission, one poll and ceil(rows per job / page size) result pages.
// Usage: node bench/ads.mjs [--ads 2000] [--days 90]   (or --api linkedin: see bench/ads-linkedin.mjs)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, countRows, dropSchema, loaderRun, root, startFake, startWorker } from "./lib.mjs";

const cli = commandLine();
// `--api linkedin` benchmarks the linkedin_ads reader instead (bench/ads-linkedin.mjs).
if (cli.value("api", "facebook") === "linkedin") {
  await import("./ads-linkedin.mjs");
  process.exit(0);
}
const ADS = Number(cli.value("ads", 2000));
const DAYS = Number(cli.value("days", 90));
/** The reader's result page (connectors/facebook_ads/read.ts INSIGHTS_PAGE_SIZE). */
const PAGE_SIZE = 500;

const todayIn = (zone) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
const addDays = (date, days) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const fake = await startFake("facebook");
const account = String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
const token = `EAAB${crypto.randomUUID().replaceAll("-", "")}`;
// 20 campaigns × 10 ad sets × (ADS / 200) ads.
await fake.control("PUT", `accounts/${account}`, { token, time_zone: "UTC", campaigns: 20, adsets_per_campaign: 10, ads_per_adset: Math.max(1, Math.round(ADS / 200)) });
const ads = 20 * 10 * Math.max(1, Math.round(ADS / 200));
const overrides = JSON.stringify({ "graph.facebook.com": fake.base });
const worker = await startWorker({ fakePort: fake.port, port: 18831, extraArgs: ["--var", `HOST_OVERRIDES:${overrides}`] });
const schema = "bench_ads";
try {
  const today = todayIn("UTC");
  const { run: current, seconds } = await loaderRun(worker, {
    name: "bench ads",
    loader_type: "facebook_ads",
    target_schema: schema,
    sync_mode: "incremental",
    selected_streams: [{ name: "ads_insights", sync_mode: "incremental" }],
    config: { account_ids: [`act_${account}`], access_token: token, start_date: addDays(today, -(DAYS - 1)), insights_days_per_job: 1 },
  });
  const stored = await countRows(schema, "ads_insights");
  const expected = ads * DAYS;
  if (stored !== expected) throw new Error(`${stored} rows stored, not ${expected}`);
  const calls = (await fake.control("GET", `accounts/${account}/requests`)).data.length;
  const jobs = (await fake.control("GET", `accounts/${account}/jobs`)).data.length;
  const fewest = 1 + DAYS * (2 + Math.ceil(ads / PAGE_SIZE));
  const results = {
    date: new Date().toISOString(),
    ads,
    days: DAYS,
    rows: current.rows_loaded,
    seconds,
    rows_per_second: current.rows_loaded / seconds,
    jobs,
    api_calls: calls,
    fewest_api_calls: fewest,
    calls_ratio: calls / fewest,
  };
  console.log(`facebook_ads: ${ads} ads × ${DAYS} days = ${expected} ad-level rows from ${jobs} one-day report runs into PostgreSQL`);
  console.log(`  engine ${results.rows_per_second.toFixed(0)} rows/s (${seconds.toFixed(1)} s)`);
  console.log(`  API calls ${calls} against the fewest the API allows ${fewest} (1 + ${DAYS} × (submit + poll + ${Math.ceil(ads / PAGE_SIZE)} pages of ${PAGE_SIZE}))  ratio ${results.calls_ratio.toFixed(2)}`);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/ads.json"), `${JSON.stringify(results, null, 2)}\n`);
  await dropSchema(schema);
} finally {
  await worker.stop();
  await fake.stop();
}
