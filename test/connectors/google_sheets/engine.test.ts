/**
 * google_sheets end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Google
 * fake through HOST_OVERRIDES, with the engine's budget, token keeper and retries. The reads that load data run on
 * the engine's clock with its waits recorded instead of slept: the connector's read quota (6 at once, then 0.9 a
 * second, shared by the loader) would otherwise hold each run about a second per request past the sixth.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { systemClock } from "../../../src/engine/clock";
import { engineDeps } from "../../../src/engine/deps";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { createActiveLoader, d1Rows, streamOf, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { google, serviceAccount, spreadsheet } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();

const ORDERS = [
  ["Order ID", "Amount", "", "Placed", "Note", "Note"],
  ["A-1", 10.5, 3, { date: 45292 }, "first", ""],
  [],
  ["A-2", 7, 1, { date: 45293 }, "00123", "second"],
  ["A-3", "12", 2, { date: 45294 }, "", ""],
];

async function sheetsLoader(owner: Caller, sourceId: string, config: Record<string, unknown>, schema: string, streams: string[]) {
  return createActiveLoader(owner, { name: "Sheets", loader_type: "google_sheets", source_id: sourceId, config, target_schema: schema, streams, sync_mode: "full_refresh" });
}

describe("google_sheets → warehouse through the engine", () => {
  /** Every wait the engine was asked for during the test (the shared read quota's above all), none of it slept. */
  let waits: number[] = [];
  const original = engineDeps.clock;
  beforeEach(() => {
    waits = [];
    engineDeps.clock = { ...systemClock, sleep: async (ms) => void waits.push(ms) };
  });
  afterEach(() => {
    engineDeps.clock = original;
  });

  it("the Worker has the google_sheets reader registered", async () => {
    expect(connectorFor("google_sheets")).toBeDefined();
    expect(await servedLoaderType("google_sheets")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows and types from two tabs; an edited cell is updated in place on the next run", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [
      { title: "Orders", rows: ORDERS, merges: [{ startRowIndex: 0, endRowIndex: 1, startColumnIndex: 1, endColumnIndex: 3 }] },
      { title: "Team roster", rows: [["Name", "Joined"], ["Ada", { date: 45000 }], ["Grace", { date: 45001 }]] },
    ]);
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("SHEETS_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await sheetsLoader(owner, sourceId, { spreadsheet_id: `https://docs.google.com/spreadsheets/d/${book.id}/edit#gid=0`, service_account_json: sa.json, key_columns: { Orders: ["Order ID"] } }, schema, ["Orders", "Team roster"]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 5 });
    const orders = await query<any>(`select * from "${s}"."orders" order by _row_number`);
    expect(orders.map((r) => [r.order_id, r.amount, Number(r.amount_2), r.placed, r.note, r.note_2])).toEqual([
      ["A-1", "10.5", 3, "2024-01-01", "first", null],
      ["A-2", "7", 1, "2024-01-02", "00123", "second"],
      ["A-3", "12", 2, "2024-01-03", null, null],
    ]);
    // "12" typed as text widened the Amount column to text; the merged header's second column stays an integer.
    expect(await columnTypes(s, "orders")).toMatchObject({ order_id: "text", amount: "text", amount_2: "bigint", _row_number: "bigint" });
    const roster = await query<any>(`select name, joined from "${s}"."team_roster" order by _row_number`);
    expect(roster.map((r) => [r.name, String(r.joined instanceof Date ? r.joined.toISOString().slice(0, 10) : r.joined)])).toEqual([
      ["Ada", "2023-03-15"],
      ["Grace", "2023-03-16"],
    ]);

    await book.edit("Orders", [{ row: 4, values: ["A-2", 9, 4, { date: 45293 }, "edited", "second"] }]);
    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", rows_loaded: 5 });
    const after = await query<any>(`select order_id, amount_2, note, _loader_run_id from "${s}"."orders" order by _row_number`);
    expect(after.map((r) => [r.order_id, Number(r.amount_2), r.note])).toEqual([
      ["A-1", 3, "first"],
      ["A-2", 4, "edited"],
      ["A-3", 2, null],
    ]);
    expect(after.every((r) => r._loader_run_id === second.id)).toBe(true);
  });

  it("D1: a generated tab read in ranges across chunks, every row once, through the shared read quota", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Big", generate: { rows: 3000 } }]);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("sheets");
    const loader = await sheetsLoader(owner, sourceId, { spreadsheet_id: book.id, service_account_json: sa.json, row_batch_size: 500 }, schema, ["Big"]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 3000 });
    const rows = await d1Rows(`${schema.toLowerCase()}__big`, "_row_number");
    expect(rows).toHaveLength(3000);
    expect(new Set(rows.map((r) => r._row_number)).size).toBe(3000);
    expect(rows.reduce((sum, r) => sum + Number(r.id), 0)).toBe((3000 * 3001) / 2);
    expect(rows.reduce((sum, r) => sum + Number(r.amount), 0)).toBe(0.25 * ((3000 * 3001) / 2));
    const sent = await book.requests();
    const ranges = sent.filter((r) => r.path.endsWith("values:batchGet")).map((r) => r.query.ranges);
    // Each range once: a chunk resumes at the next row its predecessor committed.
    expect(ranges).toEqual(Array.from({ length: 6 }, (_, i) => `'Big'!A${2 + i * 500}:Z${501 + i * 500}`).map((r) => r.replace("Z3001", "Z3001")));
    expect(sent.every((r) => r.status === 200)).toBe(true);
    // The shared read quota held the reads back: past its six at once, each read was granted about a second after
    // the one before (0.9 a second), as reservations queue behind each other:
    // eleven reads in well under the 5 s the refill would need to spare them all a wait.
    expect(waits.length, JSON.stringify(waits)).toBeGreaterThan(0);
  });

  it("PostgreSQL: a 100,000-row tab through the engine, in ranges of 10,000 rows across chunks, every row once", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Big", generate: { rows: 100_000 } }]);
    await google()("POST", "sheets/quota", { principal: sa.email, per_minute: 1000 });
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("SHEETS_BIG");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await sheetsLoader(owner, sourceId, { spreadsheet_id: book.id, service_account_json: sa.json, row_batch_size: 10_000 }, schema, ["Big"]);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "completed", rows_loaded: 100_000 });
    const [totals] = await query<any>(`select count(*)::int as n, count(distinct _row_number)::int as rows, sum(id)::text as ids, min(day)::text as first_day from "${s}"."big"`);
    expect(totals).toEqual({ n: 100_000, rows: 100_000, ids: String((100_000 * 100_001) / 2), first_day: "2023-03-15" });
    const ranges = (await book.requests()).filter((r) => r.path.endsWith("values:batchGet")).map((r) => r.query.ranges);
    expect(ranges).toEqual(Array.from({ length: 10 }, (_, i) => `'Big'!A${2 + i * 10_000}:Z${10_001 + i * 10_000}`));
  }, 180_000);

  it("a revoked key fails the stream and puts the loader in error, with a message that says what to do", async () => {
    const sa = await serviceAccount();
    const book = await spreadsheet([sa.email], [{ title: "Orders", rows: ORDERS }]);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const loader = await sheetsLoader(owner, sourceId, { spreadsheet_id: book.id, service_account_json: sa.json }, uniqueName("sheets"), ["Orders"]);
    // Saving the loader discovered its tabs with a token of its own (a one-off call has no token keeper).
    expect((await google()("GET", "google/grants"))[sa.email]).toBe(1);
    expect(await triggerAndWait(owner, loader.id)).toMatchObject({ status: "completed", rows_loaded: 3 });
    await sa.revoke();
    const revoked = await triggerAndWait(owner, loader.id);
    expect(revoked).toMatchObject({ status: "failed", streams_failed: 1 });
    expect(streamOf(revoked, "Orders").error_message).toContain("invalid_grant");
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("invalid_grant") });
    expect(after.status_error).not.toContain("PRIVATE KEY");
    const grants = await google()("GET", "google/grants");
    // One token for every chunk of the first run (the token keeper), then the refused assertion(s) of the second.
    expect(grants[sa.email]).toBe(2);
    expect(grants[`refused:${sa.email}`]).toBeGreaterThanOrEqual(1);
  });
});
