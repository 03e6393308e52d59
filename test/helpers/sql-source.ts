/**
 * One scenario for every SQL source (connectors/kit/sql-source.ts): each engine's test file builds the same tables
 * in its own dialect — customers (key id, cursor updated_at, one row an hour from 2024-01-01 00:00:00.123456 UTC),
 * a keyless events table, a composite-key orders table and an active_customers view — and these checks run on them.
 */
import { expect } from "vitest";
import type { Connector, ConnectorContext, JsonObject, Page, StreamSpec } from "../../connectors/kit/contract";
import { PAGE_ROWS } from "../../connectors/kit/sql-source";
import type { SourceSession } from "../../connectors/kit/sql-source";
import { bootstrapWorkspace, createD1Source } from "./api";
import { connectorContext, readPages, records } from "./connector";
import { committedState, createLoader, d1Rows, triggerAndWait, uniqueName } from "./engine";

// Five pages: with the tests' CHUNK_MAX_PAGES of 4, the end-to-end read crosses a chunk boundary.
export const CUSTOMERS = 4500;
export const EVENTS = 1500;
export const BIG = 9007199254740993n; // 2^53 + 1: a number would round it

/** The customer row 7 as every source must read it (profile and cursor text differ by engine). */
export const CUSTOMER_7 = {
  id: 7n,
  name: "Customer 7",
  balance: "8.75",
  big: BIG,
  active: false,
  avatar: "AQL/",
  born: "1990-01-08",
  updated_at: "2024-01-01T07:00:00.123456Z",
};

export interface SqlSourceHarness<C extends JsonObject> {
  connector: Connector<C>;
  ctx: ConnectorContext;
  config: C;
  streams: StreamSpec[];
  /** The stream name of a test table (schema-qualified or not, as the engine names streams). */
  stream(table: string): string;
}

/** A full read of customers: three keyset pages whose checkpoints resume without a gap or a repeat. */
export async function expectKeysetRead<C extends JsonObject>(h: SqlSourceHarness<C>): Promise<Record<string, unknown>[]> {
  const customers = h.streams.find((s) => s.name === h.stream("customers"))!;
  const request = (checkpoint: Page["checkpoint"] | null = null) => ({ stream: customers, sync_mode: "full_refresh" as const, state: null, checkpoint });
  const pages = await readPages(h.connector, h.ctx, h.config, request());
  // Each full page doubles the next statement's rows (nextPageRows): 1,000, then 2,000, then the last 1,500.
  expect(pages.map((p) => p.records.length)).toEqual([PAGE_ROWS, 2 * PAGE_ROWS, CUSTOMERS - 3 * PAGE_ROWS]);
  expect(pages.map((p) => p.checkpoint)).toEqual(["1000", "3000", "4500"].map((id) => ({ after: [id] })));
  const rows = records(pages);
  expect(rows.map((r) => r.id)).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => BigInt(i + 1)));
  // A chunk that stopped after the first page resumes right after it.
  const resumed = records(await readPages(h.connector, h.ctx, h.config, request(pages[0]!.checkpoint)));
  expect(resumed.map((r) => r.id)).toEqual(rows.slice(PAGE_ROWS).map((r) => r.id));
  // A composite key pages by all of its columns.
  const orders = h.streams.find((s) => s.name === h.stream("orders"))!;
  const orderRows = records(await readPages(h.connector, h.ctx, h.config, { stream: orders, sync_mode: "full_refresh", state: null, checkpoint: { after: ["eu", "1"] } }));
  expect(orderRows.map((r) => [r.region, r.id])).toEqual([["eu", 2], ["us", 1]]);
  // A checkpoint of another shape or width is refused, never read as "start again" (which would load rows twice).
  for (const foreign of [{ offset: 1000 }, { after: [] }, { after: ["eu"] }] as JsonObject[]) {
    await expect(readPages(h.connector, h.ctx, h.config, { stream: orders, sync_mode: "full_refresh", state: null, checkpoint: foreign })).rejects.toMatchObject({ kind: "data" });
  }
  return rows;
}

/**
 * Incremental reads: the first from the start, the next from the high-water mark minus the 5-minute window, which
 * holds exactly the newest seeded row; then the rows `change` (EndToEnd.change) moved or put in 2030.
 */
export async function expectIncrementalRead<C extends JsonObject>(h: SqlSourceHarness<C>, firstHighWater: string, change: () => Promise<void>): Promise<void> {
  const customers = h.streams.find((s) => s.name === h.stream("customers"))!;
  const incremental = (state: Page["state"] | null) => readPages(h.connector, h.ctx, h.config, { stream: customers, sync_mode: "incremental", state: state ?? null, checkpoint: null });
  const first = await incremental(null);
  expect(records(first)).toHaveLength(CUSTOMERS);
  const state = first.at(-1)!.state!;
  expect(state).toEqual({ cursor: firstHighWater });
  await change();
  const second = records(await incremental(state));
  expect(second.map((r) => [r.id, r.name])).toEqual([[BigInt(CUSTOMERS), `Customer ${CUSTOMERS}`], [3n, "Renamed"], [4n, "Renamed"], [9000n, "New"]]);
}

export interface EndToEnd {
  loaderType: string;
  config: Record<string, unknown>;
  stream(table: string): string;
  /** The D1 table a stream lands in, from the loader's target schema. */
  table(target: string, table: string): string;
  /** Renames customers 3 and 4, inserts customer 9000, all with updated_at 2030-01-01 00:00:00 UTC. */
  change(): Promise<void>;
  /** The committed cursor text after the first and the second run. */
  highWater: [string, string];
}

/** Three streams into D1 through the engine, then only what changed, merged in place. */
export async function expectEndToEnd(e: EndToEnd): Promise<void> {
  const owner = await bootstrapWorkspace();
  const sourceId = await createD1Source(owner);
  const target = uniqueName("db_src");
  const loader = await createLoader(owner, {
    name: "App database",
    loader_type: e.loaderType,
    source_id: sourceId,
    config: e.config,
    target_schema: target,
    sync_mode: "incremental",
    selected_streams: [
      { name: e.stream("customers"), sync_mode: "incremental" },
      { name: e.stream("events"), sync_mode: "full_refresh" },
      { name: e.stream("active_customers"), sync_mode: "full_refresh" },
    ],
  });
  const table = (name: string) => e.table(target, name);

  const first = await triggerAndWait(owner, loader.id);
  expect(first).toMatchObject({ status: "completed", rows_loaded: CUSTOMERS + EVENTS + CUSTOMERS / 2, streams_total: 3, streams_failed: 0 });
  const loaded = await d1Rows(table("customers"));
  expect(loaded).toHaveLength(CUSTOMERS);
  expect(loaded[6]).toMatchObject({ id: 7, name: "Customer 7", balance: "8.75", big: String(BIG), active: 0, born: "1990-01-08", avatar: "AQL/", _loader_run_id: first.id });
  expect(JSON.parse(loaded[6].profile)).toMatchObject({ n: 7 });
  expect(await d1Rows(table("events"), "at")).toHaveLength(EVENTS);
  expect(await d1Rows(table("active_customers"))).toHaveLength(CUSTOMERS / 2);
  expect(await committedState(loader.id, e.stream("customers"))).toEqual({ cursor: e.highWater[0] });

  await e.change();
  const second = await triggerAndWait(owner, loader.id);
  // The window's one re-read row, the two changed and the new one.
  expect(second.streams.find((s: any) => s.name === e.stream("customers"))).toMatchObject({ status: "completed", rows_loaded: 4 });
  const after = await d1Rows(table("customers"));
  expect(after).toHaveLength(CUSTOMERS + 1);
  expect(after.filter((r) => r.name === "Renamed").map((r) => r.id)).toEqual([3, 4]);
  expect(after.find((r) => r.id === 9000)).toMatchObject({ name: "New", _loader_run_id: second.id });
  expect(await committedState(loader.id, e.stream("customers"))).toEqual({ cursor: e.highWater[1] });
}

export interface OverTls<C extends JsonObject> {
  connector: Connector<C>;
  /** A config for `localhost` on test/tls-servers.ts's server, with a table `notes` holding (1, 'over'), (2, 'tls'). */
  config: C & { host: string };
  openSession(config: C, development: boolean): Promise<SourceSession>;
  /** A statement showing the session's TLS, and the rows it must answer. */
  tlsStatus: { sql: string; rows: unknown };
}

/** Outside development, over TLS: check, discover and read succeed; a host name the certificate lacks is refused. */
export async function expectReadOverTls<C extends JsonObject>(t: OverTls<C>): Promise<void> {
  const { ctx } = connectorContext();
  const production = { ...ctx, development: false };
  await expect(t.connector.check(production, t.config)).resolves.toBeUndefined();
  const [notes] = await t.connector.discover!(production, t.config);
  expect(records(await readPages(t.connector, production, t.config, { stream: notes!, sync_mode: "full_refresh", state: null, checkpoint: null }))).toEqual([
    { id: 1, body: "over" },
    { id: 2, body: "tls" },
  ]);
  const session = await t.openSession(t.config, false);
  try {
    expect(await session.query(t.tlsStatus.sql)).toEqual(t.tlsStatus.rows);
  } finally {
    await session.close();
  }
  // The certificate names localhost only.
  await expect(t.connector.check(production, { ...t.config, host: "127.0.0.1" })).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining("TLS handshake failed") });
}
