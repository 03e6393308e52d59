/**
 * The Stripe fake against the vendor's own client (`stripe` on npm) and against plain fetch: every list pages
 * completely through the client, incremental reads see exactly what changed, deletions and faults look the way
 * the API shows them, and the wire details (envelopes, error bodies, headers) are asserted directly.
 */
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startStripeFake } from "../fakes/stripe/server";
import type { LoggedRequest } from "../fakes/stripe/tenants";
import { type Control, controlClient } from "../helpers/fake-control";

let fake: RunningFake;
let base: string;

beforeAll(async () => {
  fake = await startStripeFake();
  base = `http://127.0.0.1:${fake.port}`;
});

afterAll(async () => {
  await fake.close();
});

function client(tenant: string, config: Stripe.StripeConfig = {}) {
  return new Stripe(`sk_test_${tenant}`, { host: "127.0.0.1", port: fake.port, protocol: "http", ...config });
}

interface SeedReport {
  account: string;
  now: number;
  counts: Record<string, number>;
  deleted: Record<string, number>;
}

interface MutateResult {
  time: number;
  created: string[];
  updated: string[];
  deleted: string[];
  events: string[];
}

interface Record_ {
  id: string;
  created: number;
  [key: string]: unknown;
}

const control: Control = (method, path, body) => controlClient(`${base}/_fake`)(method, path, body);

const seed = (tenant: string, body: object = {}) => control<SeedReport>("POST", `${tenant}/seed`, body);
const mutate = (tenant: string, body: object) => control<MutateResult>("POST", `${tenant}/mutate`, body);
const faults = (tenant: string, body: object) => control<unknown>("POST", `${tenant}/faults`, body);
const requests = async (tenant: string) => (await control<{ data: LoggedRequest[] }>("GET", `${tenant}/requests`)).data;
const clearRequests = (tenant: string) => control<unknown>("DELETE", `${tenant}/requests`);
async function dump(tenant: string, object: string, account?: string) {
  const query = account ? `?account=${account}` : "";
  return control<{ data: Record_[]; deleted: { id: string; object: string; deleted: true }[] }>(
    "GET",
    `${tenant}/objects/${object}${query}`,
  );
}

async function collect(items: AsyncIterable<{ id: string }>): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of items) ids.push(item.id);
  return ids;
}

async function api(tenant: string | null, path: string, headers: Record<string, string> = {}) {
  const auth: Record<string, string> = tenant ? { Authorization: `Bearer sk_test_${tenant}` } : {};
  const response = await fetch(`${base}${path}`, { headers: { ...auth, ...headers } });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Every object of the API through the client's auto-pagination. Thunks, because `list()` sends its first request
 * as soon as it is called.
 */
function listAll(stripe: Stripe): Record<string, () => AsyncIterable<{ id: string }>> {
  return {
    customers: () => stripe.customers.list({ limit: 100 }),
    products: () => stripe.products.list({ limit: 100 }),
    prices: () => stripe.prices.list({ limit: 100 }),
    subscriptions: () => stripe.subscriptions.list({ limit: 100, status: "all" }),
    invoices: () => stripe.invoices.list({ limit: 100 }),
    payment_intents: () => stripe.paymentIntents.list({ limit: 100 }),
    charges: () => stripe.charges.list({ limit: 100 }),
    refunds: () => stripe.refunds.list({ limit: 100 }),
    payouts: () => stripe.payouts.list({ limit: 100 }),
    balance_transactions: () => stripe.balanceTransactions.list({ limit: 100 }),
  };
}

describe("the official client pages through every object", () => {
  const tenant = "pagingall";

  it("lists every object exactly once, in the API's order, following the cursor chain", async () => {
    const report = await seed(tenant);
    const stripe = client(tenant);
    for (const [object, list] of Object.entries(listAll(stripe))) {
      await clearRequests(tenant);
      const ids = await collect(list());
      const expected = (await dump(tenant, object)).data.map((record) => record.id);
      expect(ids.length, object).toBe(report.counts[object]);
      expect(new Set(ids).size, object).toBe(ids.length);
      expect(ids, object).toEqual(expected);

      // One request per page of 100, each continuing after the last id of the page before.
      const log = await requests(tenant);
      expect(log.length, object).toBe(Math.max(1, Math.ceil(ids.length / 100)));
      log.forEach((entry, page) => {
        expect(entry.path).toBe(`/v1/${object}`);
        expect(entry.query.limit).toBe("100");
        expect(entry.query.starting_after).toBe(page === 0 ? undefined : ids[page * 100 - 1]);
        expect(entry.headers["stripe-version"]).toBe(Stripe.API_VERSION);
        expect(entry.headers.authorization).toBe(`Bearer sk_test_${tenant}`);
      });
    }
    // The dataset really is sizeable and every object type is present.
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(5000);
    for (const count of Object.values(report.counts)) expect(count).toBeGreaterThan(0);
  });

  it("pages the events feed completely, newest first", async () => {
    const stripe = client(tenant);
    const ids = await collect(stripe.events.list({ limit: 100 }));
    const stored = (await dump(tenant, "events")).data;
    const now = (await control<{ now: number }>("GET", `${tenant}/account`)).now;
    const retained = stored.filter((event) => event.created >= now - 30 * 86_400).map((event) => event.id);
    expect(ids.length).toBeGreaterThan(100);
    expect(ids).toEqual(retained);
  });

  it("keeps records created in the same second in a stable order across page boundaries", async () => {
    const small = "ties";
    await seed(small, { counts: { customers: 400 } });
    const records = (await dump(small, "customers")).data;
    const seconds = records.map((record) => record.created);
    const tied = seconds.filter((second, i) => seconds.indexOf(second) !== i);
    expect(tied.length).toBeGreaterThan(5);

    // limit=1 puts a page boundary between every pair of tied records.
    const stripe = client(small);
    const since = (records[150] as Record_).created;
    const ids = await collect(stripe.customers.list({ limit: 1, created: { gte: since } }));
    expect(ids).toEqual(records.filter((record) => record.created >= since).map((record) => record.id));
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1] as Record_, records[i] as Record_];
      expect(a.created > b.created || (a.created === b.created && a.id > b.id)).toBe(true);
    }
  });

  it("pages backwards with ending_before, as the client iterates it", async () => {
    const records = (await dump("ties", "customers")).data;
    const cursor = records[57] as Record_;
    const stripe = client("ties");
    const ids = await collect(stripe.customers.list({ limit: 5, ending_before: cursor.id }));
    // The client walks towards newer records, so it yields them oldest first.
    expect(ids).toEqual(records.slice(0, 57).map((record) => record.id).reverse());
    // 57 records in pages of 5: the last request continues before the oldest-but-two record.
    const log = await requests("ties");
    expect(log.at(-1)?.query.ending_before).toBe(records[2]?.id);
  });

  it("pages a connected account's own data selected with Stripe-Account", async () => {
    const stripe = client(tenant, { stripeAccount: "acct_1Connected01" });
    await clearRequests(tenant);
    const ids = await collect(stripe.customers.list({ limit: 100 }));
    const expected = (await dump(tenant, "customers", "acct_1Connected01")).data.map((record) => record.id);
    const platform = new Set((await dump(tenant, "customers")).data.map((record) => record.id));
    expect(ids).toEqual(expected);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.some((id) => platform.has(id))).toBe(false);
    const log = await requests(tenant);
    expect(log.every((entry) => entry.headers["stripe-account"] === "acct_1Connected01")).toBe(true);
    const event = (await stripe.events.list({ limit: 1 })).data[0];
    expect(event?.account).toBe("acct_1Connected01");
  });
});

describe("incremental reads", () => {
  const tenant = "incremental";

  it("created filters return exactly the records created after the cursor", async () => {
    await seed(tenant);
    const before = (await dump(tenant, "customers")).data;
    const cursor = Math.max(...before.map((record) => record.created));
    const result = await mutate(tenant, { object: "customers", create: 7 });
    expect(result.time).toBeGreaterThan(cursor);

    const stripe = client(tenant);
    const fresh = await collect(stripe.customers.list({ limit: 3, created: { gt: cursor } }));
    expect(fresh.sort()).toEqual([...result.created].sort());
    const inclusive = await collect(stripe.customers.list({ limit: 100, created: { gte: result.time } }));
    expect(inclusive.sort()).toEqual([...result.created].sort());

    // A closed window over the seeded history matches the records in it.
    const middle = before[300] as Record_;
    const last = before[100] as Record_;
    const window = await collect(stripe.customers.list({ limit: 100, created: { gte: middle.created, lt: last.created } }));
    expect(window).toEqual(before.filter((r) => r.created >= middle.created && r.created < last.created).map((r) => r.id));
  });

  it("the events feed carries exactly the updates, with the object as of that moment", async () => {
    const stripe = client(tenant);
    const result = await mutate(tenant, { object: "customers", update: 5 });
    const events = await stripe.events.list({ limit: 100, type: "customer.updated", created: { gte: result.time } });
    expect(events.data.map((event) => (event.data.object as { id: string }).id).sort()).toEqual([...result.updated].sort());
    expect(events.data.map((event) => event.id).sort()).toEqual([...result.events].sort());
    for (const event of events.data) {
      const customer = await stripe.customers.retrieve((event.data.object as { id: string }).id);
      const after = event.data.object as { email: string };
      const previous = event.data.previous_attributes as { email: string };
      expect(customer.deleted).toBeUndefined();
      expect((customer as Stripe.Customer).email).toBe(after.email);
      expect(previous.email).not.toBe(after.email);
      expect(event.created).toBe(result.time);
    }

    // Wildcards and lists of types select the same way the reference describes.
    const wildcard = await collect(stripe.events.list({ limit: 100, type: "customer.*", created: { gte: result.time } }));
    expect(wildcard.sort()).toEqual([...result.events].sort());
    const listed = await collect(
      stripe.events.list({ limit: 100, types: ["customer.created", "customer.updated"], created: { gte: result.time } }),
    );
    expect(listed.sort()).toEqual([...result.events].sort());
    const none = await stripe.events.list({ limit: 100, types: ["charge.succeeded"], created: { gte: result.time } });
    expect(none.data).toEqual([]);
  });

  it("a mutation becomes visible on retrieve and in lists", async () => {
    const stripe = client(tenant);
    const charge = (await stripe.charges.list({ limit: 1 })).data[0] as Stripe.Charge;
    const result = await mutate(tenant, { object: "charges", update: [charge.id] });
    const after = await stripe.charges.retrieve(charge.id);
    expect(after.description).not.toBe(charge.description);
    expect(after.created).toBe(charge.created);
    const [event] = (await stripe.events.list({ type: "charge.updated", created: { gte: result.time } })).data;
    expect((event?.data.object as Stripe.Charge).description).toBe(after.description);

    const created = await mutate(tenant, { object: "charges", create: 1 });
    const newest = (await stripe.charges.list({ limit: 1 })).data[0] as Stripe.Charge;
    expect(newest.id).toBe(created.created[0]);
    expect(newest.status).toBe("succeeded");
    // The charge arrives with its PaymentIntent and balance transaction, as confirming a payment makes them.
    const intent = await stripe.paymentIntents.retrieve(newest.payment_intent as string);
    expect(intent.latest_charge).toBe(newest.id);
    const transaction = await stripe.balanceTransactions.retrieve(newest.balance_transaction as string);
    expect(transaction.source).toBe(newest.id);
    expect(transaction.amount).toBe(newest.amount);
  });

  it("events older than 30 days are not listed or retrievable", async () => {
    const aged = "retention";
    const report = await seed(aged, { counts: { customers: 20 }, now: 1_900_000_000 });
    expect(report.now).toBe(1_900_000_000);
    const result = await mutate(aged, { object: "customers", update: 1 });
    const stripe = client(aged);
    const eventId = result.events[0] as string;
    expect((await stripe.events.retrieve(eventId)).id).toBe(eventId);

    await control("POST", `${aged}/clock`, { advance_seconds: 31 * 86_400 });
    const listed = await collect(stripe.events.list({ limit: 100 }));
    expect(listed).not.toContain(eventId);
    expect(listed).toEqual([]);
    await expect(stripe.events.retrieve(eventId)).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 404,
      code: "resource_missing",
    });
  });
});

describe("deletions", () => {
  const tenant = "deletions";

  it("deleted customers leave lists, retrieve as deleted stubs and cancel their subscriptions", async () => {
    await seed(tenant);
    const stripe = client(tenant, { maxNetworkRetries: 0 });
    const subscription = (await stripe.subscriptions.list({ limit: 1, status: "active" })).data[0] as Stripe.Subscription;
    const customerId = subscription.customer as string;
    const result = await mutate(tenant, { object: "customers", delete: [customerId] });
    expect(result.deleted).toEqual([customerId]);

    const listed = await collect(stripe.customers.list({ limit: 100 }));
    expect(listed).not.toContain(customerId);
    expect(await stripe.customers.retrieve(customerId)).toEqual({ id: customerId, object: "customer", deleted: true });

    const events = await stripe.events.list({ limit: 100, created: { gte: result.time } });
    const types = events.data.map((event) => `${event.type} ${(event.data.object as { id: string }).id}`);
    expect(types).toContain(`customer.deleted ${customerId}`);
    expect(types).toContain(`customer.subscription.deleted ${subscription.id}`);

    // The canceled subscription leaves the default list but stays visible with status=all.
    const after = await stripe.subscriptions.retrieve(subscription.id);
    expect(after.status).toBe("canceled");
    expect(after.canceled_at).toBe(result.time);
    const active = await collect(stripe.subscriptions.list({ limit: 100, customer: customerId }));
    expect(active).not.toContain(subscription.id);
    const all = await collect(stripe.subscriptions.list({ limit: 100, customer: customerId, status: "all" }));
    expect(all).toContain(subscription.id);
  });

  it("deleted products and prices disappear from lists and record their events", async () => {
    const stripe = client(tenant);
    for (const [object, event] of [
      ["products", "product.deleted"],
      ["prices", "price.deleted"],
    ] as const) {
      const result = await mutate(tenant, { object, delete: 2 });
      const ids = await collect(object === "products" ? stripe.products.list({ limit: 100 }) : stripe.prices.list({ limit: 100 }));
      for (const id of result.deleted) expect(ids).not.toContain(id);
      const stubs = (await dump(tenant, object)).deleted.map((stub) => stub.id);
      expect(stubs).toEqual(expect.arrayContaining(result.deleted));
      const events = await collect(stripe.events.list({ type: event, created: { gte: result.time } }));
      expect(events.sort()).toEqual([...result.events].sort());
    }
  });

  it("the control API refuses deletions the API cannot do", async () => {
    const response = await fetch(`${base}/_fake/${tenant}/mutate`, {
      method: "POST",
      body: JSON.stringify({ object: "charges", delete: 1 }),
    });
    expect(response.status).toBe(400);
  });
});

describe("errors through the client", () => {
  const tenant = "clienterrors";

  it("a bad key surfaces as the client's authentication error", async () => {
    const stripe = new Stripe("sk_live_notakey1234", { host: "127.0.0.1", port: fake.port, protocol: "http" });
    const failure = stripe.customers.list();
    await expect(failure).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(failure).rejects.toMatchObject({ statusCode: 401, message: "Invalid API Key provided: sk_live_****1234" });

    await seed(tenant, { counts: { customers: 5 } });
    await faults(tenant, { revoke_key: true });
    const revoked = client(tenant).customers.list();
    await expect(revoked).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(revoked).rejects.toMatchObject({ message: `Invalid API Key provided: sk_test_****${tenant.slice(-4)}` });
  });

  it("an expired key answers 401 once, then the next request succeeds", async () => {
    await faults(tenant, { fail_first: 1, fail_with: "expired_key" });
    const stripe = client(tenant);
    await expect(stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((await stripe.customers.list()).data).toHaveLength(5);
  });

  it("lock timeouts carry Stripe-Should-Retry: true and the client retries them", async () => {
    await faults(tenant, { fail_first: 2, fail_with: "lock_timeout" });
    await clearRequests(tenant);
    const stripe = client(tenant, { maxNetworkRetries: 2 });
    expect((await stripe.customers.list()).data).toHaveLength(5);
    const log = await requests(tenant);
    expect(log.map((entry) => entry.status)).toEqual([429, 429, 200]);
  });

  it("a plain rate limit is not retried by the client (no Stripe-Should-Retry) and surfaces as its rate-limit error", async () => {
    await faults(tenant, { fail_first: 1 });
    await clearRequests(tenant);
    const stripe = client(tenant, { maxNetworkRetries: 2 });
    const failure = stripe.customers.list();
    await expect(failure).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await expect(failure).rejects.toMatchObject({ code: "rate_limit", statusCode: 429 });
    expect((await requests(tenant)).map((entry) => entry.status)).toEqual([429]);
  });

  it("a rate limit the API marks retryable is retried", async () => {
    await faults(tenant, { fail_first: 1, should_retry: { rate_limit: true } });
    await clearRequests(tenant);
    const stripe = client(tenant, { maxNetworkRetries: 1 });
    expect((await stripe.customers.list()).data).toHaveLength(5);
    expect((await requests(tenant)).map((entry) => entry.status)).toEqual([429, 200]);
  });

  it("5xx responses are retried by the client, and surface as api errors without retries", async () => {
    await faults(tenant, { sequence: ["503", "500"] });
    await clearRequests(tenant);
    expect((await client(tenant, { maxNetworkRetries: 2 }).customers.list()).data).toHaveLength(5);
    expect((await requests(tenant)).map((entry) => entry.status)).toEqual([503, 500, 200]);

    await faults(tenant, { fail_first: 1, fail_with: "503" });
    const failure = client(tenant, { maxNetworkRetries: 0 }).customers.list();
    await expect(failure).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(failure).rejects.toMatchObject({ statusCode: 503, rawType: "api_error" });
  });

  it("auto-pagination survives seeded random faults when the client retries them", async () => {
    const flaky = "flaky";
    await seed(flaky, { counts: { products: 45 } });
    await faults(flaky, { rates: { lock_timeout: 0.3, "500": 0.1 }, seed: 7 });
    const stripe = client(flaky, { maxNetworkRetries: 6 });
    const ids = await collect(stripe.products.list({ limit: 10 }));
    expect(ids).toEqual((await dump(flaky, "products")).data.map((record) => record.id));
    const served = await control<{ served: Record<string, number> }>("GET", `${flaky}/faults`);
    expect((served.served.lock_timeout ?? 0) + (served.served["500"] ?? 0)).toBeGreaterThan(0);
  });

  it("a restricted key without a permission gets the client's permission error", async () => {
    await faults(tenant, { forbid: ["payouts"] });
    const restricted = new Stripe(`rk_test_${tenant}`, { host: "127.0.0.1", port: fake.port, protocol: "http" });
    await expect(restricted.payouts.list()).rejects.toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect((await restricted.customers.list()).data).toHaveLength(5);
    expect((await client(tenant).payouts.list()).object).toBe("list");
    await faults(tenant, {});
  });
});

describe("the wire, asserted directly", () => {
  const tenant = "wire";

  beforeAll(async () => {
    await seed(tenant);
  });

  it("list envelopes, default limit and headers", async () => {
    const { response, body } = await api(tenant, "/v1/customers", { "Stripe-Version": "2025-09-30.clover" });
    expect(response.status).toBe(200);
    expect(Object.keys(body)).toEqual(["object", "data", "has_more", "url"]);
    expect(body).toMatchObject({ object: "list", has_more: true, url: "/v1/customers" });
    expect(body.data as unknown[]).toHaveLength(10);
    expect(response.headers.get("request-id")).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(response.headers.get("stripe-version")).toBe("2025-09-30.clover");
    expect(response.headers.get("content-type")).toBe("application/json");

    const logged = (await requests(tenant)).at(-1);
    expect(logged?.headers["stripe-version"]).toBe("2025-09-30.clover");
    expect(logged?.path).toBe("/v1/customers");
  });

  it("HTTP Basic with the key as username authenticates too", async () => {
    const basic = Buffer.from(`sk_test_${tenant}:`).toString("base64");
    const { response } = await api(null, "/v1/customers?limit=1", { Authorization: `Basic ${basic}` });
    expect(response.status).toBe(200);
  });

  it("authentication errors have the API's bodies", async () => {
    const missing = await api(null, "/v1/customers");
    expect(missing.response.status).toBe(401);
    expect(missing.response.headers.get("request-id")).toMatch(/^req_/);
    expect(missing.body).toEqual({
      error: {
        message: expect.stringMatching(/^You did not provide an API key\./),
        type: "invalid_request_error",
      },
    });
    const invalid = await api(null, "/v1/customers", { Authorization: "Bearer sk_test_bad-key-abcd" });
    expect(invalid.body).toEqual({
      error: { message: "Invalid API Key provided: sk_test_****abcd", type: "invalid_request_error" },
    });
  });

  it("404, unknown parameters and invalid paging answer with Stripe's codes", async () => {
    const missing = await api(tenant, "/v1/customers/cus_nope");
    expect(missing.response.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "resource_missing",
      param: "id",
      message: "No such customer: 'cus_nope'",
      doc_url: "https://stripe.com/docs/error-codes/resource-missing",
    });

    const unknown = await api(tenant, "/v1/customers?colour=blue");
    expect(unknown.response.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: "parameter_unknown",
      param: "colour",
      message: "Received unknown parameter: colour",
    });
    const nested = await api(tenant, "/v1/charges?created[since]=1");
    expect(nested.body.error).toMatchObject({ code: "parameter_unknown", param: "created[since]" });

    const both = await api(tenant, "/v1/customers?starting_after=cus_a&ending_before=cus_b");
    expect(both.response.status).toBe(400);
    expect(both.body.error).toMatchObject({ message: "You may only specify one of these parameters: ending_before, starting_after." });

    for (const limit of ["0", "101"]) {
      const bad = await api(tenant, `/v1/customers?limit=${limit}`);
      expect(bad.response.status).toBe(400);
      expect(bad.body.error).toMatchObject({ param: "limit", type: "invalid_request_error" });
    }
    const notInteger = await api(tenant, "/v1/customers?created[gte]=yesterday");
    expect(notInteger.body.error).toMatchObject({ code: "parameter_invalid_integer", param: "created[gte]" });

    const types = Array.from({ length: 21 }, (_, i) => `types[]=t${i}`).join("&");
    const tooMany = await api(tenant, `/v1/events?${types}`);
    expect(tooMany.response.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ param: "types" });

    const unrouted = await api(tenant, "/v1/widgets");
    expect(unrouted.response.status).toBe(404);
    expect(unrouted.body).toEqual({
      error: {
        message: expect.stringMatching(/^Unrecognized request URL \(GET: \/v1\/widgets\)\./),
        type: "invalid_request_error",
      },
    });

    const version = await api(tenant, "/v1/customers", { "Stripe-Version": "yesterday" });
    expect(version.response.status).toBe(400);
    expect((version.body.error as { message: string }).message).toBe("Invalid Stripe API version: yesterday");
  });

  it("rate-limit and lock-timeout responses are exactly what the API sends", async () => {
    await faults(tenant, { sequence: ["rate_limit", "lock_timeout", "500"], rate_limited_reason: "endpoint-rate" });
    const limited = await api(tenant, "/v1/customers");
    expect(limited.response.status).toBe(429);
    expect(limited.response.headers.get("stripe-rate-limited-reason")).toBe("endpoint-rate");
    expect(limited.response.headers.get("retry-after")).toBeNull();
    expect(limited.response.headers.get("stripe-should-retry")).toBeNull();
    expect(limited.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "rate_limit",
      message: "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
    });
    const locked = await api(tenant, "/v1/customers");
    expect(locked.response.status).toBe(429);
    expect(locked.response.headers.get("stripe-should-retry")).toBe("true");
    expect(locked.body.error).toMatchObject({ code: "lock_timeout", type: "invalid_request_error" });
    const broken = await api(tenant, "/v1/customers");
    expect(broken.response.status).toBe(500);
    expect(broken.body.error).toMatchObject({ type: "api_error" });
    const fine = await api(tenant, "/v1/customers");
    expect(fine.response.status).toBe(200);
    await faults(tenant, {});
  });

  it("subscriptions hide canceled ones unless asked, with status=all or status=canceled", async () => {
    const all = (await dump(tenant, "subscriptions")).data;
    const canceled = all.filter((record) => record.status === "canceled").map((record) => record.id);
    expect(canceled.length).toBeGreaterThan(0);
    const stripe = client(tenant);
    const defaults = await collect(stripe.subscriptions.list({ limit: 100 }));
    expect(defaults).toEqual(all.filter((record) => record.status !== "canceled").map((record) => record.id));
    const onlyCanceled = await collect(stripe.subscriptions.list({ limit: 100, status: "canceled" }));
    expect(onlyCanceled).toEqual(canceled);
    const statuses = new Set(all.map((record) => record.status));
    for (const status of ["active", "trialing", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused"]) {
      expect(statuses).toContain(status);
    }
  });

  it("expand[] inflates related objects in either array spelling", async () => {
    const indexed = await api(tenant, "/v1/charges?limit=3&expand[0]=data.customer&customer=" + (await firstPayingCustomer()));
    const charge = (indexed.body.data as { customer: { object: string } }[])[0];
    expect(charge?.customer.object).toBe("customer");
    const bracket = await api(tenant, "/v1/prices?limit=2&expand[]=data.product");
    for (const price of bracket.body.data as { product: { object: string } }[]) expect(price.product.object).toBe("product");
    const scalar = await api(tenant, "/v1/prices?expand=data.product");
    expect(scalar.response.status).toBe(400);
  });

  it("relationships between objects hold", async () => {
    const stripe = client(tenant);
    const refund = (await stripe.refunds.list({ limit: 1 })).data[0] as Stripe.Refund;
    const charge = await stripe.charges.retrieve(refund.charge as string);
    expect(charge.amount_refunded).toBeGreaterThanOrEqual(refund.amount);
    const transaction = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string);
    expect(transaction.type).toBe("refund");
    expect(transaction.source).toBe(refund.id);

    const subscription = (await stripe.subscriptions.list({ limit: 1, status: "active" })).data[0] as Stripe.Subscription;
    const price = subscription.items.data[0]?.price as Stripe.Price;
    expect((await stripe.prices.retrieve(price.id)).product).toBe(price.product);
    const invoices = await stripe.invoices.list({ subscription: subscription.id, limit: 100 });
    for (const invoice of invoices.data) expect(invoice.customer).toBe(subscription.customer);
  });

  it("invoice lines page separately when an invoice has more than the embedded ten", async () => {
    const invoices = (await dump(tenant, "invoices")).data as unknown as Stripe.Invoice[];
    const long = invoices.find((invoice) => invoice.lines.has_more);
    expect(long).toBeDefined();
    const stripe = client(tenant);
    const lines = await collect(stripe.invoices.listLineItems(long?.id ?? "", { limit: 4 }));
    expect(lines.length).toBe((long?.lines as unknown as { total_count: number }).total_count);
    expect(lines.slice(0, 10)).toEqual(long?.lines.data.map((line) => line.id));
    expect(new Set(lines).size).toBe(lines.length);
  });

  async function firstPayingCustomer(): Promise<string> {
    const charges = (await dump(tenant, "charges")).data;
    const paying = charges.find((charge) => typeof charge.customer === "string");
    return paying?.customer as string;
  }
});
