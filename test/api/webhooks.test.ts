/**
 * Workspace webhooks (issue 15 item 5): CRUD with bad input refused, events of real runs delivered signed (the test
 * verifies the signature as a receiver would), a receiver that fails twice then succeeds, retries driven by the cron
 * tick from the D1 outbox (what survives a restart), and giving up after a day.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runSchedulerTick } from "../../src/scheduler/tick";
import { verifySignature } from "../../src/services/webhooks/signature";
import { as, bootstrapWorkspace, createD1Source, createKey, expectError, type Caller } from "../helpers/api";
import { fakeBase } from "../helpers/connector";
import { createRestLoader, fakeControl, restConfig, triggerAndWait, uniqueName } from "../helpers/engine";
import { waitFor } from "../helpers/wait";

const receiverBase = () => fakeBase("webhook-receiver");

async function failNext(name: string, count: number, status = 503) {
  await fetch(`${receiverBase()}/r/${name}/_control/fail`, { method: "POST", body: JSON.stringify({ count, status }) });
}

async function received(name: string): Promise<Array<{ headers: Record<string, string>; body: string; answered: number }>> {
  return (await fetch(`${receiverBase()}/r/${name}/_control/received`)).json() as Promise<any>;
}

async function deliveryRows(webhookId: string) {
  const rows = await env.DB.prepare("select * from webhook_deliveries where webhook_id = ? order by created_at, id").bind(webhookId).all<any>();
  return rows.results;
}

async function createHook(owner: Caller, receiver: string, events: string[]) {
  const res = await as(owner)("/webhooks", { method: "POST", body: { url: `https://hooks.example.com/r/${receiver}`, events, description: "ops" } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; secret: string };
}

describe("webhook CRUD", () => {
  it("creates with a secret shown once, lists, updates, deletes; refuses bad input and members; hides other workspaces", async () => {
    const owner = await bootstrapWorkspace();
    const other = await bootstrapWorkspace("Other");
    const member = await createKey(owner, "member");
    const created = await createHook(owner, uniqueName("crud"), ["run.completed"]);
    expect(created).toMatchObject({ events: ["run.completed"], status: "active", description: "ops", secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/) });
    const row = await env.DB.prepare("select secret_sealed from webhooks where id = ?").bind(created.id).first<{ secret_sealed: string }>();
    expect(row!.secret_sealed).toMatch(/^v1:k1:/);
    expect(row!.secret_sealed).not.toContain(created.secret);

    const got = await as(owner)(`/webhooks/${created.id}`);
    expect(got.json).not.toHaveProperty("secret");
    expect((await as(member)("/webhooks")).json.map((w: any) => w.id)).toEqual([created.id]);
    expect((await as(owner)("/webhooks")).text).not.toContain(created.secret);

    const before = await env.DB.prepare("select count(*) as n from webhooks where workspace_id = ?").bind(owner.workspaceId).first<{ n: number }>();
    for (const body of [
      { url: "ftp://hooks.example.com/x", events: ["run.completed"] },
      { url: "not a url", events: ["run.completed"] },
      { url: "https://hooks.example.com/x", events: [] },
      { url: "https://hooks.example.com/x", events: ["run.exploded"] },
      { url: "https://hooks.example.com/x", events: ["run.completed"], extra: 1 },
    ]) {
      expectError(await as(owner)("/webhooks", { method: "POST", body }), 400, "validation_failed");
    }
    expectError(await as(member)("/webhooks", { method: "POST", body: { url: "https://hooks.example.com/x", events: ["run.failed"] } }), 403, "forbidden");
    expect((await env.DB.prepare("select count(*) as n from webhooks where workspace_id = ?").bind(owner.workspaceId).first<{ n: number }>())!.n).toBe(before!.n);

    const updated = await as(owner)(`/webhooks/${created.id}`, { method: "PUT", body: { events: ["run.failed", "loader.error"], status: "disabled" } });
    expect(updated.json).toMatchObject({ events: ["run.failed", "loader.error"], status: "disabled" });
    expectError(await as(other)(`/webhooks/${created.id}`), 404, "not_found");
    expectError(await as(other)(`/webhooks/${created.id}`, { method: "DELETE" }), 404, "not_found");
    expectError(await as(other)(`/webhooks/${created.id}/deliveries`), 404, "not_found");
    expect((await as(owner)(`/webhooks/${created.id}`, { method: "DELETE" })).json).toEqual({ status: "deleted" });
    expectError(await as(owner)(`/webhooks/${created.id}`), 404, "not_found");
  });
});

describe("webhook delivery", () => {
  it("delivers a run's completion, signed, through a receiver that fails twice, retried by the tick from the outbox", async () => {
    const owner = await bootstrapWorkspace();
    const receiver = uniqueName("rcv");
    const hook = await createHook(owner, receiver, ["run.completed", "run.failed"]);
    await failNext(receiver, 2);
    const tenant = uniqueName("hooked");
    await fakeControl(tenant, "seed", { count: 120 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("hooked"),
    });
    const run = await triggerAndWait(owner, loader.id);
    expect(run.status).toBe("completed");

    // The first attempt goes out as the run ends, and fails.
    const [first] = await waitFor(() => deliveryRows(hook.id).then((rows) => rows.length === 1 && rows[0].attempts === 1 && rows), "the first, failed attempt");
    expect(first).toMatchObject({ status: "pending", event_type: "run.completed", last_status: 503 });
    // The tick sends what is due: nothing before its backoff, the retry after it (failing once more), then the success.
    await runSchedulerTick(env, Date.now() + 10_000);
    expect((await deliveryRows(hook.id))[0].attempts).toBe(1);
    await runSchedulerTick(env, Date.now() + 61_000);
    expect((await deliveryRows(hook.id))[0]).toMatchObject({ attempts: 2, status: "pending", last_status: 503 });
    await runSchedulerTick(env, Date.now() + 400_000);
    const [done] = await deliveryRows(hook.id);
    expect(done).toMatchObject({ attempts: 3, status: "delivered", last_status: 200, last_error: "" });

    const got = await received(receiver);
    expect(got.map((r) => r.answered)).toEqual([503, 503, 200]);
    // The same event, byte for byte, on every attempt; each attempt signed afresh; the receiver verifies it.
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const last = got[2]!;
    expect(last.headers["loaders-event"]).toBe("run.completed");
    expect(last.headers["loaders-delivery"]).toBe(done.id);
    expect(await verifySignature(hook.secret, last.body, last.headers["loaders-signature"]!, new Date())).toBe(true);
    expect(await verifySignature("whsec_wrong", last.body, last.headers["loaders-signature"]!, new Date())).toBe(false);
    expect(await verifySignature(hook.secret, last.body.replace("120", "121"), last.headers["loaders-signature"]!, new Date())).toBe(false);
    const event = JSON.parse(last.body);
    expect(event).toMatchObject({ id: expect.stringMatching(/^evt_/), type: "run.completed", workspace_id: owner.workspaceId, data: { run: { id: run.id, loader_id: loader.id, status: "completed", rows_loaded: 120 } } });

    const log = await as(owner)(`/webhooks/${hook.id}/deliveries`);
    expect(log.json).toEqual([expect.objectContaining({ id: done.id, event_id: event.id, event_type: "run.completed", status: "delivered", attempts: 3, last_status: 200 })]);
  });

  it("sends run.failed and loader.error for a configuration failure, only to the webhooks subscribed", async () => {
    const owner = await bootstrapWorkspace();
    const [errors, completions] = [uniqueName("errs"), uniqueName("done")];
    const errorHook = await createHook(owner, errors, ["run.failed", "loader.error"]);
    const completionHook = await createHook(owner, completions, ["run.completed"]);
    const tenant = uniqueName("hook_fail");
    await fakeControl(tenant, "seed", { count: 10, auth: { type: "bearer", token: "right" } });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }], { type: "bearer", token: "wrong" }), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("hook_fail"),
    });
    expect((await triggerAndWait(owner, loader.id)).status).toBe("failed");
    const got = await waitFor(() => received(errors).then((r) => r.length === 2 && r), "both error events received");
    expect(got.map((r) => JSON.parse(r.body).type).sort()).toEqual(["loader.error", "run.failed"]);
    const loaderError = JSON.parse(got.find((r) => r.headers["loaders-event"] === "loader.error")!.body);
    expect(loaderError.data.loader).toMatchObject({ id: loader.id, status: "error", status_error: expect.stringContaining("401") });
    for (const r of got) expect(await verifySignature(errorHook.secret, r.body, r.headers["loaders-signature"]!, new Date())).toBe(true);
    expect(await received(completions)).toEqual([]);
    expect(await deliveryRows(completionHook.id)).toEqual([]);
  });

  it("gives up a day after the event, and a disabled webhook's pending delivery fails", async () => {
    const owner = await bootstrapWorkspace();
    const receiver = uniqueName("down");
    const hook = await createHook(owner, receiver, ["run.completed"]);
    await failNext(receiver, 1000, 500);
    const tenant = uniqueName("hook_down");
    await fakeControl(tenant, "seed", { count: 5 });
    const sourceId = await createD1Source(owner);
    const loader = await createRestLoader(owner, sourceId, restConfig(tenant, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], {
      target_schema: uniqueName("hook_down"),
    });
    await triggerAndWait(owner, loader.id);
    await waitFor(() => deliveryRows(hook.id).then((rows) => rows[0]?.attempts === 1), "the first attempt");
    await runSchedulerTick(env, Date.now() + 25 * 3600_000);
    expect((await deliveryRows(hook.id))[0]).toMatchObject({ status: "failed", attempts: 2, last_status: 500, next_attempt_at: null });

    await failNext(receiver, 1000, 500);
    await triggerAndWait(owner, loader.id);
    // Both deliveries can carry the same created_at second: find the new one by its state, not its position.
    const rows = await waitFor(
      () => deliveryRows(hook.id).then((found) => found.length === 2 && found.some((row) => row.status === "pending" && row.attempts === 1) && found),
      "the second delivery's first attempt",
    );
    const pending = rows.find((row) => row.status === "pending")!;
    await as(owner)(`/webhooks/${hook.id}`, { method: "PUT", body: { status: "disabled" } });
    await runSchedulerTick(env, Date.now() + 3600_000);
    expect((await deliveryRows(hook.id)).find((row) => row.id === pending.id)).toMatchObject({ status: "failed", last_error: "the webhook is disabled" });
  });
});
