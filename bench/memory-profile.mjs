#!/usr/bin/env node
// Memory profile of one engine run (not part of npm test). Every second it prints the rows loaded so far and the
// resident memory of each workerd process below this run's wrangler — the runtime of the worker first, then
// wrangler's dev proxy; other workerds on the machine (other engineers' vitest runs) are not counted.
//   --heap            adds, per isolate of the worker's runtime, the V8 heap in use: JS + cppgc (the heap of
//                     runtime objects such as Request, Response, Headers), garbage included. Isolates: our worker
//                     with its Durable Objects, and miniflare's local-only ones — `outbound` (every subrequest of a
//                     local worker passes through it), `obs` (wrangler's local trace capture, present only
//                     with --local-observability), `d1`, `queue`, `entry`.
//   --force-gc LIST   forces a full V8 collection in the listed isolates (ids as workerd names them, e.g.
//                     outbound:0, or `all`) before each sample. A heap snapshot is the only way (workerd ignores
//                     HeapProfiler.collectGarbage); its machinery costs a one-time ~60 MiB of RSS. Memory that
//                     stops growing with it is garbage awaiting a major GC, not retention.
//   --allocations     samples where our worker's isolate allocates what outlives young-generation collections (the
//                     garbage that fills the old generation until V8's next major GC), and prints the top sites.
//   --page N          records a page (the fake serves up to 1000), to tell per-request from per-record costs.
//   --var KEY:VALUE   passed to the worker, e.g. --var CHUNK_MAX_PAGES:50.
// Usage: node bench/memory-profile.mjs [--records 500000] [--warehouse postgresql|d1] [--page 100] [--heap]
//                                      [--allocations] [--force-gc outbound:0] [--var KEY:VALUE …] [--local-observability]
// bench/workerd-gc-repro.mjs is the same question asked of a bare workerd, without wrangler, miniflare or our code.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { commandLine, devtoolsSession, dropSchema, engineRun, seed, startFakeApi, startWorker, workerdPeakRssMiB } from "./lib.mjs";

const cli = commandLine();
const RECORDS = Number(cli.value("records", 500_000));
const WAREHOUSE = cli.value("warehouse", "postgresql");
const PAGE = Number(cli.value("page", 100));
const FORCE_GC = cli.value("force-gc", "").split(",").filter(Boolean);
const ALLOCATIONS = cli.flag("allocations");
const HEAP = cli.flag("heap") || FORCE_GC.length > 0 || ALLOCATIONS;
/** One sample per this many bytes allocated: fine enough for sites of a few KiB per page, cheap enough to leave on. */
const SAMPLING_INTERVAL = 16_384;
const LOCAL_OBSERVABILITY = cli.flag("local-observability");
const INSPECTOR_PORT = 19235;
const USER_WORKER = "core:user:loaders";
/** The isolates worth watching, by workerd's name: our worker (with its Durable Objects) and miniflare's busiest. */
const LABELS = {
  [USER_WORKER]: "worker",
  "outbound:0": "outbound",
  "core:user:miniflare-observability-collector": "obs",
  "d1:db": "d1",
  "queues:queue": "queue",
  "core:entry": "entry",
};
const SHOWN = new Set(Object.keys(LABELS));
const vars = cli.all("var").flatMap((value) => ["--var", value]);

/** Resident memory (VmRSS, with its file-backed part) of each workerd process below `pid`, largest first. */
function workerdRss(pid) {
  const processes = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      processes.set(Number(entry), { ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {}
  }
  const sizes = [];
  const visit = (parent) => {
    for (const [child, info] of processes) {
      if (info.ppid !== parent) continue;
      if (info.comm.startsWith("workerd")) {
        try {
          const status = readFileSync(`/proc/${child}/status`, "utf8");
          const kib = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
          sizes.push({ total: kib("VmRSS") / 1024, file: kib("RssFile") / 1024 });
        } catch {}
      }
      visit(child);
    }
  };
  visit(pid);
  // File-backed pages (RssFile) are the workerd binary and other mapped files, not heap.
  return (
    sizes
      .sort((a, b) => b.total - a.total)
      .map((size) => `${size.total.toFixed(0).padStart(4)} (file ${size.file.toFixed(0)})`)
      .join(" +") + " MiB"
  );
}

/**
 * Devtools sessions on the watched isolates of the worker's runtime, through workerd's own inspector (wrangler
 * starts it on a random port, so it is found among the process's listening sockets).
 */
async function isolates(wranglerPid) {
  const processes = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  const commandOf = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      return [];
    }
  };
  const runtime = processes.find((pid) => commandOf(pid).some((arg) => arg.startsWith("--inspector-addr=")) && descends(Number(pid), wranglerPid));
  if (!runtime) throw new Error("no workerd with an inspector below wrangler");
  const socketInodes = new Set(
    readdirSync(`/proc/${runtime}/fd`).flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/${runtime}/fd/${fd}`).match(/^socket:\[(\d+)\]$/)?.[1]].filter(Boolean);
      } catch {
        return [];
      }
    }),
  );
  // Listening sockets (state 0A) of that process on 127.0.0.1; the inspector is the one answering /json.
  const ports = readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === "0A" && socketInodes.has(f[9]))
    .map((f) => parseInt(f[1].split(":")[1], 16));
  let targets;
  for (const port of ports) {
    try {
      const answer = await (await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(3000) })).json();
      if (Array.isArray(answer) && answer.every((target) => target.webSocketDebuggerUrl)) {
        targets = answer;
        break;
      }
    } catch {}
  }
  if (!targets) throw new Error("workerd's inspector did not answer");
  const wanted = targets.filter((target) => target.id !== USER_WORKER && (SHOWN.has(target.id) || FORCE_GC.includes(target.id) || FORCE_GC.includes("all")));
  // workerd takes one devtools session per isolate, and wrangler's inspector proxy holds the user worker's: that
  // one is reached through the proxy, which accepts a socket only from a local Origin.
  const proxied = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  return Promise.all([
    session(USER_WORKER, proxied[0].webSocketDebuggerUrl, { origin: "http://localhost" }),
    ...wanted.map((target) => session(target.id, target.webSocketDebuggerUrl)),
  ]);
}

function descends(pid, ancestor) {
  try {
    for (let current = pid; current > 1; ) {
      const stat = readFileSync(`/proc/${current}/stat`, "utf8");
      current = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (current === ancestor) return true;
    }
  } catch {}
  return false;
}

async function session(name, url, headers = {}) {
  const { send, close } = await devtoolsSession(url, headers);
  let profiling = false;
  return {
    name,
    /** Samples allocations that survive young-generation collections (those V8 frees only in a major GC). */
    async startAllocationSampling() {
      await send("HeapProfiler.enable");
      await send("HeapProfiler.startSampling", { samplingInterval: SAMPLING_INTERVAL, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    },
    /** Bytes sampled per allocation site (its function and three callers), largest first. */
    async allocationSites() {
      const result = await send("HeapProfiler.stopSampling", {}, 120_000);
      const sites = new Map();
      const visit = (node, stack) => {
        const frame = `${node.callFrame.functionName || "(anonymous)"}${node.callFrame.lineNumber >= 0 ? `:${node.callFrame.lineNumber + 1}` : ""}`;
        const here = [frame, ...stack].slice(0, 4);
        if (node.selfSize > 0) sites.set(here.join(" ← "), (sites.get(here.join(" ← ")) ?? 0) + node.selfSize);
        for (const child of node.children) visit(child, here);
      };
      if (result) visit(result.profile.head, []);
      return [...sites].sort((a, b) => b[1] - a[1]);
    },
    /** JS heap and cppgc heap (runtime objects: Request, Response, Headers …) in use, garbage included, in MiB. */
    async heap() {
      const usage = await send("Runtime.getHeapUsage");
      return usage ? `${(usage.usedSize / 2 ** 20).toFixed(1)}+${(usage.embedderHeapUsedSize / 2 ** 20).toFixed(1)}` : "-";
    },
    // workerd ignores HeapProfiler.collectGarbage; a heap snapshot always starts with a full collection.
    async collect() {
      profiling ||= (await send("HeapProfiler.enable")) !== undefined;
      if (profiling) await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 60_000);
    },
    close,
  };
}

const fake = await startFakeApi();
try {
  await seed(fake, "profile", RECORDS);
  const worker = await startWorker({ fakePort: fake.port, port: 18795, extraArgs: [...vars, ...(HEAP ? ["--inspector-port", String(INSPECTOR_PORT)] : [])], localObservability: LOCAL_OBSERVABILITY });
  let sessions = [];
  let timer;
  try {
    sessions = HEAP ? await isolates(worker.pid) : [];
    const shown = sessions.filter((s) => SHOWN.has(s.name));
    const collected = sessions.filter((s) => FORCE_GC.includes("all") || FORCE_GC.includes(s.name));
    const heaps = async () => {
      for (const s of collected) await s.collect();
      const parts = await Promise.all(shown.map(async (s) => `  ${LABELS[s.name]} ${await s.heap()}`));
      return parts.join("");
    };
    const settings = [...vars.filter((v) => v !== "--var"), ...(collected.length ? [`full GC before each sample in ${collected.map((s) => s.name).join(", ")}`] : [])];
    console.log(`memory profile: ${RECORDS} records, ${PAGE} a page, into ${WAREHOUSE}${settings.length ? ` (${settings.join("; ")})` : ""}`);
    if (HEAP) console.log("  RSS of each workerd; per isolate: JS heap + cppgc heap in use (MiB, garbage included)");
    console.log(`    idle      RSS ${workerdRss(worker.pid)}${HEAP ? await heaps() : ""}`);
    const userWorker = sessions.find((s) => s.name === USER_WORKER);
    if (ALLOCATIONS) await userWorker.startAllocationSampling();
    let rows = 0;
    let sampling = false;
    timer = setInterval(async () => {
      if (sampling) return;
      sampling = true;
      const heap = HEAP ? await heaps() : "";
      console.log(`${String(rows).padStart(8)} rows  RSS ${workerdRss(worker.pid)}${heap}`);
      sampling = false;
    }, 1000);
    const run = await engineRun(worker, fake, "profile", { warehouse: WAREHOUSE, schema: "mem_profile", page: PAGE, onPoll: (current) => (rows = current.rows_loaded) });
    console.log(`done: ${run.rows} rows at ${run.rowsPerSecond.toFixed(0)} rows/s, peak RSS ${workerdPeakRssMiB(worker.pid).toFixed(0)} MiB`);
    if (ALLOCATIONS) {
      clearInterval(timer);
      const sites = await userWorker.allocationSites();
      const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
      console.log(`allocations in the worker that outlived young-generation GCs: ${(total / 2 ** 20).toFixed(1)} MiB sampled; top sites (line numbers of wrangler's bundle):`);
      for (const [site, bytes] of sites.slice(0, 15)) console.log(`  ${(bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${site}`);
    }
    if (WAREHOUSE === "postgresql") await dropSchema("mem_profile");
  } finally {
    clearInterval(timer);
    for (const s of sessions) s.close();
    await worker.stop();
  }
} finally {
  fake.stop();
}
