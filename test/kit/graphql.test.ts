/**
 * GraphQL and the 2xx-error check: a THROTTLED answer (HTTP 200, Shopify's documented shape) retried inside the
 * client's retry loop after exactly the wait its cost extension implies, cost handed back, GraphQL errors classified,
 * and a Google error body's RetryInfo honoured.
 */
import { describe, expect, it } from "vitest";
import { ConnectorError } from "../../connectors/kit/errors";
import { graphql, throttleWaitSeconds } from "../../connectors/kit/graphql";
import { failure, reply, script, testClient } from "./fake-fetch";

const SHOP = "https://shop1.myshopify.com/admin/api/2025-07/graphql.json";
const QUERY = "query Orders($after: String) { orders(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }";

const cost = (requested: number, available: number, actual: number | null = requested) => ({
  cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: available, restoreRate: 100 } },
});
const throttled = (requested: number, available: number) => ({
  errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
  extensions: cost(requested, available, null),
});
const orders = { data: { orders: { nodes: [{ id: "gid://shopify/Order/1" }], pageInfo: { hasNextPage: false, endCursor: "c1" } } }, extensions: cost(102, 1898) };

describe("graphql", () => {
  it("posts the query and variables, and hands back data and the cost extension", async () => {
    const { http, sent } = testClient(reply(200, orders));
    const result = await graphql<{ orders: { nodes: Array<{ id: string }> } }>(http, { url: SHOP, query: QUERY, variables: { after: "c0" } });
    expect(result.data.orders.nodes).toEqual([{ id: "gid://shopify/Order/1" }]);
    expect(result.cost).toEqual(orders.extensions.cost);
    expect(sent[0]?.method).toBe("POST");
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({ query: QUERY, variables: { after: "c0" } });
  });

  it("retries a 200 THROTTLED answer after exactly (requested − available) / restoreRate seconds", async () => {
    // 752 points asked, 50 available, 100 restored per second: 7.02 s.
    const { http, sent, sleeps } = testClient(script(reply(200, throttled(752, 50)), reply(200, throttled(752, 700)), reply(200, orders)));
    const result = await graphql(http, { url: SHOP, query: QUERY });
    expect(result.data).toEqual(orders.data);
    expect(sleeps).toEqual([7020, 520]);
    expect(sent).toHaveLength(3);
    expect(throttleWaitSeconds(orders.extensions.cost)).toBe(0);
  });

  it("hands a throttle wait longer than maxWaitSeconds to the engine, and refuses a query the bucket can never hold", async () => {
    const long = testClient(reply(200, throttled(1000, 0)), { maxWaitSeconds: 5 });
    const wait = await failure(graphql(long.http, { url: SHOP, query: QUERY }));
    expect(wait.kind).toBe("retryable");
    expect(wait.details).toMatchObject({ retryAfterSeconds: 10 });
    expect(long.sleeps).toEqual([]);

    const tooBig = testClient(reply(200, throttled(2500, 2000)));
    const error = await failure(graphql(tooBig.http, { url: SHOP, query: QUERY }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("the GraphQL query costs 2500 points, more than shop1.myshopify.com's bucket of 2000; ask for fewer records per page");
    expect(tooBig.sent).toHaveLength(1);
  });

  it("classifies GraphQL errors, and accepts a partial answer only when asked", async () => {
    const denied = testClient(reply(200, { data: null, errors: [{ message: "Access denied for orders field.", extensions: { code: "ACCESS_DENIED" } }] }));
    const error = await failure(graphql(denied.http, { url: SHOP, query: QUERY }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("permission denied by shop1.myshopify.com (GraphQL ACCESS_DENIED): Access denied for orders field.");

    const bad = testClient(reply(200, { errors: [{ message: "Field 'ordrs' doesn't exist on type 'QueryRoot'", locations: [{ line: 1, column: 2 }] }] }));
    expect((await failure(graphql(bad.http, { url: SHOP, query: "{ ordrs }" }))).message).toBe(
      "shop1.myshopify.com rejected the GraphQL query: Field 'ordrs' doesn't exist on type 'QueryRoot'",
    );

    const internal = testClient(reply(200, { errors: [{ message: "Internal error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }), { maxAttempts: 1 });
    expect((await failure(graphql(internal.http, { url: SHOP, query: QUERY }))).kind).toBe("retryable");

    const partialBody = { data: { orders: { nodes: [] } }, errors: [{ message: "Access denied for customer field.", path: ["orders", "nodes", 0, "customer"], extensions: { code: "ACCESS_DENIED" } }] };
    expect((await failure(graphql(testClient(reply(200, partialBody)).http, { url: SHOP, query: QUERY }))).kind).toBe("configuration");
    const partial = await graphql(testClient(reply(200, partialBody)).http, { url: SHOP, query: QUERY }, { allowPartial: true });
    expect(partial.errors).toHaveLength(1);
    expect(partial.data).toEqual({ orders: { nodes: [] } });
  });

  it("also retries THROTTLED sent as HTTP 429", async () => {
    const { http, sleeps } = testClient(script(reply(429, throttled(200, 100)), reply(200, orders)));
    await graphql(http, { url: SHOP, query: QUERY });
    // The cost wait (100 points short at 100 per second), not the jittered backoff (0.5 s here).
    expect(sleeps).toEqual([1000]);
  });
});

describe("classifyBody", () => {
  it("runs inside the retry loop of request, per request and per client, and its retries count toward maxAttempts", async () => {
    const busy = (result: { json<T>(): T }) =>
      result.json<{ status?: string }>().status === "BUSY" ? new ConnectorError("retryable", "job queue busy", { retryAfterSeconds: 3 }) : undefined;
    const { http, sent, sleeps } = testClient(script(reply(200, { status: "BUSY" }), reply(200, { status: "OK" })), { classifyBody: busy });
    expect(await http.getJson({ url: "https://api.example.com/jobs" })).toEqual({ status: "OK" });
    expect(sleeps).toEqual([3000]);
    expect(sent).toHaveLength(2);

    const exhausted = testClient(reply(200, { status: "BUSY" }), { maxAttempts: 2 });
    const error = await failure(exhausted.http.request({ url: "https://api.example.com/jobs", classifyBody: busy }));
    expect(error.message).toBe("job queue busy (gave up after 2 attempts)");
    expect(exhausted.sent).toHaveLength(2);
  });
});

/** Google's RPC error envelope (AIP-193). */
const googleError = (message: string, details: unknown[]) => ({ error: { code: 429, message, status: "RESOURCE_EXHAUSTED", details } });

describe("a Google error body with RetryInfo", () => {
  it("is retried after its retryDelay when there is no Retry-After header", async () => {
    const exhausted = googleError("Exhausted property tokens for a project per hour.", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12.5s" }]);
    const { http, sleeps } = testClient(script(reply(429, exhausted), reply(200, { rows: [] })));
    expect(await http.getJson({ url: "https://analyticsdata.googleapis.com/v1beta/properties/1:runReport", method: "POST", json: {} })).toEqual({ rows: [] });
    expect(sleeps).toEqual([12500]);
  });

  it("takes a Google Ads quotaErrorDetails.retryDelay, and hands a long one to the engine", async () => {
    const adsFailure = googleError("Resource has been exhausted (e.g. check quota).", [
      {
        "@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
        errors: [
          {
            errorCode: { quotaError: "RESOURCE_TEMPORARILY_EXHAUSTED" },
            message: "Too many requests. Retry in 300 seconds.",
            details: { quotaErrorDetails: { rateScope: "ACCOUNT", rateName: "Number of operations for basic access", retryDelay: "300s" } },
          },
        ],
      },
    ]);
    const { http, sleeps } = testClient(reply(429, adsFailure));
    const error = await failure(http.request({ url: "https://googleads.googleapis.com/v21/customers/1/googleAds:search", method: "POST", json: {} }));
    expect(error.kind).toBe("retryable");
    expect(error.details).toMatchObject({ retryAfterSeconds: 300 });
    expect(sleeps).toEqual([]);
  });

  it("leaves Retry-After in charge when both are present", async () => {
    const { http, sleeps } = testClient(
      script(reply(503, { error: { details: [{ retryDelay: "40s" }] } }, { "retry-after": "2" }), reply(200, {})),
    );
    await http.request({ url: "https://sheets.googleapis.com/v4/x" });
    expect(sleeps).toEqual([2000]);
  });
});
