#!/usr/bin/env node
// Minimal experiment behind the memory benchmark's figures (not part of npm test): a bare `workerd serve` — no
// wrangler, no miniflare, none of our code — whose one worker fetches pages from the fake REST API in a loop and
// throws them away. It prints the process's RSS every 1000 fetches and shows that:
//   - RSS climbs by a few KiB per fetch whatever the body size (--limit 1 grows like --limit 100), and a loop
//     without fetch (--mode synth) stays flat: the cost is per subrequest, not per byte;
//   - it is garbage, not a leak: with --force-gc (a heap snapshot, which starts with a full V8 collection, after
//     every 1000 fetches) RSS stays flat once the snapshot machinery's one-time ~70 MiB is paid. V8 collects the Request/Response wrappers only in a major GC, which it
//     rarely runs because the JS heap stays small; the native memory behind them is invisible to it
//     (cloudflare/workerd#6824, #6894);
//   - --interceptor adds what miniflare puts in front of every subrequest of a local worker (an "outbound" worker in
//     its own isolate that copies the headers and fetches again, miniflare's core/outbound.worker.js): that isolate
//     does almost no JS work, so it almost never collects, and the growth per fetch doubles.
// Usage: node bench/workerd-gc-repro.mjs [--fetches 20000] [--limit 100] [--mode fetch|synth] [--interceptor]
//                                        [--force-gc]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandLine, devtoolsSession, root, seed, startFakeApi } from "./lib.mjs";

const cli = commandLine();
const FETCHES = Number(cli.value("fetches", 20_000));
const LIMIT = Number(cli.value("limit", 100));
const MODE = cli.value("mode", "fetch");
const INTERCEPTOR = cli.flag("interceptor");
const FORCE_GC = cli.flag("force-gc");
const PER_REQUEST = 1000;
const PORT = 18810;
const INSPECTOR_PORT = 19270;
/** A snapshot of a grown isolate takes seconds; the wait only bounds a session that never answers. */
const SNAPSHOT_TIMEOUT_MS = 60_000;

// One request to the probe runs PER_REQUEST iterations: fetch a page and read its body, or build a page-sized JSON
// document without any I/O.
const probe = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n"));
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      if (url.searchParams.get("mode") === "synth") {
        await new Promise((resolve) => setTimeout(resolve, 0));
        bytes += JSON.stringify({ results: Array.from({ length: 100 }, (_, k) => ({ id: i * 100 + k, name: "item " + k })) }).length;
      } else {
        bytes += (await (await fetch(url.searchParams.get("target"))).text()).length;
      }
    }
    return Response.json({ bytes });
  },
};`;
const interceptor = `export default {
  async fetch(request) {
    const headers = new Headers(request.headers);
    headers.delete("CF-Connecting-IP");
    headers.set("CF-Worker", "probe.example.com");
    return fetch(request, { headers });
  },
};`;
const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "probe", worker = .probe),
    ${INTERCEPTOR ? '(name = "outbound", worker = .outbound),' : ""}
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${PORT}", http = (), service = "probe") ],
);
const probe :Workerd.Worker = (
  modules = [ (name = "probe.js", esModule = embed "probe.js") ],
  compatibilityDate = "2026-11-01",
  globalOutbound = "${INTERCEPTOR ? "outbound" : "internet"}",
);
const outbound :Workerd.Worker = (
  modules = [ (name = "interceptor.js", esModule = embed "interceptor.js") ],
  compatibilityDate = "2025-01-01",
  globalOutbound = "internet",
);
`;

const dir = mkdtempSync(join(tmpdir(), "workerd-gc-repro-"));
writeFileSync(join(dir, "probe.js"), probe);
writeFileSync(join(dir, "interceptor.js"), interceptor);
writeFileSync(join(dir, "config.capnp"), config);

/** Full collections in every isolate: workerd ignores HeapProfiler.collectGarbage, but a snapshot starts with one. */
async function collector() {
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const sessions = await Promise.all(
    targets.map(async (target) => {
      const session = await devtoolsSession(target.webSocketDebuggerUrl);
      await session.send("HeapProfiler.enable", {}, SNAPSHOT_TIMEOUT_MS);
      return session;
    }),
  );
  return {
    collect: () => Promise.all(sessions.map((s) => s.send("HeapProfiler.takeHeapSnapshot", {}, SNAPSHOT_TIMEOUT_MS))),
    close: () => sessions.forEach((s) => s.close()),
  };
}

const workerdBinary = join(root, "node_modules/wrangler/node_modules/@cloudflare/workerd-linux-64/bin/workerd");
const fake = await startFakeApi();
let runtime;
let gc;
try {
  await seed(fake, "repro", 1000);
  const inspect = FORCE_GC ? [`--inspector-addr=127.0.0.1:${INSPECTOR_PORT}`] : [];
  runtime = spawn(workerdBinary, ["serve", "--experimental", ...inspect, join(dir, "config.capnp")], { stdio: ["ignore", "inherit", "inherit"] });
  const rss = () => Number(readFileSync(`/proc/${runtime.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
  const base = `http://127.0.0.1:${PORT}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/?n=0`)).ok) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  gc = FORCE_GC ? await collector() : undefined;
  const target = `${fake.base}/t/repro/cursor/items?limit=${LIMIT}`;
  console.log(`bare workerd, ${MODE}${MODE === "fetch" ? ` (${LIMIT} records a page)` : ""}${INTERCEPTOR ? ", with miniflare's outbound interceptor" : ""}${FORCE_GC ? ", full GC every 1000" : ""}`);
  console.log(`       0  RSS ${rss().toFixed(0).padStart(4)} MiB`);
  for (let done = 0; done < FETCHES; done += PER_REQUEST) {
    const query = new URLSearchParams({ n: String(PER_REQUEST), mode: MODE, target });
    const res = await fetch(`${base}/?${query}`);
    if (!res.ok) throw new Error(`probe answered ${res.status}: ${await res.text()}`);
    await res.json();
    await gc?.collect();
    console.log(`${String(done + PER_REQUEST).padStart(8)}  RSS ${rss().toFixed(0).padStart(4)} MiB`);
  }
} finally {
  gc?.close();
  runtime?.kill("SIGTERM");
  fake.stop();
}
