/**
 * ga4 end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the GA4 fake through
 * HOST_OVERRIDES, with the engine's own budget (LoaderBudget), token keeper and retries.
 */
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { committedState, createActiveLoader, d1Rows, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { addDays, baseFigure, days, MEDIUMS, property, serviceAccount, SOURCES, todayIn } from "./harness";

const { query, dropAfterAll } = postgresReader();
const TZ = "Europe/Berlin";

async function ga4Loader(owner: Caller, sourceId: string, config: Record<string, unknown>, schema: string, streams: string[]) {
  return createActiveLoader(owner, { name: "GA4", loader_type: "ga4", source_id: sourceId, config, target_schema: schema, streams });
}

const sessionsOf = (propertyId: string, date: string, factor = 1) =>
  SOURCES.flatMap((s) => MEDIUMS.map((m) => Math.round(baseFigure(propertyId, date, [s, m], "sessions") * factor))).reduce((a, b) => a + b, 0);

describe("ga4 → warehouse through the engine", () => {
  it("the Worker has the ga4 reader registered", async () => {
    expect(connectorFor("ga4")).toBeDefined();
    expect(await servedLoaderType("ga4")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows and sums; a restatement of the last days is merged in place, older days untouched", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const start = addDays(today, -9);
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("GA4_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await ga4Loader(owner, sourceId, { property_ids: [p.id], service_account_json: sa.json, start_date: start, page_size: 20 }, schema, ["traffic_sources", "website_overview"]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 10 * 9 + 10 });
    const traffic = async () => query<any>(`select date::text as date, session_source, session_medium, sessions, _loader_run_id from "${s}"."traffic_sources"`);
    const rows = await traffic();
    expect(rows).toHaveLength(90);
    for (const date of days(start, today)) {
      expect(rows.filter((r) => r.date === date).reduce((sum, r) => sum + Number(r.sessions), 0)).toBe(sessionsOf(p.id, date));
    }
    expect(await committedState(loader.id, "traffic_sources")).toMatchObject({ cursor: today });

    // GA4 finishes processing the last two days: their figures grow by half.
    await p.restate(addDays(today, -1), 1.5);
    const second = await triggerAndWait(owner, loader.id);
    // lookback 3: today-3 .. today re-read, four days of each report.
    expect(second).toMatchObject({ status: "completed", rows_loaded: 4 * 9 + 4 });
    const after = await traffic();
    expect(after).toHaveLength(90);
    for (const date of days(start, today)) {
      const dayRows = after.filter((r) => r.date === date);
      expect(dayRows).toHaveLength(9);
      expect(dayRows.reduce((sum, r) => sum + Number(r.sessions), 0)).toBe(sessionsOf(p.id, date, date >= addDays(today, -1) ? 1.5 : 1));
      const expectedRun = date >= addDays(today, -3) ? second.id : first.id;
      expect(dayRows.every((r) => r._loader_run_id === expectedRun)).toBe(true);
    }
    const overview = await query<any>(`select count(*)::int as n from "${s}"."website_overview"`);
    expect(overview[0].n).toBe(10);
  });

  it("D1: a custom report and its quality columns, and a property the key may not read fails with the fix named", async () => {
    const sa = await serviceAccount();
    const p = await property({ viewers: [sa.email], time_zone: TZ, cardinality: 5 });
    const today = todayIn(TZ);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("ga4");
    const config = {
      property_ids: [p.id],
      service_account_json: sa.json,
      start_date: addDays(today, -2),
      custom_reports: [{ name: "sources_by_device", dimensions: ["date", "sessionSource", "deviceCategory"], metrics: ["sessions", "totalUsers"] }],
    };
    const loader = await ga4Loader(owner, sourceId, config, schema, ["sources_by_device"]);
    const run = await triggerAndWait(owner, loader.id);
    // 9 combinations a day, folded to 4 rows and one "(other)" row.
    expect(run).toMatchObject({ status: "completed", rows_loaded: 3 * 5 });
    const rows = await d1Rows(`${schema.toLowerCase()}__sources_by_device`, "date");
    expect(rows).toHaveLength(15);
    expect(rows.filter((r) => r.is_other_row === 1)).toHaveLength(3);
    expect(rows.every((r) => r.data_loss_from_other_row === 1 && r.property_id === p.id)).toBe(true);

    const stranger = await property({ viewers: ["someone@example.com"], time_zone: TZ });
    const update = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: { ...config, property_ids: [stranger.id] } } });
    expect(update.status).toBe(200);
    const denied = await triggerAndWait(owner, loader.id);
    expect(denied).toMatchObject({ status: "failed", streams_failed: 1 });
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after).toMatchObject({ status: "error", status_error: expect.stringContaining("Property access management") });
  });
});
