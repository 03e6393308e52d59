import { describe, expect, it } from "vitest";
import { stripeConnector } from "../../../connectors/stripe";
import { classifyStripeError, HAND_BACK_SECONDS } from "../../../connectors/stripe/errors";
import { failure, reply, script, testClient } from "../../kit/fake-fetch";
import { context, readAll, readRequest, records, SMALL_COUNTS, stripeConfig, tenant } from "./harness";

const statuses = async (t: ReturnType<typeof tenant>) => (await t.requests()).map((r) => r.status);

describe("stripe rate limits and transient failures", () => {
  it("retries a 429 without Retry-After with exponential backoff, then reads on", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ sequence: ["ok", "rate_limit", "rate_limit"] });
    const { ctx, sleeps } = context({ random: () => 0.5 });
    const got = records(await readAll(ctx, stripeConfig(t), readRequest("customers", "full_refresh")));
    expect(got).toHaveLength(250);
    expect(new Set(got.map((c) => c.id)).size).toBe(250);
    expect(await statuses(t)).toEqual([200, 429, 429, 200, 200]);
    // Full jitter with a fixed draw of 0.5: half of 1 s, then half of 2 s.
    expect(sleeps).toEqual([500, 1000]);
    expect(await t.served()).toEqual({ rate_limit: 2 });
  });

  it("retries lock_timeout (Stripe-Should-Retry: true), also when the header is missing, and 5xx", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ sequence: ["lock_timeout", "503", "ok", "lock_timeout"], should_retry: { lock_timeout: true } });
    const { ctx } = context();
    expect(records(await readAll(ctx, stripeConfig(t), readRequest("customers", "full_refresh")))).toHaveLength(250);
    expect(await statuses(t)).toEqual([429, 503, 200, 429, 200, 200]);

    const u = tenant();
    await u.seed({ counts: SMALL_COUNTS });
    await u.faults({ sequence: ["lock_timeout"], should_retry: { lock_timeout: null } });
    expect(records(await readAll(context().ctx, stripeConfig(u), readRequest("payouts", "full_refresh")))).toHaveLength(10);
    expect(await statuses(u)).toEqual([429, 200]);
  });

  it("honours Stripe-Should-Retry: false by handing the chunk back to the engine instead of retrying in process", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ fail_first: 1, fail_with: "rate_limit", should_retry: { rate_limit: false } });
    const error = await failure(readAll(context().ctx, stripeConfig(t), readRequest("customers", "full_refresh")));
    expect(error).toMatchObject({ kind: "retryable", details: { status: 429, retryAfterSeconds: HAND_BACK_SECONDS } });
    expect(error.message).toContain("Request rate limit exceeded");
    expect(await statuses(t)).toEqual([429]);
  });

  it("gives up after five attempts, keeping the pages already read and resuming after them", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ sequence: ["ok", "rate_limit", "rate_limit", "rate_limit", "rate_limit", "rate_limit"], rate_limited_reason: "endpoint-rate" });
    const { ctx } = context();
    const pages: Awaited<ReturnType<typeof readAll>> = [];
    const error = await failure(
      (async () => {
        for await (const page of stripeConnector.read(ctx, stripeConfig(t), readRequest("customers", "full_refresh"))) pages.push(page);
      })(),
    );
    expect(error).toMatchObject({ kind: "retryable" });
    expect(error.message).toMatch(/Stripe rate limit reached \(HTTP 429, rate_limit, endpoint-rate\).*gave up after 5 attempts/);
    expect(pages).toHaveLength(1);
    expect(await statuses(t)).toEqual([200, 429, 429, 429, 429, 429]);

    await t.faults({});
    const rest = await readAll(ctx, stripeConfig(t), readRequest("customers", "full_refresh", null, JSON.parse(JSON.stringify(pages[0]!.checkpoint))));
    const ids = [...records(pages), ...records(rest)].map((c) => c.id);
    expect(ids).toEqual((await t.objects("customers")).data.map((c) => c.id));
  });
});

describe("stripe credentials and permissions", () => {
  it("a revoked key is a configuration error after one request, naming api_key and never the key", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ revoke_key: true });
    const error = await failure(readAll(context().ctx, stripeConfig(t), readRequest("customers", "full_refresh")));
    expect(error).toMatchObject({ kind: "configuration", details: { status: 401 } });
    expect(error.message).toMatch(/^Stripe rejected the API key \(HTTP 401\): Invalid API Key provided: sk_test_\*+\w+\. Set a valid secret or restricted key in api_key\.$/);
    expect(error.message).not.toContain(t.key);
    expect(await statuses(t)).toEqual([401]);
  });

  it("an expired key is not retried: a Stripe key has no refresh, so the user must replace it", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    // The fake would let the next request through, as after a token refresh; the connector must not send one.
    await t.faults({ fail_first: 1, fail_with: "expired_key" });
    const error = await failure(readAll(context().ctx, stripeConfig(t), readRequest("customers", "full_refresh")));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toContain("Expired API Key provided");
    expect(await statuses(t)).toEqual([401]);
  });

  it("a restricted key without the object's permission fails the stream with Stripe's explanation", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await t.faults({ forbid: ["payouts"] });
    const config = stripeConfig(t, { api_key: `rk_test_${t.name}` });
    const error = await failure(readAll(context().ctx, config, readRequest("payouts", "full_refresh")));
    expect(error).toMatchObject({ kind: "configuration", details: { status: 403 } });
    expect(error.message).toMatch(/^permission denied for api\.stripe\.com\/v1\/payouts \(HTTP 403\): .*'rak_payout_read' permission/);
    // Other objects still read with the same key.
    expect(records(await readAll(context().ctx, config, readRequest("refunds", "full_refresh")))).toHaveLength(15);
  });

  it("check proves the key with one small authenticated list call", async () => {
    const t = tenant();
    await t.seed({ counts: SMALL_COUNTS });
    await stripeConnector.check(context().ctx, stripeConfig(t, { account_id: "acct_1CheckMe" }));
    const sent = await t.requests();
    expect(sent.map((r) => [r.path, r.query, r.headers["stripe-account"]])).toEqual([["/v1/customers", { limit: "1" }, "acct_1CheckMe"]]);

    await t.faults({ revoke_key: true });
    const error = await failure(stripeConnector.check(context().ctx, stripeConfig(t)));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toContain("Invalid API Key provided");

    const missing = await failure(stripeConnector.check(context().ctx, stripeConfig(t, { api_key: undefined })));
    expect(missing).toMatchObject({ kind: "configuration", message: "api_key is not set: add a Stripe secret or restricted key" });
  });
});

describe("stripe failure shapes outside the fake", () => {
  const KEY = "sk_test_shapes";
  const envelope = (data: unknown[], hasMore = false) => ({ object: "list", url: "/v1/events", has_more: hasMore, data });

  it("an unknown endpoint (404) is a configuration error quoting Stripe", async () => {
    const { http, sent } = testClient(
      script(reply(404, { error: { type: "invalid_request_error", message: "Unrecognized request URL (GET: /v1/customers)." } })),
    );
    const ctx = { http, signal: new AbortController().signal, now: () => new Date() };
    const error = await failure(readAll(ctx, { api_key: KEY, lookback_window_days: 0 }, readRequest("customers", "full_refresh")));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toBe("not found: api.stripe.com/v1/customers (HTTP 404): Unrecognized request URL (GET: /v1/customers).");
    expect(sent).toHaveLength(1);
  });

  it("an event without data.object is a data error", async () => {
    const { http } = testClient(script(reply(200, envelope([{ id: "evt_1", object: "event", type: "customer.updated", created: 1_900_000_000, data: {} }]))));
    const now = new Date(1_900_000_100_000);
    const ctx = { http, signal: new AbortController().signal, now: () => now };
    const error = await failure(readAll(ctx, { api_key: KEY, lookback_window_days: 0 }, readRequest("customers", "incremental", { cursor: 1_900_000_000 })));
    expect(error).toMatchObject({ kind: "data", message: "event evt_1 (customer.updated) has no data.object" });
  });

  it("has_more with an empty page is a data error rather than a silent stop", async () => {
    const { http } = testClient(script(reply(200, envelope([], true))));
    const ctx = { http, signal: new AbortController().signal, now: () => new Date() };
    const error = await failure(readAll(ctx, { api_key: KEY, lookback_window_days: 0 }, readRequest("payouts", "full_refresh")));
    expect(error).toMatchObject({ kind: "data" });
  });

  it("stops between pages when the run is cancelled", async () => {
    const page = (n: number) => reply(200, envelope([{ id: `po_${n}`, object: "payout", created: 1_800_000_000 - n }], true));
    const { http, sent } = testClient(script(page(1), page(2)));
    const controller = new AbortController();
    const ctx = { http, signal: controller.signal, now: () => new Date() };
    const seen: string[] = [];
    for await (const p of stripeConnector.read(ctx, { api_key: KEY, lookback_window_days: 0 }, readRequest("payouts", "full_refresh"))) {
      seen.push(...p.records.map((r) => r.id as string));
      controller.abort();
    }
    expect(seen).toEqual(["po_1"]);
    expect(sent).toHaveLength(1);
  });

  it("classifies Stripe-Should-Retry over the status, and leaves the rest to the kit's defaults", () => {
    const body = (code: string) => JSON.stringify({ error: { type: "invalid_request_error", code, message: `m-${code}` } });
    const headers = (value?: string) => new Headers(value ? { "stripe-should-retry": value } : {});
    expect(classifyStripeError(409, body("lock_timeout"), headers("true"))).toMatchObject({ kind: "retryable", message: "Stripe asked for a retry (HTTP 409, lock_timeout): m-lock_timeout" });
    expect(classifyStripeError(500, body("x"), headers("false"))).toMatchObject({ kind: "retryable", details: { retryAfterSeconds: HAND_BACK_SECONDS } });
    // "false" on a client error changes nothing: it was never going to be retried.
    expect(classifyStripeError(400, body("parameter_unknown"), headers("false"))).toBeUndefined();
    expect(classifyStripeError(403, body("x"), headers())).toBeUndefined();
    expect(classifyStripeError(502, "<html>bad gateway</html>", headers())).toBeUndefined();
  });
});
