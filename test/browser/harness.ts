/**
 * What a browser test needs, all on this machine: the Worker under `wrangler dev` (its own port, inspector port and
 * local state in a temporary folder, migrations applied), the fake REST API for the loaders it creates, and
 * Debian's Chromium driven by playwright-core with the flags this offline machine needs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { RunningFake } from "../fakes/index";
import { startFakeRestApi } from "../fakes/rest-api/server";

const root = new URL("../../", import.meta.url).pathname;
const wrangler = join(root, "node_modules/.bin/wrangler");

export const ADMIN_TOKEN = "browser-test-admin-token-0123456789";
const KEYRING = JSON.stringify({ current: "b1", keys: { b1: "YnJvd3Nlci10ZXN0cy1vbmx5LWtleS0wMTIzNDU2Nzg=" } });

/** Debian installs it as /usr/bin/chromium; LOADERS_CHROMIUM names another binary. */
export function chromiumPath(): string | null {
  const candidates = [process.env.LOADERS_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  return candidates.find((path) => existsSync(path)) ?? null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface Service {
  base: string;
  fake: RunningFake;
  stop(): Promise<void>;
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
}

export async function startService(): Promise<Service> {
  const fake = await startFakeRestApi();
  const state = mkdtempSync(join(tmpdir(), "loaders-browser-"));
  const env = { ...process.env, CI: "true", X_LOCAL_OBSERVABILITY: "false", WRANGLER_SEND_METRICS: "false" };
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  const port = await freePort();
  const inspector = await freePort();
  const vars = {
    ENVIRONMENT: "development",
    ADMIN_TOKEN,
    SECRETS_KEYRING: KEYRING,
    HOST_OVERRIDES: JSON.stringify({ "api.example.com": `http://127.0.0.1:${fake.port}` }),
  };
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", state, "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const child = spawn(wrangler, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  if (process.env.LOADERS_BROWSER_DEBUG) console.log("wrangler", args.join(" "));
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/signin`, child, () => output, 90_000);
  } catch (error) {
    child.kill("SIGTERM");
    await fake.close();
    throw error;
  }
  return {
    base,
    fake,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await fake.close();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
  });
}

/** The JSON API as a script would call it, for set-up the test does not do through the page. */
export function apiClient(base: string) {
  return async function call(method: string, path: string, token: string, body?: unknown, workspaceId?: string) {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (workspaceId) headers["X-Workspace-ID"] = workspaceId;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`${base}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };
}
