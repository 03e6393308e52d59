/**
 * A run uses one snapshot of its loader from start to end (issue 16 item 1), through the engine into the real
 * PostgreSQL warehouse: a PUT during a full_refresh run that moves the target schema, points the config at other
 * data and renames the stream selection changes nothing about the run; it applies from the next run.
 */
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, triggerAndWait, uniqueName, waitForRun } from "../helpers/engine";
import { createPostgresSource, postgresReader } from "../helpers/postgres";

const { query, dropAfterAll } = postgresReader();

async function tablesOf(schema: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1 order by 1", [schema]);
  return rows.map((r) => r.table_name);
}

describe("a PUT during a run", () => {
  it("applies from the next run: the live run's table lands complete in the old schema, staging swapped", async () => {
    const owner = await bootstrapWorkspace();
    const [tenant, otherTenant] = [uniqueName("snap"), uniqueName("snap_other")];
    await fakeControl(tenant, "seed", { count: 1500 });
    await fakeControl(otherTenant, "seed", { count: 300 });
    const sourceId = await createPostgresSource(owner);
    const [oldSchema, newSchema] = [uniqueName("snap_old").toLowerCase(), uniqueName("snap_new").toLowerCase()];
    dropAfterAll(oldSchema);
    dropAfterAll(newSchema);
    const streams = [{ name: "items", path: "/cursor/items" }, { name: "others", path: "/cursor/items" }];
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, streams), [{ name: "items", sync_mode: "full_refresh" }], { target_schema: oldSchema });

    // Slow pages keep the run live across several chunks while the PUT lands.
    await fakeControl(tenant, "faults", { slow_ms: 60 });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await waitForRun(owner, loader.id, run.id, (r) => r.status === "running" && r.rows_loaded > 0);
    const put = await as(owner)(`/loaders/${loader.id}`, {
      method: "PUT",
      body: { target_schema: newSchema, config: { base_url: `https://api.example.com/t/${otherTenant}` }, selected_streams: [{ name: "others", sync_mode: "full_refresh" }] },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json).toMatchObject({ applies_from: "next_run", live_run_id: run.id, target_schema: newSchema });
    await fakeControl(tenant, "faults", {});

    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 1500, streams: [{ name: "items", status: "completed", rows_loaded: 1500 }] });
    const [counts] = await query<{ n: string; distinct_ids: string }>(`select count(*) as n, count(distinct id) as distinct_ids from "${oldSchema}"."items"`);
    expect(counts).toEqual({ n: "1500", distinct_ids: "1500" });
    // Swapped in: the old schema holds the table and no staging table; nothing was written to the new schema.
    expect(await tablesOf(oldSchema)).toEqual(["items"]);
    expect(await tablesOf(newSchema)).toEqual([]);

    // The next run reads the new settings.
    const next = await triggerAndWait(owner, loader.id);
    expect(next).toMatchObject({ status: "completed", rows_loaded: 300, streams: [{ name: "others", status: "completed" }] });
    expect(await tablesOf(newSchema)).toEqual(["others"]);
    expect(await tablesOf(oldSchema)).toEqual(["items"]);
    const [others] = await query<{ n: string }>(`select count(*) as n from "${newSchema}"."others"`);
    expect(others!.n).toBe("300");
  });

  it("a run failing on the old credentials after a PUT fixed them does not put the loader in error", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("snap_fix");
    await fakeControl(tenant, "seed", { count: 20, auth: { type: "bearer", token: "right" } });
    // The refusal takes a while to arrive: the fix lands while the run still holds the old token.
    await fakeControl(tenant, "faults", { slow_ms: 1500 });
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("snap_fix").toLowerCase();
    dropAfterAll(schema);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }], { type: "bearer", token: "wrong" }), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: schema,
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    await waitForRun(owner, loader.id, run.id, (r) => r.status === "running");
    const put = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { config: { auth: { type: "bearer", token: "right" } } } });
    expect(put.json).toMatchObject({ applies_from: "next_run", status: "active" });
    const failed = await waitForRun(owner, loader.id, run.id);
    expect(failed.status).toBe("failed");
    expect(failed.streams[0].error_message).toContain("401");
    expect((await as(owner)(`/loaders/${loader.id}`)).json).toMatchObject({ status: "active", status_error: "" });
    await fakeControl(tenant, "faults", {});
    expect(await triggerAndWait(owner, loader.id)).toMatchObject({ status: "completed", rows_loaded: 20 });
  });

  it("a PUT with no live run says it applies now", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(uniqueName("snap_idle"), [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }]);
    const put = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { name: "Renamed" } });
    expect(put.json).toMatchObject({ name: "Renamed", applies_from: "now", live_run_id: null });
  });
});
