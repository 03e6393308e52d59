import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runSchedulerTick } from "../../src/scheduler/tick";
import { as, bootstrapWorkspace, createD1Source } from "../helpers/api";
import { createRestLoader, fakeControl, restConfig, uniqueName } from "../helpers/engine";

async function scheduledLoader(schedule: string) {
  const owner = await bootstrapWorkspace();
  const tenant = uniqueName("cron");
  await fakeControl(tenant, "seed", { count: 10 });
  const sourceId = await createD1Source(owner);
  const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
    schedule,
    target_schema: uniqueName("cron"),
  });
  return { owner, loader };
}

async function setNextRun(loaderId: string, at: string) {
  await env.DB.prepare("update loaders set next_run_at = ? where id = ?").bind(at, loaderId).run();
}

async function runsOf(loaderId: string) {
  return (await env.DB.prepare("select id, trigger, triggered_by from loader_runs where loader_id = ?").bind(loaderId).all<any>()).results;
}

describe("scheduler", () => {
  it("sets next_run_at from the cron on create", async () => {
    const { loader } = await scheduledLoader("5 10 * * *");
    const row = await env.DB.prepare("select next_run_at from loaders where id = ?").bind(loader.id).first<any>();
    expect(row.next_run_at).toMatch(/T10:05:00Z$/);
    expect(Date.parse(row.next_run_at)).toBeGreaterThan(Date.now());
    expect(Date.parse(row.next_run_at) - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("starts a loader due at 10:05 at the 10:05 tick, not at 10:04, then follows the cron", async () => {
    const { loader } = await scheduledLoader("5 10 * * *");
    await setNextRun(loader.id, "2030-01-01T10:05:00Z");
    const early = await runSchedulerTick(env, Date.parse("2030-01-01T10:04:00Z"));
    expect(early.started).not.toContain(loader.id);
    expect(await runsOf(loader.id)).toHaveLength(0);

    const due = await runSchedulerTick(env, Date.parse("2030-01-01T10:05:00Z"));
    expect(due.started).toContain(loader.id);
    const runs = await runsOf(loader.id);
    expect(runs).toEqual([{ id: expect.any(String), trigger: "schedule", triggered_by: null }]);
    const row = await env.DB.prepare("select next_run_at from loaders where id = ?").bind(loader.id).first<any>();
    expect(row.next_run_at).toBe("2030-01-02T10:05:00Z");
  });

  it("runs missed ticks once, not once per miss", async () => {
    const { loader } = await scheduledLoader("*/5 * * * *");
    await setNextRun(loader.id, "2030-03-01T08:00:00Z");
    const late = await runSchedulerTick(env, Date.parse("2030-03-01T09:02:00Z"));
    expect(late.started.filter((id) => id === loader.id)).toHaveLength(1);
    const row = await env.DB.prepare("select next_run_at from loaders where id = ?").bind(loader.id).first<any>();
    expect(row.next_run_at).toBe("2030-03-01T09:05:00Z");
    expect(await runsOf(loader.id)).toHaveLength(1);
  });

  it("two racing ticks start one run", async () => {
    const { loader } = await scheduledLoader("0 * * * *");
    await setNextRun(loader.id, "2030-05-01T12:00:00Z");
    const at = Date.parse("2030-05-01T12:00:00Z");
    const [a, b] = await Promise.all([runSchedulerTick(env, at), runSchedulerTick(env, at)]);
    expect([...a.started, ...b.started].filter((id) => id === loader.id)).toHaveLength(1);
    expect(await runsOf(loader.id)).toHaveLength(1);
  });

  it("skips paused, error and draft loaders, and loaders with a live run", async () => {
    const { owner, loader } = await scheduledLoader("* * * * *");
    await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { status: "paused" } });
    await setNextRun(loader.id, "2030-06-01T00:00:00Z");
    expect((await runSchedulerTick(env, Date.parse("2030-06-01T00:00:00Z"))).started).not.toContain(loader.id);
    await env.DB.prepare("update loaders set status = 'error', next_run_at = ? where id = ?").bind("2030-06-01T00:00:00Z", loader.id).run();
    expect((await runSchedulerTick(env, Date.parse("2030-06-01T00:00:00Z"))).started).not.toContain(loader.id);

    const live = await scheduledLoader("* * * * *");
    await env.DB.prepare("insert into loader_runs (id, loader_id, workspace_id, status, trigger, created_at) values (?, ?, ?, 'running', 'manual', ?)")
      .bind(crypto.randomUUID(), live.loader.id, live.owner.workspaceId, "2030-06-01T00:00:00Z")
      .run();
    await setNextRun(live.loader.id, "2030-06-01T00:01:00Z");
    const tick = await runSchedulerTick(env, Date.parse("2030-06-01T00:01:00Z"));
    expect(tick.started).not.toContain(live.loader.id);
    expect(tick.skipped).toContain(live.loader.id);
  });
});
