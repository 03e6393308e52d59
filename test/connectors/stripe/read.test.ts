import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../connectors/kit/contract";
import { API_VERSION, context, readAll, readRequest, records, SMALL_COUNTS, stampOf, stripeConfig, tenant } from "./harness";

const DAY = 86_400;
const CUSTOMER_EVENTS = ["customer.created", "customer.updated", "customer.deleted"];
const PI_EVENTS = [
  "payment_intent.created",
  "payment_intent.amount_capturable_updated",
  "payment_intent.canceled",
  "payment_intent.partially_funded",
  "payment_intent.payment_failed",
  "payment_intent.processing",
  "payment_intent.requires_action",
  "payment_intent.succeeded",
];
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("stripe list phase (first run, full_refresh)", () => {
  it("reads every customer once, newest first, 100 per page after the last id, with the pinned version and the key", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { ctx, nowSeconds } = context();
    const pages = await readAll(ctx, stripeConfig(t), readRequest("customers", "incremental"));
    const truth = (await t.objects("customers")).data;
    const stamp = stampOf(nowSeconds);

    expect(truth).toHaveLength(250);
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 50]);
    // Source field names kept; `updated` added (the read's stamp), nothing else.
    expect(records(pages)).toEqual(truth.map((customer) => ({ ...customer, updated: stamp })));
    expect(pages.map((p) => p.state)).toEqual([{ cursor: stamp }, { cursor: stamp }, { cursor: stamp }]);
    expect(pages.at(-1)!.checkpoint).toMatchObject({ phase: "list", since: null, stamp, page: { done: true, next: null }, tie: null });
    // Checkpoints travel in queue messages: small, plain JSON.
    for (const page of pages) expect(JSON.stringify(page.checkpoint).length).toBeLessThan(300);

    const sent = await t.requests();
    expect(sent.map((r) => [r.method, r.path, r.query])).toEqual([
      ["GET", "/v1/customers", { limit: "100" }],
      ["GET", "/v1/customers", { limit: "100", starting_after: truth[99]!.id }],
      ["GET", "/v1/customers", { limit: "100", starting_after: truth[199]!.id }],
    ]);
    for (const r of sent) {
      expect(r.headers).toMatchObject({ authorization: `Bearer ${t.key}`, "stripe-version": API_VERSION });
      expect(r.headers["stripe-account"]).toBeUndefined();
    }
  });

  it("resumes exactly after a checkpoint's page with the stamp it started with; a finished checkpoint reads nothing", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const first = context({ at: new Date("2030-01-01T00:00:00Z") });
    const pages = await readAll(first.ctx, stripeConfig(t), readRequest("customers", "full_refresh"));
    const truth = (await t.objects("customers")).data;
    await t.clearRequests();

    const later = context({ at: new Date("2030-01-02T00:00:00Z") });
    const resumed = await readAll(later.ctx, stripeConfig(t), readRequest("customers", "full_refresh", null, roundTrip(pages[0]!.checkpoint)));
    expect(records(resumed).map((r) => r.id)).toEqual(truth.slice(100).map((c) => c.id));
    expect(records(resumed).every((r) => r.updated === stampOf(first.nowSeconds))).toBe(true);
    expect((await t.requests()).map((r) => r.query)).toEqual([
      { limit: "100", starting_after: truth[99]!.id },
      { limit: "100", starting_after: truth[199]!.id },
    ]);

    await t.clearRequests();
    expect(await readAll(later.ctx, stripeConfig(t), readRequest("customers", "full_refresh", null, roundTrip(pages.at(-1)!.checkpoint)))).toEqual([]);
    expect(await t.requests()).toEqual([]);
  });

  it("lists subscriptions with status=all, so canceled ones load too", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { ctx } = context();
    const got = records(await readAll(ctx, stripeConfig(t), readRequest("subscriptions", "full_refresh")));
    const truth = (await t.objects("subscriptions")).data;
    expect(got.map((s) => s.id)).toEqual(truth.map((s) => s.id));
    expect(got.some((s) => s.status === "canceled")).toBe(true);
    expect((await t.requests()).every((r) => r.query.status === "all")).toBe(true);
  });

  it("products keep their own `updated`; balance transactions, append-only, get no `updated`", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { ctx } = context();
    const products = records(await readAll(ctx, stripeConfig(t), readRequest("products", "full_refresh")));
    expect(products).toEqual((await t.objects("products")).data);
    expect(products.every((p) => typeof p.updated === "number")).toBe(true);
    const transactions = await readAll(ctx, stripeConfig(t), readRequest("balance_transactions", "incremental"));
    const truth = (await t.objects("balance_transactions")).data;
    expect(records(transactions)).toEqual(truth);
    expect(transactions.at(-1)!.state).toEqual({ cursor: Math.max(...truth.map((b) => b.created as number)) });
  });

  it("reads a connected account with Stripe-Account on every request", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const account = "acct_1ConnectedA";
    await t.seed({ account, counts: { customers: 130 } });
    const { ctx } = context();
    const got = records(await readAll(ctx, stripeConfig(t, { account_id: account }), readRequest("customers", "full_refresh")));
    const truth = (await t.objects("customers", account)).data;
    expect(truth).toHaveLength(130);
    expect(got.map((c) => c.id)).toEqual(truth.map((c) => c.id));
    const sent = await t.requests();
    expect(sent).toHaveLength(2);
    for (const r of sent) expect(r.headers).toMatchObject({ "stripe-account": account, "stripe-version": API_VERSION });
  });

  it("sends start_date as created[gte] and reads only what was created since", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const truth = (await t.objects("charges")).data;
    const startDate = new Date((truth[60]!.created as number) * 1000).toISOString().slice(0, 10);
    const start = Date.parse(`${startDate}T00:00:00Z`) / 1000;
    const { ctx } = context();
    const got = records(await readAll(ctx, stripeConfig(t, { start_date: startDate }), readRequest("charges", "full_refresh")));
    const expected = truth.filter((c) => (c.created as number) >= start);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(truth.length);
    expect(got.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    expect((await t.requests())[0]!.query).toEqual({ limit: "100", "created[gte]": String(start) });
  });
});

describe("stripe events phase (incremental after a committed cursor)", () => {
  it("reads only the object's events since the cursor: updates replace, deletes arrive soft-deleted", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { now } = await t.account();
    const cursor = now - 5;
    const before = (await t.objects("customers")).data.map((c) => c.id as string);
    const change = await t.mutate({ object: "customers", update: before.slice(0, 3), delete: before.slice(3, 5) });
    const { ctx, nowSeconds } = context();
    const pages = await readAll(ctx, stripeConfig(t), readRequest("customers", "incremental", { cursor }));

    const sent = await t.requests();
    expect(sent.map((r) => [r.path, r.query])).toEqual([
      ["/v1/events", { "types[]": CUSTOMER_EVENTS, "created[gte]": String(cursor), limit: "100" }],
    ]);
    expect(sent[0]!.headers).toMatchObject({ authorization: `Bearer ${t.key}`, "stripe-version": API_VERSION });

    const truth = await t.objects("customers");
    const got = records(pages);
    expect(got).toHaveLength(5);
    for (const id of change.updated) {
      const live = truth.data.find((c) => c.id === id)!;
      expect(got.find((r) => r.id === id)).toEqual({ ...live, updated: change.time });
    }
    for (const id of change.deleted) {
      expect(truth.deleted.map((d) => d.id)).toContain(id);
      expect(got.find((r) => r.id === id)).toMatchObject({ id, object: "customer", updated: change.time, _loader_deleted_at: iso(change.time) });
    }
    expect(got.filter((r) => r._loader_deleted_at === undefined).map((r) => r.id).sort()).toEqual([...change.updated].sort());
    expect(pages.at(-1)!.state).toEqual({ cursor: Math.max(change.time, stampOf(nowSeconds)) });
    expect(pages.at(-1)!.checkpoint).toMatchObject({ phase: "events", since: cursor });
  });

  it("keeps only the newest of an object's events within one second, across page boundaries too", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { now } = await t.account();
    // Each new payment records payment_intent.created and payment_intent.succeeded in the same second; only the
    // later one has latest_charge.
    const change = await t.mutate({ object: "payment_intents", create: 60 });
    const { ctx } = context();
    const request = readRequest("payment_intents", "incremental", { cursor: now - 5 });
    const pages = await readAll(ctx, stripeConfig(t), request);
    const truth = new Map((await t.objects("payment_intents")).data.map((pi) => [pi.id, pi]));
    const got = records(pages);
    expect(pages.map((p) => p.records.length)).toEqual([50, 10]);
    // Each page's checkpoint keeps the objects seen up to that page, unchanged by the pages read after it (the
    // engine reports a page while the next one is already being read).
    expect(pages.map((p) => (p.checkpoint.tie as { ids: string[] }).ids.length)).toEqual([50, 60]);
    expect(got.map((r) => r.id).sort()).toEqual([...change.created].sort());
    for (const record of got) {
      expect(record.latest_charge).toEqual(expect.stringMatching(/^ch_/));
      expect(record).toEqual({ ...truth.get(record.id as string), updated: change.time });
    }
    expect((await t.requests()).map((r) => r.query["types[]"])).toEqual([PI_EVENTS, PI_EVENTS]);

    // A page boundary between an intent's two events: the older one, first on the next page, must not load.
    const events = (await t.objects("events")).data.filter((e) => e.created === change.time && PI_EVENTS.includes(e.type));
    const at = events.findIndex((e, i) => e.type === "payment_intent.succeeded" && events[i + 1]?.type === "payment_intent.created" && i > 0);
    const split = events[at]!;
    const intent = split.data.object.id as string;
    expect(events[at + 1]!.data.object.id).toBe(intent);
    const boundary: JsonObject = {
      ...roundTrip(pages[0]!.checkpoint),
      page: { next: { after: split.id }, done: false, cursor: change.time },
      tie: { at: change.time, ids: [intent] },
    };
    await t.clearRequests();
    const resumed = records(await readAll(ctx, stripeConfig(t), { ...request, checkpoint: boundary }));
    expect((await t.requests())[0]!.query).toMatchObject({ starting_after: split.id });
    expect(resumed.map((r) => r.id)).not.toContain(intent);
    // What follows the split: the stale event (dropped), then whole pairs of which one record each loads.
    expect(resumed).toHaveLength((events.length - at - 2) / 2);
  });

  it("deleted subscriptions are cancelled, not removed; deleted products are soft-deleted", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { now } = await t.account();
    const subs = await t.mutate({ object: "subscriptions", delete: 1 });
    const productIds = (await t.objects("products")).data.map((p) => p.id as string);
    const products = await t.mutate({ object: "products", delete: [productIds[0]], update: [productIds[1]] });
    const { ctx } = context();
    const gotSubs = records(await readAll(ctx, stripeConfig(t), readRequest("subscriptions", "incremental", { cursor: now - 5 })));
    expect(gotSubs).toHaveLength(1);
    expect(gotSubs[0]).toMatchObject({ id: subs.deleted[0], status: "canceled", updated: subs.time });
    expect(gotSubs[0]!._loader_deleted_at).toBeUndefined();

    const gotProducts = records(await readAll(ctx, stripeConfig(t), readRequest("products", "incremental", { cursor: now - 5 })));
    expect(gotProducts.map((p) => [p.id, p._loader_deleted_at ?? null]).sort()).toEqual(
      [
        [products.deleted[0], iso(products.time)],
        [products.updated[0], null],
      ].sort(),
    );
    // A product's own `updated` is the change time as well, so the event's `updated` agrees with it.
    expect(gotProducts.find((p) => p.id === products.updated[0])!.updated).toBe(products.time);
  });

  it("skips changes to objects created before start_date", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { now } = await t.account();
    const truth = (await t.objects("customers")).data;
    const startDate = new Date((truth[100]!.created as number) * 1000).toISOString().slice(0, 10);
    const start = Date.parse(`${startDate}T00:00:00Z`) / 1000;
    const recent = truth.find((c) => c.created >= start + DAY)!;
    const old = truth.find((c) => c.created < start)!;
    await t.mutate({ object: "customers", update: [recent.id, old.id] });
    const { ctx } = context();
    const got = records(await readAll(ctx, stripeConfig(t, { start_date: startDate }), readRequest("customers", "incremental", { cursor: now - 5 })));
    expect(got.map((c) => c.id)).toEqual([recent.id]);
  });

  it("falls back to a full read when the cursor is older than the 30-day event retention", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { ctx, nowSeconds } = context();
    const pages = await readAll(ctx, stripeConfig(t), readRequest("customers", "incremental", { cursor: nowSeconds - 31 * DAY }));
    expect(records(pages)).toHaveLength(250);
    expect((await t.requests()).map((r) => r.path)).toEqual(["/v1/customers", "/v1/customers", "/v1/customers"]);
    expect(pages.at(-1)!.state).toEqual({ cursor: stampOf(nowSeconds) });
  });

  it("moves a quiet stream's cursor to the read's stamp, so it does not age out of the event retention", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { now } = await t.account();
    const { ctx, nowSeconds } = context({ at: new Date((now + DAY) * 1000) });
    const pages = await readAll(ctx, stripeConfig(t), readRequest("payouts", "incremental", { cursor: now - 20 * DAY }));
    expect((await t.requests()).map((r) => r.path)).toEqual(["/v1/events"]);
    expect(pages.at(-1)!.state).toEqual({ cursor: stampOf(nowSeconds) });
  });

  it("applies the lookback to the cursor, but never beyond the events still listable", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const { ctx, nowSeconds } = context();
    await readAll(ctx, stripeConfig(t, { lookback_window_days: 2 }), readRequest("refunds", "incremental", { cursor: nowSeconds - 3600 }));
    await readAll(ctx, stripeConfig(t, { lookback_window_days: 30 }), readRequest("refunds", "incremental", { cursor: nowSeconds - 3600 }));
    const sent = await t.requests();
    expect(sent.map((r) => [r.path, r.query["created[gte]"]])).toEqual([
      ["/v1/events", String(nowSeconds - 3600 - 2 * DAY)],
      ["/v1/events", String(nowSeconds - 30 * DAY + 3600)],
    ]);
    expect(sent[0]!.query["types[]"]).toEqual(["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"]);
  });

  it("immutable balance transactions resume from the committed created, inclusive, minus the lookback", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const truth = (await t.objects("balance_transactions")).data;
    const cursor = truth[40]!.created as number;
    const { ctx } = context();
    const pages = await readAll(ctx, stripeConfig(t, { lookback_window_days: 1 }), readRequest("balance_transactions", "incremental", { cursor }));
    expect(records(pages).map((b) => b.id)).toEqual(truth.filter((b) => b.created >= cursor - DAY).map((b) => b.id));
    expect((await t.requests())[0]!.query).toEqual({ "created[gte]": String(cursor - DAY), limit: "100" });
    expect(pages.at(-1)!.state).toEqual({ cursor: truth[0]!.created });
  });
});
