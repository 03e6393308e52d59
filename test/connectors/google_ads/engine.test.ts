/**
 * google_ads end to end: API → trigger → queue → RunTracker → warehouse (PostgreSQL and D1), against the Ads fake
 * through HOST_OVERRIDES, with the engine's own retries (a cut searchStream body is a retryable failure of a chunk).
 */
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { servedLoaderType } from "../../helpers/connector";
import { createActiveLoader, d1Rows, triggerAndWait, uniqueName } from "../../helpers/engine";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { addDays, adsMetric, customer, days, developerToken, serviceAccount, todayIn } from "./harness";

const { query, columnTypes, dropAfterAll } = postgresReader();
const TZ = "Asia/Tokyo";

async function adsLoader(owner: Caller, sourceId: string, config: Record<string, unknown>, schema: string, streams: Array<[string, "incremental" | "full_refresh"]>) {
  return createActiveLoader(owner, { name: "Ads", loader_type: "google_ads", source_id: sourceId, config, target_schema: schema, streams });
}

describe("google_ads → warehouse through the engine", () => {
  it("the Worker has the google_ads reader registered", async () => {
    expect(connectorFor("google_ads")).toBeDefined();
    expect(await servedLoaderType("google_ads")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: exact rows and cost sums; restated conversions in the window are merged in place, older days untouched", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ });
    const today = todayIn(TZ);
    const start = addDays(today, -19);
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("ADS_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const config = { customer_ids: [c.dashed], developer_token: await developerToken(), service_account_json: sa.json, start_date: start };
    const loader = await adsLoader(owner, sourceId, config, schema, [["campaign_performance_report", "incremental"], ["campaign", "full_refresh"]]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0, rows_loaded: 2 * 20 + 2 });
    const report = () => query<any>(`select campaign_id, segments_date::text as date, metrics_cost_micros, metrics_conversions, _loader_run_id from "${s}"."campaign_performance_report"`);
    const rows = await report();
    expect(rows).toHaveLength(40);
    const campaigns = [...new Set(rows.map((r) => r.campaign_id))].sort();
    const expectedCost = campaigns.flatMap((id) => days(start, today).map((d) => adsMetric(id, d, "metrics.cost_micros"))).reduce((a, b) => a + b, 0);
    expect(rows.reduce((sum, r) => sum + Number(r.metrics_cost_micros), 0)).toBe(expectedCost);
    expect(await columnTypes(s, "campaign_performance_report")).toMatchObject({ metrics_cost_micros: "bigint", campaign_id: "text", segments_date: "date" });

    // Conversions attributed late: the last five days' conversions double.
    await c.restate(addDays(today, -4), 2);
    const second = await triggerAndWait(owner, loader.id);
    // The window re-read: today-14 .. today, 15 days of two campaigns, and the two campaigns again.
    expect(second).toMatchObject({ status: "completed", rows_loaded: 2 * 15 + 2 });
    const after = await report();
    expect(after).toHaveLength(40);
    for (const row of after) {
      const base = adsMetric(row.campaign_id, row.date, "metrics.conversions");
      expect(Number(row.metrics_conversions)).toBeCloseTo(row.date >= addDays(today, -4) ? Math.round(base * 2 * 100) / 100 : base, 6);
      expect(row._loader_run_id).toBe(row.date >= addDays(today, -14) ? second.id : first.id);
    }
  });

  it("D1: a searchStream cut mid-body is retried by the engine and every keyword row lands once", async () => {
    const sa = await serviceAccount("ads");
    const c = await customer({ users: [sa.email], time_zone: TZ, batch_rows: 7 });
    const today = todayIn(TZ);
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("ads");
    const config = { customer_ids: [c.id], developer_token: await developerToken(), service_account_json: sa.json, start_date: addDays(today, -4) };
    const loader = await adsLoader(owner, sourceId, config, schema, [["keyword_performance_report", "incremental"]]);
    await c.faults({ cut_after_batches: 3 });
    const run = await triggerAndWait(owner, loader.id);
    // 8 keywords × 5 days.
    expect(run).toMatchObject({ status: "completed", rows_loaded: 40 });
    const rows = await d1Rows(`${schema.toLowerCase()}__keyword_performance_report`, "segments_date");
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => `${r.ad_group_criterion_criterion_id}|${r.segments_date}`)).size).toBe(40);
    expect(rows.reduce((sum, r) => sum + Number(r.metrics_clicks), 0)).toBe(rows.reduce((sum, r) => sum + adsMetric(r.ad_group_criterion_criterion_id, r.segments_date, "metrics.clicks"), 0));
    expect((await c.requests()).filter((r) => r.cut)).toHaveLength(1);
  });
});
