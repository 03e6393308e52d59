/**
 * Stripe end to end: API → trigger → queue → RunTracker → warehouse, against the Stripe fake through
 * HOST_OVERRIDES. Needs `stripeConnector` listed in connectors/registry.ts (the Worker under test uses the real
 * registry); the first test says so plainly when it is not.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectorFor } from "../../../connectors/registry";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { committedState, createLoader, d1Rows, streamOf, triggerAndWait, uniqueName } from "../../helpers/engine";
import { servedLoaderType } from "../../helpers/connector";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { SMALL_COUNTS, type Tenant, tenant } from "./harness";

const DAY = 86_400;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const { query, columnTypes, dropAfterAll } = postgresReader();

async function createStripeLoader(owner: Caller, sourceId: string, t: Tenant, schema: string, streams: Array<[string, "incremental" | "full_refresh"]>) {
  const loader = await createLoader(owner, {
    name: "Stripe",
    loader_type: "stripe",
    source_id: sourceId,
    config: { api_key: t.key },
    target_schema: schema,
    selected_streams: streams.map(([name, sync_mode]) => ({ name, sync_mode })),
    sync_mode: "incremental",
  });
  expect(loader.status).toBe("active");
  return loader;
}

async function committedCursor(loaderId: string, stream: string): Promise<number> {
  return (await committedState(loaderId, stream))!.cursor as number;
}


describe("stripe → warehouse through the engine", () => {
  it("the Worker has the stripe reader registered", async () => {
    expect(connectorFor("stripe"), "add stripeConnector (connectors/stripe/index.ts) to connectors/registry.ts").toBeDefined();
    expect(await servedLoaderType("stripe")).toMatchObject({ reader_available: true });
  });

  it("PostgreSQL: a first full read, then only changes from events — updates in place, deletes soft-deleted", async () => {
    const t = tenant();
    // A clock an hour back, frozen: the whole seed is older than the first run's stamp; moved to the present below.
    const frozen = Math.floor(Date.now() / 1000) - 3600;
    await t.seed({ counts: { ...SMALL_COUNTS, customers: 450 }, now: frozen });
    const owner = await bootstrapWorkspace();
    const sourceId = await createPostgresSource(owner);
    const schema = uniqueName("STRIPE_RAW");
    const s = schema.toLowerCase();
    dropAfterAll(s);
    const loader = await createStripeLoader(owner, sourceId, t, schema, [
      ["customers", "incremental"],
      ["subscriptions", "incremental"],
      ["payment_intents", "incremental"],
      ["balance_transactions", "incremental"],
      ["products", "full_refresh"],
    ]);

    const before = Math.floor(Date.now() / 1000);
    const first = await triggerAndWait(owner, loader.id);
    const after = Math.floor(Date.now() / 1000);
    const truth = {
      customers: (await t.objects("customers")).data,
      subscriptions: (await t.objects("subscriptions")).data,
      payment_intents: (await t.objects("payment_intents")).data,
      balance_transactions: (await t.objects("balance_transactions")).data,
      products: (await t.objects("products")).data,
    };
    const total = Object.values(truth).reduce((sum, list) => sum + list.length, 0);
    expect(first).toMatchObject({ status: "completed", rows_loaded: total, streams_total: 5, streams_failed: 0 });
    expect(streamOf(first, "customers")).toMatchObject({ status: "completed", rows_loaded: 450 });

    const customers = await query<any>(`select * from "${s}"."customers"`);
    expect(customers).toHaveLength(450);
    const stamp = await committedCursor(loader.id, "customers");
    expect(stamp).toBeGreaterThanOrEqual(before - 300);
    expect(stamp).toBeLessThanOrEqual(after - 300);
    const byId = new Map(customers.map((row) => [row.id, row]));
    for (const customer of truth.customers) {
      const row = byId.get(customer.id);
      expect(row).toMatchObject({ object: "customer", email: customer.email, name: customer.name, livemode: false, _loader_run_id: first.id, _loader_deleted_at: null });
      expect(Number(row.created)).toBe(customer.created);
      expect(Number(row.updated)).toBe(stamp);
      expect(row.metadata).toEqual(customer.metadata);
    }
    expect(await columnTypes(s, "customers")).toMatchObject({
      id: "text",
      created: "bigint",
      updated: "bigint",
      metadata: "jsonb",
      delinquent: "boolean",
    });
    expect(await query(`select 1 from "${s}"."subscriptions"`)).toHaveLength(truth.subscriptions.length);
    const transactionsCursor = await committedCursor(loader.id, "balance_transactions");
    expect(transactionsCursor).toBe(truth.balance_transactions[0]!.created);

    // Changes, at the present second: the fake's clock jumps to now, so they are later than the first run's stamp.
    await t.advanceClock(Math.floor(Date.now() / 1000) - frozen);
    await t.clearRequests();
    const ids = truth.customers.map((c) => c.id as string);
    const customerChange = await t.mutate({ object: "customers", update: ids.slice(0, 3), delete: ids.slice(3, 5) });
    const productIds = truth.products.map((p) => p.id as string);
    const productChange = await t.mutate({ object: "products", update: [productIds[1]], delete: [productIds[0]] });
    const payments = await t.mutate({ object: "payment_intents", create: 5 });
    await t.mutate({ object: "balance_transactions", create: 2 });

    const second = await triggerAndWait(owner, loader.id);
    expect(second).toMatchObject({ status: "completed", streams_failed: 0 });
    const sent = await t.requests();
    const customerRequests = sent.filter((r) => r.path === "/v1/customers" || (r.path === "/v1/events" && String(r.query["types[]"]).startsWith("customer.created")));
    expect(customerRequests.map((r) => [r.path, r.query])).toEqual([
      ["/v1/events", { "types[]": ["customer.created", "customer.updated", "customer.deleted"], "created[gte]": String(stamp), limit: "100" }],
    ]);

    const live = new Map((await t.objects("customers")).data.map((c) => [c.id, c]));
    expect(streamOf(second, "customers")).toMatchObject({ status: "completed", rows_loaded: 5 });
    const after2 = await query<any>(`select * from "${s}"."customers"`);
    expect(after2).toHaveLength(450);
    const row = (id: string) => after2.find((r) => r.id === id);
    for (const id of customerChange.updated) {
      expect(row(id)).toMatchObject({ email: live.get(id)!.email, _loader_run_id: second.id, _loader_deleted_at: null });
      expect(Number(row(id).updated)).toBe(customerChange.time);
    }
    for (const id of customerChange.deleted) {
      expect(live.has(id)).toBe(false);
      expect(row(id)._loader_deleted_at?.toISOString().replace(".000Z", "Z")).toBe(iso(customerChange.time));
      expect(row(id).email).toBe(byId.get(id).email);
    }
    expect(after2.filter((r) => r._loader_run_id === first.id)).toHaveLength(445);

    // Deleting a customer cancels its subscriptions: they change in place (status), and stay.
    const subscriptions = await t.objects("subscriptions");
    const cancelled = subscriptions.data.filter((x) => x.ended_at === customerChange.time);
    const subRows = await query<any>(`select id, status, updated, _loader_deleted_at from "${s}"."subscriptions"`);
    expect(subRows).toHaveLength(subscriptions.data.length);
    expect(streamOf(second, "subscriptions").rows_loaded).toBe(cancelled.length);
    for (const sub of cancelled) expect(subRows.find((r) => r.id === sub.id)).toMatchObject({ status: "canceled", _loader_deleted_at: null });

    const intents = await query<any>(`select id, status, latest_charge from "${s}"."payment_intents"`);
    expect(intents).toHaveLength(truth.payment_intents.length + 5);
    expect(streamOf(second, "payment_intents").rows_loaded).toBe(5);
    for (const id of payments.created) {
      const pi = (await t.objects("payment_intents")).data.find((x) => x.id === id)!;
      expect(intents.find((r) => r.id === id)).toEqual({ id, status: pi.status, latest_charge: pi.latest_charge });
    }

    expect(await query(`select 1 from "${s}"."balance_transactions"`)).toHaveLength((await t.objects("balance_transactions")).data.length);
    const products = await query<any>(`select id, description from "${s}"."products"`);
    const liveProducts = (await t.objects("products")).data;
    expect(products.map((p) => p.id).sort()).toEqual(liveProducts.map((p) => p.id).sort());
    expect(products.find((p) => p.id === productChange.updated[0]).description).toBe(liveProducts.find((p) => p.id === productChange.updated[0])!.description);
  });

  it("D1: exact full_refresh tables, and a stale cursor (past the 30-day event retention) reads the object in full again", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = uniqueName("stripe");
    const loader = await createStripeLoader(owner, sourceId, t, schema, [
      ["charges", "full_refresh"],
      ["invoices", "full_refresh"],
      ["refunds", "incremental"],
      ["payouts", "full_refresh"],
      ["prices", "full_refresh"],
      ["events", "incremental"],
      ["customers", "incremental"],
    ]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", streams_failed: 0 });
    const { now } = await t.account();
    for (const name of ["charges", "invoices", "refunds", "payouts", "prices", "customers"]) {
      const truth = (await t.objects(name)).data;
      const rows = await d1Rows(`${schema.toLowerCase()}__${name}`);
      expect(rows.map((r) => r.id).sort(), name).toEqual(truth.map((r) => r.id).sort());
      expect(streamOf(first, name).rows_loaded, name).toBe(truth.length);
    }
    const events = (await t.objects("events")).data.filter((e) => e.created >= now - 30 * DAY);
    expect(await d1Rows(`${schema.toLowerCase()}__events`)).toHaveLength(events.length);
    const charges = await d1Rows(`${schema.toLowerCase()}__charges`);
    const charge = (await t.objects("charges")).data[7]!;
    expect(charges.find((r) => r.id === charge.id)).toMatchObject({ amount: charge.amount, currency: charge.currency, status: charge.status, paid: charge.paid ? 1 : 0, created: charge.created });

    // The loader did not run for 31 days: its customers cursor is older than any event Stripe still lists.
    const stale = Math.floor(Date.now() / 1000) - 31 * DAY;
    await env.DB.prepare("update stream_states set state = ? where loader_id = ? and stream = 'customers'").bind(JSON.stringify({ cursor: stale }), loader.id).run();
    await t.clearRequests();
    const second = await triggerAndWait(owner, loader.id);
    expect(streamOf(second, "customers")).toMatchObject({ status: "completed", rows_loaded: 250 });
    const customerPaths = (await t.requests()).filter((r) => r.path === "/v1/customers" || String(r.query["types[]"]).startsWith("customer.")).map((r) => r.path);
    expect(customerPaths).toEqual(["/v1/customers", "/v1/customers", "/v1/customers"]);
    expect(await committedCursor(loader.id, "customers")).toBeGreaterThan(stale + 30 * DAY);
    expect(await d1Rows(`${schema.toLowerCase()}__customers`)).toHaveLength(250);
  });
});
