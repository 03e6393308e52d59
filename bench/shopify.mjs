#!/usr/bin/env node
// The shopify reader's benchmark (not part of npm test); figures and ratios against a baseline run in the same script.
//   Orders with their line items (4 each by default) through bulk operations (one for `orders`, one for
//   `orderLineItems`), polled across chunks, the JSONL results streamed a page at a time, through the real engine in
//   local workerd (wrangler dev) into PostgreSQL; the Shopify fake of the tests (test/fakes/shopify) runs alone.
//   throughput: rows/s of the engine run vs a baseline in this script: Node downloading the same two result files
//               and COPYing every line into PostgreSQL (no engine, no warehouse typing), ratio engine/baseline.
//   memory:     peak workerd RSS for the small vs the large shop (target under 1.5x: bounded by a page).
// Usage: node bench/shopify.mjs [--small 10000] [--large 100000] [--line-items 4]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { commandLine, countRows, dropSchema, loaderRun, pgUrl, root, startFake, startWorker, workerdPeakRssMiB } from "./lib.mjs";

const cli = commandLine();
const SMALL = Number(cli.value("small", 10_000));
const LARGE = Number(cli.value("large", 100_000));
const LINE_ITEMS = Number(cli.value("line-items", 4));
const VERSION = "2026-07";

function engineRun(worker, shop, token, schema) {
  return loaderRun(worker, {
    name: "bench shopify",
    loader_type: "shopify",
    target_schema: schema,
    sync_mode: "full_refresh",
    selected_streams: [{ name: "orders" }, { name: "orderLineItems" }],
    config: { shop, access_token: token },
  });
}

/** The baseline: the two result files the engine read, downloaded by Node and COPYed line by line into PostgreSQL. */
async function baseline(fake, shop) {
  const bulk = await fake.control("GET", `${shop}/bulk`);
  const urls = bulk.data.filter((op) => op.status === "COMPLETED").map((op) => op.url);
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  await client.query("drop schema if exists bench_shopify_copy cascade; create schema bench_shopify_copy; create table bench_shopify_copy.lines (id text, parent_id text, body jsonb)");
  const started = performance.now();
  let rows = 0;
  for (const url of urls) {
    const target = new URL(url);
    const res = await fetch(`${fake.base}${target.pathname}${target.search}`);
    const copy = client.query(copyStreams.from("copy bench_shopify_copy.lines from stdin"));
    const done = new Promise((resolve, reject) => { copy.on("finish", resolve); copy.on("error", reject); });
    const escape = (text) => text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk, { stream: true });
      let out = "";
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const value = JSON.parse(line);
        out += `${escape(String(value.id))}\t${value.__parentId ? escape(value.__parentId) : "\\N"}\t${escape(line)}\n`;
        rows++;
      }
      if (out && !copy.write(out)) await new Promise((r) => copy.once("drain", r));
    }
    copy.end();
    await done;
  }
  const seconds = (performance.now() - started) / 1000;
  await client.query("drop schema bench_shopify_copy cascade");
  await client.end();
  return { rows, seconds, rowsPerSecond: rows / seconds };
}

const results = { date: new Date().toISOString(), line_items_per_order: LINE_ITEMS };
const fake = await startFake("shopify", { nodeArgs: ["--max-old-space-size=6144"] });
let port = 18811;
try {
  console.log(`shopify: orders with ${LINE_ITEMS} line items each, through bulk operations into PostgreSQL`);
  for (const [label, orders] of [["small", SMALL], ["large", LARGE]]) {
    const shop = `bench-${label}-${Date.now().toString(36)}`;
    const seeded = await fake.control("POST", `${shop}/seed`, { counts: { orders, lineItemsPerOrder: LINE_ITEMS, customers: 100, products: 50, variantsPerProduct: 2 } });
    const overrides = JSON.stringify({ "*.myshopify.com": fake.base, "storage.googleapis.com": fake.base });
    const worker = await startWorker({ fakePort: fake.port, port: port++, extraArgs: ["--var", `HOST_OVERRIDES:${overrides}`] });
    const schema = `bench_shopify_${label}`;
    try {
      const run = await engineRun(worker, `${shop}.myshopify.com`, seeded.token, schema);
      const peak = workerdPeakRssMiB(worker.pid);
      const [orderRows, itemRows] = [await countRows(schema, "orders"), await countRows(schema, "order_line_items")];
      if (orderRows !== orders || itemRows !== orders * LINE_ITEMS) throw new Error(`${schema}: ${orderRows} orders and ${itemRows} line items, not ${orders} and ${orders * LINE_ITEMS}`);
      await dropSchema(schema);
      const engine = { rows: run.rows, seconds: run.seconds, rowsPerSecond: run.rows / run.seconds, peak_rss_mib: peak };
      const copy = await baseline(fake, shop);
      console.log(`  ${String(orders).padStart(7)} orders (${run.rows} rows): engine ${engine.rowsPerSecond.toFixed(0).padStart(7)} rows/s (${run.seconds.toFixed(1)} s), peak workerd RSS ${peak.toFixed(0)} MiB`);
      console.log(`  ${" ".repeat(7)} baseline Node fetch + COPY of the same files ${copy.rowsPerSecond.toFixed(0).padStart(7)} rows/s (${copy.seconds.toFixed(1)} s)  ratio ${(engine.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}`);
      results[label] = { orders, engine, baseline: copy, ratio: engine.rowsPerSecond / copy.rowsPerSecond };
    } finally {
      await worker.stop();
    }
  }
  results.memory_ratio = results.large.engine.peak_rss_mib / results.small.engine.peak_rss_mib;
  console.log(`  peak RSS ratio large/small: ${results.memory_ratio.toFixed(2)} (target < 1.5)`);
} finally {
  await fake.stop();
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/shopify-latest.json"), JSON.stringify(results, null, 2));
