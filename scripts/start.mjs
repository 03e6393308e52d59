#!/usr/bin/env node
// Starts Loaders locally on embedded defaults: local D1 (control plane + the D1 warehouse), local queues and
// Durable Objects, all inside `wrangler dev`. wrangler dev does not fire cron triggers by itself, so this script
// calls its /__scheduled endpoint at the start of every minute, as Cloudflare's `* * * * *` trigger would.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// The port: `npm start -- --port 9000` (or `--port=9000`), else PORT=9000, else 8787.
function portFromArgs(args) {
  const at = args.findIndex((arg) => arg === "--port" || arg.startsWith("--port="));
  if (at < 0) return undefined;
  return args[at].includes("=") ? args[at].split("=")[1] : args[at + 1];
}
const port = Number(portFromArgs(process.argv.slice(2)) ?? process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("the port must be a number from 1 to 65535: npm start -- --port 9000, or PORT=9000 npm start");
  process.exit(2);
}
const wrangler = ["wrangler"];

if (!existsSync(`${root}.dev.vars`)) {
  copyFileSync(`${root}.dev.vars.example`, `${root}.dev.vars`);
  console.log("created .dev.vars from .dev.vars.example (development mode, local keys)");
}

const migrate = spawnSync("npx", [...wrangler, "d1", "migrations", "apply", "DB", "--local"], { cwd: root, stdio: "inherit", env: { ...process.env, CI: "true" } });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// Offline, miniflare's fetch of the `Request.cf` placeholder from workers.cloudflare.com fails with a stack trace at
// every start; Loaders never reads request.cf, so the built-in placeholder is all it needs. Telemetry likewise.
const quietOffline = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const dev = spawn("npx", [...wrangler, "dev", "--test-scheduled", "--port", String(port), "--ip", "127.0.0.1"], {
  cwd: root,
  stdio: "inherit",
  env: { ...quietOffline, ...process.env },
});

function scheduleTick() {
  const msToNextMinute = 60_000 - (Date.now() % 60_000);
  setTimeout(async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
      if (!res.ok) console.error(`cron tick answered ${res.status}`);
    } catch (error) {
      console.error(`cron tick failed: ${error.message}`);
    }
    scheduleTick();
  }, msToNextMinute);
}
scheduleTick();

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
