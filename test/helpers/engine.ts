/** Fixtures for engine tests: the fake REST API (control, items, request log), loaders, committed state, and waiting for runs. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import { as, type Caller } from "./api";
import { fakeBase } from "./connector";

export const fakeRestBase = () => fakeBase("rest-api");

export async function fakeControl(tenant: string, action: string, body?: unknown, method = "POST") {
  const res = await fetch(`${fakeRestBase()}/t/${tenant}/_control/${action}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${action}: ${await res.clone().text()}`).toBeLessThan(300);
  return res.json() as Promise<any>;
}

export async function fakeRequests(tenant: string): Promise<Array<{ method: string; path: string; query: Record<string, string>; headers: Record<string, string> }>> {
  const res = await fetch(`${fakeRestBase()}/t/${tenant}/_control/requests`);
  return res.json() as Promise<any>;
}

/** Every item of a tenant of the fake (`/all/items`, unpaged): the oracle for what a load must hold. */
export async function fakeItems(tenant: string): Promise<any[]> {
  const res = await fetch(`${fakeRestBase()}/t/${tenant}/all/items`);
  return (await res.json()) as any[];
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

export interface RestStream {
  name: string;
  path: string;
  incremental?: boolean;
  primary_key?: string[];
}

/** A rest_api config against the fake through HOST_OVERRIDES, as a user would write it for the real host. */
export function restConfig(tenant: string, streams: RestStream[], auth: unknown = { type: "none" }) {
  return {
    base_url: `https://api.example.com/t/${tenant}`,
    auth,
    paginator: { type: "cursor", cursor_param: "after", cursor_path: "next_cursor", limit_param: "limit", limit: 100 },
    streams: streams.map((s) => ({
      name: s.name,
      path: s.path,
      records_path: "results",
      // An empty list means a stream without a key (append-only); rest_api expresses that by omitting the field.
      ...(s.primary_key?.length === 0 ? {} : { primary_key: s.primary_key ?? ["id"] }),
      ...(s.incremental ? { incremental: { cursor_field: "updated_at", param: "updated_since", lookback_seconds: 0 } } : {}),
    })),
  };
}

/** POST /loaders that must succeed; the created loader as the API answers it. */
export async function createLoader(caller: Caller, body: Record<string, unknown>) {
  const res = await as(caller)("/loaders", { method: "POST", body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

export async function createRestLoader(caller: Caller, sourceId: string, config: unknown, streams: Array<{ name: string; sync_mode: string }>, extra: Record<string, unknown> = {}) {
  return createLoader(caller, {
    name: "REST loader",
    loader_type: "rest_api",
    source_id: sourceId,
    config,
    target_schema: "RAW",
    selected_streams: streams,
    sync_mode: "full_refresh",
    ...extra,
  });
}

type SyncModeName = "incremental" | "full_refresh";

/**
 * A connector's loader, which must come out `active` (its reader is available and its config valid). A stream given
 * by name alone takes the loader's sync mode; a `[name, sync_mode]` pair names its own.
 */
export async function createActiveLoader(
  caller: Caller,
  loader: { name: string; loader_type: string; source_id: string; config: unknown; target_schema: string; streams: Array<string | [string, SyncModeName]>; sync_mode?: SyncModeName },
) {
  const { streams, sync_mode = "incremental", ...rest } = loader;
  const selected_streams = streams.map((stream) => (typeof stream === "string" ? { name: stream, sync_mode } : { name: stream[0], sync_mode: stream[1] }));
  const created = await createLoader(caller, { ...rest, selected_streams, sync_mode });
  expect(created.status).toBe("active");
  return created;
}

const TERMINAL = ["completed", "failed", "cancelled"];

/**
 * Polls the run row in D1 (polling through the API would spend the workspace's 100/min rate limit), then returns
 * the run as the API shows it.
 */
export async function waitForRun(caller: Caller, loaderId: string, runId: string, until: (run: any) => boolean = (r) => TERMINAL.includes(r.status), timeoutMs = 90_000) {
  const started = Date.now();
  for (;;) {
    const row = await env.DB.prepare("select status, rows_loaded, streams from loader_runs where id = ?").bind(runId).first<any>();
    const view = row ? { ...row, streams: JSON.parse(row.streams) } : null;
    if (view && until(view)) break;
    if (Date.now() - started > timeoutMs) throw new Error(`run ${runId} not done after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await as(caller)(`/loaders/${loaderId}/runs/${runId}`);
  expect(res.status).toBe(200);
  return res.json;
}

/** One stream's summary in a run object, by name. */
export const streamOf = (run: any, name: string) => run.streams.find((s: any) => s.name === name);

export async function triggerAndWait(caller: Caller, loaderId: string) {
  const triggered = await as(caller)(`/loaders/${loaderId}/trigger`, { method: "POST" });
  expect(triggered.status, JSON.stringify(triggered.json)).toBe(201);
  return waitForRun(caller, loaderId, triggered.json.id);
}

/** A stream's committed state (parsed), or null before its first commit. */
export async function committedState(loaderId: string, stream: string): Promise<Record<string, unknown> | null> {
  const row = await env.DB.prepare("select state from stream_states where loader_id = ? and stream = ?").bind(loaderId, stream).first<{ state: string }>();
  return row ? (JSON.parse(row.state) as Record<string, unknown>) : null;
}

export async function d1Rows(table: string, orderBy = "id"): Promise<any[]> {
  const res = await env.WAREHOUSE.prepare(`select * from "${table}" order by ${orderBy}`).all();
  return res.results;
}

/**
 * A consumer that dies after writing pages and before reporting them: once the run's first stream has `afterPages`
 * pages, its tracker forgets them (pages, rows and checkpoint back to the start, the lease dropped) and hands the
 * stream to a new delivery of the next chunk, as its watchdog would. What the dead consumer wrote stays in the
 * warehouse, so the redelivery must replace it, neither losing nor doubling a row.
 */
export async function forgetUnreportedPages(caller: Caller, loaderId: string, runId: string, stream: string, afterPages: number): Promise<void> {
  const stub = runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>;
  for (let i = 0; ; i++) {
    const view = (await runInDurableObject(stub, (instance: RunTracker) => instance.snapshot())) as any;
    if ((view.streams[0]?.pages ?? 0) >= afterPages) break;
    if (i > 600) throw new Error(`run ${runId} never reached page ${afterPages}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const chunk = await runInDurableObject(stub, (_instance: RunTracker, state) => {
    const sql = state.storage.sql;
    const s = sql.exec<{ chunk: number }>("SELECT chunk FROM streams").one();
    sql.exec("UPDATE streams SET pages = 0, rows_loaded = 0, checkpoint = NULL, chunk = chunk + 1, lease_token = NULL, lease_until = 0");
    return s.chunk + 1;
  });
  await env.EXTRACT_QUEUE.send({ kind: "extract", runId, loaderId, workspaceId: caller.workspaceId, stream, chunk });
}
