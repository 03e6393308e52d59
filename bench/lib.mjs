// Shared pieces of the benchmarks: child processes (the fake API, wrangler dev), the API client, and RSS sampling.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

function waitForLine(child, pattern, what, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${seen.slice(-2000)}`)), timeoutMs);
    const onData = (chunk) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}: ${seen.slice(-2000)}`)));
  });
}

export async function startFakeApi() {
  const child = spawn(process.execPath, [join(root, "test/fakes/rest-api/cli.ts"), "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const [, port] = await waitForLine(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, "fake REST API");
  return { port: Number(port), base: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

export async function startWorker({ fakePort, port }) {
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
  const child = spawn(wrangler, ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", dir, "--env-file", envFile, "--log-level", "warn", "--show-interactive-dev-session=false"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true" },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, pid: child.pid, stop: () => new Promise((resolve) => { child.on("exit", resolve); child.kill("SIGTERM"); }) };
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
