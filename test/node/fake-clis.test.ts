/**
 * The fakes' own CLIs (`npm run fake:<api>`, test/fakes/shared/cli.ts) under plain Node: each listens, prints the
 * HOST_OVERRIDES entry a `.dev.vars` needs for exactly the hosts the fake answers, and answers a vendor request.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const running: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  await Promise.all(
    running.splice(0).map((child) => {
      if (child.exitCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      return exited;
    }),
  );
});

function cliPath(fake: string): string {
  return fileURLToPath(new URL(`../fakes/${fake}/cli.ts`, import.meta.url).href);
}

/** Starts a CLI and answers its first three lines of output (listening, HOST_OVERRIDES, loader hint). */
async function startCli(fake: string, args: string[] = ["--port", "0"]): Promise<{ url: string; overrides: Record<string, string>; hint: string }> {
  const child = spawn(process.execPath, [cliPath(fake), ...args], { stdio: ["pipe", "pipe", "pipe"] });
  running.push(child);
  const lines = await new Promise<string[]>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const complete = output.split("\n").slice(0, -1);
      if (complete.length >= 3) resolve(complete);
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("exit", (code) => reject(new Error(`${fake} cli exited with ${code}: ${output}`)));
  });
  const url = /^\S+ fake listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0]!)?.[1];
  if (!url) throw new Error(`unexpected first line: ${lines[0]}`);
  expect(lines[1]).toMatch(/^HOST_OVERRIDES=\{/);
  return { url, overrides: JSON.parse(lines[1]!.slice("HOST_OVERRIDES=".length)) as Record<string, string>, hint: lines[2]! };
}

describe("fake CLIs", () => {
  it("stripe: lists customers for the tenant its key names", async () => {
    const { url, overrides, hint } = await startCli("stripe");
    expect(overrides).toEqual({ "api.stripe.com": url });
    expect(hint).toContain('"api_key": "sk_test_<tenant>"');
    const response = await fetch(`${url}/v1/customers?limit=2`, { headers: { Authorization: "Bearer sk_test_cli" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; data: { object: string }[] };
    expect(body.object).toBe("list");
    expect(body.data.map((customer) => customer.object)).toEqual(["customer", "customer"]);
  });

  it("hubspot: pages contacts for a private-app token", async () => {
    const { url, overrides } = await startCli("hubspot");
    expect(overrides).toEqual({ "api.hubapi.com": url });
    const response = await fetch(`${url}/crm/v3/objects/contacts?limit=1`, { headers: { Authorization: "Bearer pat-cli" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { id: string }[]; paging?: { next?: { after: string } } };
    expect(body.results).toHaveLength(1);
    expect(body.paging?.next?.after).toBeTruthy();
  });

  it("salesforce: issues a session from a refresh token and answers SOQL with it", async () => {
    const { url, overrides } = await startCli("salesforce");
    expect(Object.keys(overrides)).toEqual(expect.arrayContaining(["login.salesforce.com", "mycompany.my.salesforce.com"]));
    expect(new Set(Object.values(overrides))).toEqual(new Set([url]));
    const token = await fetch(`${url}/services/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Host: "login.salesforce.com" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "refresh-cli", client_id: "cli", client_secret: "cli" }),
    });
    expect(token.status).toBe(200);
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const query = await fetch(`${url}/services/data/v62.0/query?q=${encodeURIComponent("SELECT Id FROM Account LIMIT 1")}`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(query.status).toBe(200);
    expect(((await query.json()) as { records: unknown[] }).records).toHaveLength(1);
  });

  it("refuses a port that is not one, with exit code 2 and nothing started", async () => {
    const child = spawn(process.execPath, [cliPath("stripe"), "--port", "70000"], { stdio: ["pipe", "pipe", "pipe"] });
    running.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("invalid --port: 70000");
  });
});
