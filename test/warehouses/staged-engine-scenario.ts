/**
 * End to end through the engine for a REST warehouse (Snowflake, BigQuery, Databricks), written once: API → trigger
 * → queue → RunTracker → adapter → fake warehouse. A rest_api loader (fake REST API) and a Stripe loader (Stripe fake)
 * load exact rows; incremental runs merge in place; full_refresh swaps (the old table readable until the swap); every
 * queue message delivered twice and a consumer cut off mid-chunk leave the tables exact, with no statement or job run
 * twice; two loaders writing one table add columns and widen a conflicting one; a bad key fails the run with a
 * message that says what to fix. The warehouse side is read straight from the fake's DuckDB.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runTracker } from "../../src/engine/dispatch";
import { extractChunk } from "../../src/engine/extract-chunk";
import type { RunTracker } from "../../src/engine/run-tracker";
import { as, bootstrapWorkspace, type Caller } from "../helpers/api";
import { createLoader, createRestLoader, fakeControl, fakeItems, forgetUnreportedPages, restConfig, triggerAndWait, uniqueName, waitForRun } from "../helpers/engine";
import { SMALL_COUNTS, tenant as stripeTenant } from "../connectors/stripe/harness";
import { type StagedUnderTest, rsaKeyPair } from "./staged-warehouses";

async function trackerView(runId: string) {
  return runInDurableObject(runTracker(env, runId) as unknown as DurableObjectStub<RunTracker>, (instance: RunTracker) => instance.snapshot());
}

async function createSource(owner: Caller, wh: StagedUnderTest, config = wh.config): Promise<string> {
  const res = await as(owner)("/sources", { method: "POST", body: { name: `${wh.type} warehouse`, source_type: wh.type, config } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id;
}

const strip = (rows: any[]) => rows.map(({ _loader_run_id, _loader_synced_at, _loader_batch_id, ...rest }) => rest);

/** What a statement or job log says ran more than once (the same idempotency key executed twice). */
function executedTwice(type: StagedUnderTest["type"], log: any[]): string[] {
  const seen = new Map<string, number>();
  for (const entry of log) {
    const key = type === "snowflake" ? (entry.executed ? entry.requestId : null) : type === "bigquery" ? (entry.call?.startsWith("jobs.insert") && entry.status === 200 ? entry.jobId : null) : null;
    if (key) seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** `event: x` / `data: {...}` blocks of a text/event-stream body. */
function sseEvents(text: string): Array<{ event: string; data: any }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
      return { event, data: JSON.parse(data) };
    });
}

export function engineScenario(label: string, make: () => Promise<StagedUnderTest>) {
  describe(`${label} through the engine`, () => {
    it("the API's connection test (SSE) runs network, authentication, authorization and query against the warehouse", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      if (wh.type === "bigquery") await wh.adapter().prepareStream({ schema: "loaders_default", stream: "x", sync_mode: "incremental", primary_key: ["id"], cursor_field: null, run_id: "setup" });
      const res = await as(owner)("/sources/test", { method: "POST", body: { source_type: wh.type, config: wh.config } });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events = sseEvents(res.text);
      expect(events.map((e) => [e.event, e.data.step, e.data.status])).toEqual([
        ["step", "network", "success"],
        ["step", "authentication", "success"],
        ["step", "authorization", "success"],
        ["step", "query", "success"],
        ["result", undefined, undefined],
      ]);
      expect(events.at(-1)?.data).toEqual({ success: true, message: "connection succeeded" });
      const bad = sseEvents((await as(owner)("/sources/test", { method: "POST", body: { source_type: wh.type, config: await badCredentials(wh) } })).text);
      expect(bad.find((e) => e.data.status === "failed")).toMatchObject({ data: { step: "authentication" } });
      if (wh.type === "snowflake") {
        const { private_key: _key, ...rest } = wh.config;
        const refused = await as(owner)("/sources", { method: "POST", body: { name: "pw", source_type: "snowflake", config: { ...rest, password: "hunter2" } } });
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.json)).toContain("does not accept passwords");
      }
    });

    it("rest_api: exact rows and types, incremental merged in place, full_refresh swapped with the old table readable until then", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      const rest = uniqueName("whrest");
      await fakeControl(rest, "seed", { count: 650 });
      const sourceId = await createSource(owner, wh);
      const schema = uniqueName("CRM_RAW");
      const loader = await createRestLoader(
        owner,
        sourceId,
        restConfig(rest, [
          { name: "items", path: "/cursor/items", incremental: true },
          { name: "itemSnapshot", path: "/cursor/items" },
        ]),
        [
          { name: "items", sync_mode: "incremental" },
          { name: "itemSnapshot", sync_mode: "full_refresh" },
        ],
        { target_schema: schema },
      );
      const first = await triggerAndWait(owner, loader.id);
      expect(first, JSON.stringify(first.streams)).toMatchObject({ status: "completed", rows_loaded: 1300, streams_failed: 0 });
      const items = await fakeItems(rest);
      const rows = await wh.rows(schema, "items", "id");
      expect(rows).toHaveLength(650);
      const item42 = items.find((i) => i.id === 42);
      expect(rows.find((r) => r.id === 42)).toMatchObject({ name: item42.name, status: item42.status, amount: item42.amount, owner: item42.owner, _loader_run_id: first.id, _loader_deleted_at: null });
      expect(await wh.columns(schema, "items")).toMatchObject({ id: "integer", name: "string", amount: "number", _loader_synced_at: "timestamp" });
      expect(await wh.rows(schema, "itemSnapshot", "id")).toHaveLength(650);

      await fakeControl(rest, "touch", { ids: [42, 43] });
      const second = await triggerAndWait(owner, loader.id);
      expect(second.status).toBe("completed");
      const after = await wh.rows(schema, "items", "id");
      expect(after).toHaveLength(650);
      expect(after.find((r) => r.id === 42)).toMatchObject({ name: "Item 42 (rev 1)", _loader_run_id: second.id });
      expect(after.find((r) => r.id === 44)).toMatchObject({ _loader_run_id: first.id });

      // full_refresh: while the third run loads the new snapshot aside, readers still see the previous one.
      await fakeControl(rest, "seed", { count: 900 });
      await fakeControl(rest, "faults", { slow_ms: 100 });
      const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
      await waitForRun(owner, loader.id, run.id, (r) => r.streams.some((s: any) => s.name === "itemSnapshot" && s.rows_loaded > 0 && s.status !== "completed"));
      expect(await wh.rows(schema, "itemSnapshot", "id")).toHaveLength(650);
      await fakeControl(rest, "faults", {});
      const third = await waitForRun(owner, loader.id, run.id);
      expect(third.status).toBe("completed");
      expect(await wh.rows(schema, "itemSnapshot", "id")).toHaveLength(900);
      expect(await wh.tables(schema)).toEqual(["item_snapshot", "items"]);
    });

    it("stripe: a full read then changes from events, exact rows, deletions soft-deleted", async () => {
      const wh = await make();
      const t = stripeTenant();
      const frozen = Math.floor(Date.now() / 1000) - 3600;
      await t.seed({ counts: { ...SMALL_COUNTS, customers: 150 }, now: frozen });
      const owner = await bootstrapWorkspace();
      const sourceId = await createSource(owner, wh);
      const schema = uniqueName("STRIPE_RAW");
      const loader = await createLoader(owner, {
        name: "Stripe",
        loader_type: "stripe",
        source_id: sourceId,
        config: { api_key: t.key },
        target_schema: schema,
        selected_streams: [
          { name: "customers", sync_mode: "incremental" },
          { name: "products", sync_mode: "full_refresh" },
        ],
        sync_mode: "incremental",
      });
      const first = await triggerAndWait(owner, loader.id);
      expect(first, JSON.stringify(first.streams)).toMatchObject({ status: "completed", streams_failed: 0 });
      const customers = (await t.objects("customers")).data;
      const rows = await wh.rows(schema, "customers", "id");
      expect(rows).toHaveLength(150);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const customer of customers.slice(0, 20)) {
        expect(byId.get(customer.id)).toMatchObject({ email: customer.email, name: customer.name, created: customer.created, _loader_deleted_at: null });
      }
      expect(await wh.rows(schema, "products", "id")).toHaveLength((await t.objects("products")).data.length);

      await t.advanceClock(Math.floor(Date.now() / 1000) - frozen);
      const ids = customers.map((c) => c.id as string);
      const change = await t.mutate({ object: "customers", update: ids.slice(0, 2), delete: ids.slice(2, 4) });
      const second = await triggerAndWait(owner, loader.id);
      expect(second.status).toBe("completed");
      const after = new Map((await wh.rows(schema, "customers", "id")).map((r) => [r.id, r]));
      expect(after.size).toBe(150);
      for (const id of change.deleted) {
        expect(after.get(id)?._loader_deleted_at).toBe(new Date(change.time * 1000).toISOString());
        expect(after.get(id)?.email).toBe(byId.get(id)?.email);
      }
      for (const id of change.updated) expect(after.get(id)).toMatchObject({ _loader_run_id: second.id, _loader_deleted_at: null });
    });

    it("every queue message delivered twice → identical tables, and no statement or job executed twice", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      const rest = uniqueName("whdup");
      await fakeControl(rest, "seed", { count: 2500 });
      const sourceId = await createSource(owner, wh);
      const schema = uniqueName("raw");
      const loader = await createRestLoader(owner, sourceId, restConfig(rest, [{ name: "items", path: "/cursor/items", incremental: true }]), [{ name: "items", sync_mode: "incremental" }], { target_schema: schema });
      const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
      const duplicated = new Set<number>();
      const duplicates: Promise<unknown>[] = [];
      for (;;) {
        const view = await trackerView(run.id);
        const stream = view.streams[0];
        if (stream && !duplicated.has(stream.chunk)) {
          duplicated.add(stream.chunk);
          const message = { kind: "extract" as const, runId: run.id, loaderId: loader.id, workspaceId: owner.workspaceId, stream: "items", chunk: stream.chunk };
          duplicates.push(extractChunk(env, message, { id: `duplicate-${stream.chunk}`, attempts: 1 }, { maxPages: 4, maxMilliseconds: 60_000 }));
        }
        if (view.run?.status !== "running") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await Promise.all(duplicates);
      const done = await waitForRun(owner, loader.id, run.id);
      expect(done).toMatchObject({ status: "completed", rows_loaded: 2500 });
      const rows = await wh.rows(schema, "items", "id");
      expect(rows).toHaveLength(2500);
      expect(new Set(rows.map((r) => r.id)).size).toBe(2500);
      const items = (await fakeItems(rest)).sort((a, b) => a.id - b.id);
      expect(strip(rows).map((r) => [r.id, r.name, r.amount])).toEqual(items.map((i) => [i.id, i.name, i.amount]));
      expect(executedTwice(wh.type, await wh.log())).toEqual([]);
    });

    it("a consumer cut off mid-chunk (between stage and commit) → the redelivery restages and commits: no loss, no duplicate", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      const rest = uniqueName("whkill");
      await fakeControl(rest, "seed", { count: 1500 });
      await fakeControl(rest, "faults", { slow_ms: 60 });
      const sourceId = await createSource(owner, wh);
      const schema = uniqueName("raw");
      const loader = await createRestLoader(owner, sourceId, restConfig(rest, [{ name: "events", path: "/cursor/items", primary_key: [] }]), [{ name: "events", sync_mode: "full_refresh" }], { target_schema: schema });
      const run = (await as(owner)(`/loaders/${loader.id}/trigger`, { method: "POST" })).json;
      // Back to the start of the stream, as if the consumer died after staging groups it never committed or reported.
      await forgetUnreportedPages(owner, loader.id, run.id, "events", 2);
      await fakeControl(rest, "faults", {});
      const done = await waitForRun(owner, loader.id, run.id);
      expect(done).toMatchObject({ status: "completed", rows_loaded: 1500 });
      const rows = await wh.rows(schema, "events", "id");
      expect(rows).toHaveLength(1500);
      expect(new Set(rows.map((r) => r.id)).size).toBe(1500);
      expect(executedTwice(wh.type, await wh.log())).toEqual([]);
    });

    it("two loaders into one table: new fields add columns and a conflicting key type widens, keeping every value", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      const rest = uniqueName("whwide");
      await fakeControl(rest, "seed", { count: 120 });
      const t = stripeTenant();
      await t.seed({ counts: { ...SMALL_COUNTS, customers: 30 }, now: Math.floor(Date.now() / 1000) - 3600 });
      const sourceId = await createSource(owner, wh);
      const schema = uniqueName("mixed");
      const restLoader = await createRestLoader(owner, sourceId, restConfig(rest, [{ name: "customers", path: "/cursor/items" }]), [{ name: "customers", sync_mode: "full_refresh" }], { target_schema: schema });
      expect((await triggerAndWait(owner, restLoader.id)).status).toBe("completed");
      expect((await wh.columns(schema, "customers"))?.id).toBe("integer");
      const stripeLoader = await createLoader(owner, {
        name: "Stripe",
        loader_type: "stripe",
        source_id: sourceId,
        config: { api_key: t.key },
        target_schema: schema,
        selected_streams: [{ name: "customers", sync_mode: "incremental" }],
        sync_mode: "incremental",
      });
      const run = await triggerAndWait(owner, stripeLoader.id);
      expect(run, JSON.stringify(run.streams)).toMatchObject({ status: "completed" });
      const columns = await wh.columns(schema, "customers");
      expect(columns).toMatchObject({ id: "string", name: "string", email: "string", amount: "number" });
      const rows = await wh.rows(schema, "customers", "id");
      expect(rows).toHaveLength(150);
      expect(rows.filter((r) => /^\d+$/.test(String(r.id)))).toHaveLength(120);
      expect(rows.find((r) => r.id === "42")).toMatchObject({ amount: (await fakeItems(rest)).find((i) => i.id === 42).amount });
    });

    it("a bad key → the run fails with a message that says what to fix", async () => {
      const wh = await make();
      const owner = await bootstrapWorkspace();
      const rest = uniqueName("whbad");
      await fakeControl(rest, "seed", { count: 10 });
      const sourceId = await createSource(owner, wh, await badCredentials(wh));
      const loader = await createRestLoader(owner, sourceId, restConfig(rest, [{ name: "items", path: "/cursor/items" }]), [{ name: "items", sync_mode: "full_refresh" }], { target_schema: uniqueName("raw") });
      const done = await triggerAndWait(owner, loader.id);
      expect(done.status).toBe("failed");
      const message = done.streams[0].error_message as string;
      expect(message).toMatch(FIX_HINT[wh.type]);
      expect(message).not.toContain("PRIVATE KEY");
    });
  });
}

const FIX_HINT: Record<StagedUnderTest["type"], RegExp> = {
  snowflake: /RSA_PUBLIC_KEY is the public half of private_key/,
  bigquery: /invalid_grant/,
  databricks: /check the token/,
};

/** The config with a credential the warehouse does not know: a revoked token, or a valid RSA key never registered. */
async function badCredentials(wh: StagedUnderTest): Promise<Record<string, unknown>> {
  if (wh.type === "databricks") return { ...wh.config, token: "dapi-revoked-token" };
  const stranger = (await rsaKeyPair()).privatePem;
  if (wh.type === "snowflake") return { ...wh.config, private_key: stranger };
  const key = JSON.parse(String(wh.config.service_account_json)) as Record<string, unknown>;
  return { ...wh.config, service_account_json: JSON.stringify({ ...key, private_key: stranger }) };
}
