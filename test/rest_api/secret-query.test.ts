/**
 * A rest_api loader whose key travels in the query string (`auth.in: "query"`), through the engine: the key reaches
 * the API on every request, and appears in no log line, error message, run row or checkpoint (the RunTracker's
 * state), whether the run succeeds or fails. The fake echoes the request URL (key included) into its next links and,
 * when asked, into its error bodies, as many APIs do.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, d1Rows, fakeControl, fakeRequests, triggerAndWait, uniqueName } from "../helpers/engine";

const ITEMS = 2500;

function queryKeyConfig(tenant: string, secret: string) {
  return {
    base_url: `https://api.example.com/t/${tenant}`,
    auth: { type: "api_key", name: "api_key", in: "query", value: secret },
    paginator: { type: "next_url", next_url_path: "links.next" },
    streams: [{ name: "items", path: "/next-url/items", records_path: "data", params: { limit: 100 }, primary_key: ["id"] }],
  };
}

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

async function trackerState(runId: string): Promise<string> {
  const stub = runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;
  return runInDurableObject(stub, async (instance: RunTracker, state) => {
    const stored = [...(await state.storage.list()).entries()];
    const tables = state.storage.sql.exec("select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'").toArray();
    const rows = tables.map((t) => state.storage.sql.exec(`select * from "${String(t.name)}"`).toArray());
    return JSON.stringify({ snapshot: instance.snapshot(), stored, rows });
  });
}

async function runRow(runId: string): Promise<string> {
  return JSON.stringify(await env.DB.prepare("select * from loader_runs where id = ?").bind(runId).first());
}

async function setup(prefix: string) {
  const secret = `qk_${crypto.randomUUID().replaceAll("-", "")}`;
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName(prefix);
  await fakeControl(tenant, "seed", { count: ITEMS, auth: { type: "api_key", name: "api_key", in: "query", value: secret } });
  const sourceId = await createD1Source(owner);
  const schema = uniqueName("raw");
  const loader = await createRestLoader(owner, sourceId, queryKeyConfig(tenant, secret), [{ name: "items", sync_mode: "full_refresh" }], { target_schema: schema });
  return { secret, owner, tenant, schema, loader };
}

describe("rest_api with the key in the query string", () => {
  it("a run that succeeds sends the key on every request and keeps it out of logs, the run row and the tracker's checkpoints", async () => {
    const { secret, owner, tenant, schema, loader } = await setup("qkey-ok");
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: ITEMS });
    expect(await d1Rows(`${schema.toLowerCase()}__items`)).toHaveLength(ITEMS);

    const sent = (await fakeRequests(tenant)).filter((r) => r.path.endsWith("/next-url/items"));
    expect(sent).toHaveLength(ITEMS / 100);
    expect(sent.every((r) => r.query.api_key === secret)).toBe(true);
    // Later pages follow the API's own links (which echoed the key), with the key added again by the auth provider.
    expect(sent.slice(1).every((r) => typeof r.query.cursor === "string")).toBe(true);

    expect(logged.some((line) => line.includes(run.id))).toBe(true);
    for (const line of logged) expect(line).not.toContain(secret);
    expect(await runRow(run.id)).not.toContain(secret);
    expect(await trackerState(run.id)).not.toContain(secret);
    expect(JSON.stringify(run)).not.toContain(secret);
  });

  it("a run that fails mid-stream on an error body quoting the URL keeps the key out of its message, logs, run row and stored checkpoint", async () => {
    const { secret, owner, tenant, loader } = await setup("qkey-fail");
    // Twelve pages, so the first 1,000 rows are written and their checkpoint (a next link) is stored; then a 400
    // whose body quotes the whole request URL.
    await fakeControl(tenant, "faults", { pass_first: 12, fail_first: 1000, status_first: 400, echo_url: true });
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "failed" });
    const message = run.streams[0].error_message as string;
    expect(message).toMatch(/\(HTTP 400\): injected failure for GET https?:\/\/\S+\/next-url\/items\?\S*api_key=\[redacted\]/);
    expect(message).not.toContain(secret);
    expect(run.error_message).not.toContain(secret);

    const tracker = await trackerState(run.id);
    // The stored checkpoint is a next link, without the key the API echoed into it (the auth provider adds it to
    // every request); the error message quotes the failed URL with the key redacted.
    expect(tracker).toMatch(/next-url\/items\?[^"]*cursor=/);
    expect(tracker).not.toContain(secret);
    expect(tracker).not.toMatch(/api_key=(?!\[redacted\])/);
    expect(await runRow(run.id)).not.toContain(secret);
    expect(logged.some((line) => line.includes("stream failed"))).toBe(true);
    for (const line of logged) expect(line).not.toContain(secret);

    const view = await as(owner)(`/loaders/${loader.id}/runs/${run.id}`);
    expect(JSON.stringify(view.json)).not.toContain(secret);
  });
});
