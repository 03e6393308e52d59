/**
 * Leases and the watchdog (issue 16 item 3): a chunk whose consumer dies is re-enqueued from the stream's
 * checkpoint once its lease runs out without a heartbeat, or once its message is overdue, within the lease plus a
 * watchdog interval (the tests run with LEASE_SECONDS=6 and WATCHDOG_SECONDS=1, vitest.config.ts). The alarm fires
 * on its own here: no test calls it.
 */
import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import type { RunTracker } from "../../src/engine/run-tracker";
import worker from "../../src/index";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, d1Rows, fakeControl, fakeRequests, restConfig, uniqueName, waitForRun } from "../helpers/engine";
import { waitFor } from "../helpers/wait";

const COUNT = 2000;
/** LEASE_SECONDS in the tests (vitest.config.ts), and how long before the kill the dead delivery claimed or was due. */
const LEASE_MS = 6_000;
const AGO = 4_000;

async function keylessRun() {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("lease");
  await fakeControl(tenant, "seed", { count: COUNT });
  const sourceId = await createD1Source(owner);
  const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "events", path: "/cursor/items", primary_key: [] }]), [{ name: "events", sync_mode: "full_refresh" }], {
    target_schema: uniqueName("lease"),
  });
  await fakeControl(tenant, "faults", { slow_ms: 60 });
  const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
  const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
  const view = () => runInDurableObject(stub, (instance: RunTracker) => instance.snapshot());
  return { owner, tenant, loader, run, stub, view, table: `${String(loader.target_schema).toLowerCase()}__events` };
}

/** The stream's chunk moves on to one whose delivery `kill` describes; the consumer working now becomes stale and stops. */
async function killChunk(stub: DurableObjectStub<RunTracker>, kill: "claimed_then_died" | "message_lost") {
  return runInDurableObject(stub, (_instance: RunTracker, state) => {
    const sql = state.storage.sql;
    const before = sql.exec<{ chunk: number; checkpoint: string; pages: number }>("SELECT chunk, checkpoint, pages FROM streams").one();
    // Each death is dated AGO ms back, so what the watchdog waits out (the rest of the lease, or a lease past the
    // message's due time) is LEASE_SECONDS less AGO: the same check, without sitting through a whole lease.
    if (kill === "claimed_then_died") {
      // A delivery claimed the next chunk (taking a fresh lease) and its consumer died before doing anything.
      sql.exec("UPDATE streams SET chunk = chunk + 1, lease_token = 'ghost', lease_delivery = 'ghost-delivery', lease_until = ?, due_at = 0", Date.now() + LEASE_MS - AGO);
    } else {
      // The next chunk's message was sent and is gone (acked without work, or lost with the local queue).
      sql.exec("UPDATE streams SET chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = ?", Date.now() - AGO);
    }
    return before;
  });
}

describe("leases: a chunk whose consumer dies is resumed from its checkpoint", () => {
  for (const kill of ["claimed_then_died", "message_lost"] as const) {
    it(`${kill.replaceAll("_", " ")}: the watchdog re-enqueues the stream within the lease, with exact rows`, async () => {
      const { owner, tenant, loader, run, stub, view, table } = await keylessRun();
      await waitFor(async () => (await view()).streams[0]!.pages >= 8, "two reports");
      const before = await killChunk(stub, kill);
      const killedAt = Date.now();
      await fakeControl(tenant, "faults", {});
      // Not before the dead delivery's lease (or the lost message's lease past its due time) ran out; after that,
      // bounded by a watchdog interval (1 s), with room for a loaded machine.
      const restarted = await waitFor(async () => ((await view()).streams[0]!.restarts === 1 ? Date.now() : false), "watchdog restart", 20_000);
      expect(restarted - killedAt).toBeGreaterThanOrEqual(LEASE_MS - AGO - 500);
      expect(restarted - killedAt).toBeLessThan(20_000);
      const done = await waitForRun(owner, loader.id, run.id);
      expect(done).toMatchObject({ status: "completed", rows_loaded: COUNT });
      const rows = await d1Rows(table);
      expect(rows).toHaveLength(COUNT);
      expect(new Set(rows.map((r) => r.id)).size).toBe(COUNT);
      const after = await view();
      expect(after.streams[0]).toMatchObject({ status: "completed", restarts: 1 });
      // Resumed from the checkpoint, not from the start: the first page was fetched once, and the page after the
      // checkpoint was asked for again only by the resumed chunk.
      const log = await fakeRequests(tenant);
      expect(log.filter((r) => r.query.after === undefined)).toHaveLength(1);
      expect(before.pages).toBeGreaterThanOrEqual(8);
    });
  }

  it("after a restart that lost the alarm and the queued message, the cron tick revives the watchdog", async () => {
    const { owner, tenant, loader, run, stub, view, table } = await keylessRun();
    await waitFor(async () => (await view()).streams[0]!.pages >= 4, "a report");
    // What a local restart leaves: the tracker's state on disk, no alarm (wrangler dev does not keep them), and the
    // in-memory queue's messages gone.
    await runInDurableObject(stub, async (_instance: RunTracker, state) => {
      await state.storage.deleteAlarm();
      state.storage.sql.exec("UPDATE streams SET chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = ?", Date.now() - 60_000);
    });
    await fakeControl(tenant, "faults", {});
    expect(await runInDurableObject(stub, (_i: RunTracker, state) => state.storage.getAlarm())).toBeNull();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: COUNT });
    const rows = await d1Rows(table);
    expect(rows).toHaveLength(COUNT);
    expect(new Set(rows.map((r) => r.id)).size).toBe(COUNT);
    expect((await view()).streams[0]).toMatchObject({ restarts: 1 });
  });

  it("a live chunk keeps its lease by heartbeat even when a page takes longer than the lease", async () => {
    const owner = await bootstrapWorkspace();
    const tenant = uniqueName("beat");
    await fakeControl(tenant, "seed", { count: 100 });
    // The one page takes 8 s, longer than the 6 s lease: only the heartbeat keeps the chunk's lease alive.
    await fakeControl(tenant, "faults", { slow_ms: 8_000 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("beat"),
    });
    const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
    const done = await waitForRun(owner, loader.id, run.id);
    expect(done).toMatchObject({ status: "completed", rows_loaded: 100 });
    const stub = runTracker(env, run.id) as unknown as DurableObjectStub<RunTracker>;
    const view = await runInDurableObject(stub, (i: RunTracker) => i.snapshot());
    expect(view.streams[0]).toMatchObject({ restarts: 0 });
    // No restart, so the page was asked for once.
    expect(await fakeRequests(tenant)).toHaveLength(1);
  });
});
