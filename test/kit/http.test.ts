import { describe, expect, it } from "vitest";
import { bearer, oauth2RefreshToken } from "../../connectors/kit/auth";
import { ConnectorError } from "../../connectors/kit/errors";
import { failure, hang, reply, reset, script, testClient } from "./fake-fetch";

const API = "https://api.example.com";

describe("requests", () => {
  it("joins paths to the base URL, encodes the query and merges headers", async () => {
    const { http, sent } = testClient(reply(200, { ok: true }), {
      baseUrl: `${API}/v2/`,
      defaultHeaders: { "X-Client": "loaders", Accept: "application/vnd.api+json" },
      auth: bearer("tok-123"),
    });
    const body = await http.getJson({
      url: "/items",
      query: { status: "all", tag: ["a", "b"], page: 2, archived: false, skip: undefined, none: null },
      headers: { "X-Trace": "t1" },
    });
    expect(body).toEqual({ ok: true });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe("GET");
    expect(sent[0]?.url).toBe(`${API}/v2/items?status=all&tag=a&tag=b&page=2&archived=false`);
    expect(sent[0]?.headers).toMatchObject({
      accept: "application/vnd.api+json",
      "x-client": "loaders",
      "x-trace": "t1",
      authorization: "Bearer tok-123",
    });
  });

  it("sends JSON and form bodies with their content types", async () => {
    const { http, sent } = testClient(reply(200, {}));
    await http.request({ method: "post", url: `${API}/a`, json: { q: 1 } });
    await http.request({ method: "POST", url: `${API}/b`, form: { grant_type: "x y", n: 3, gone: undefined } });
    expect(sent.map((r) => [r.method, r.headers["content-type"], r.body])).toEqual([
      ["POST", "application/json", '{"q":1}'],
      ["POST", "application/x-www-form-urlencoded", "grant_type=x+y&n=3"],
    ]);
  });
});

describe("retries", () => {
  it("honours Retry-After in seconds", async () => {
    const { http, sent, sleeps } = testClient(script(reply(429, { message: "slow down" }, { "retry-after": "3" }), reply(200, [1])), {
      auth: bearer("tok"),
    });
    expect(await http.getJson({ url: `${API}/items` })).toEqual([1]);
    expect(sleeps).toEqual([3000]);
    expect(sent.map((r) => [r.url, r.headers.authorization])).toEqual([
      [`${API}/items`, "Bearer tok"],
      [`${API}/items`, "Bearer tok"],
    ]);
  });

  it("honours Retry-After as an HTTP-date", async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    const later = new Date(now + 7000).toUTCString();
    const { http, sleeps, sent } = testClient(script(reply(503, "", { "retry-after": later }), reply(200, {})), { now: () => now });
    await http.request({ url: `${API}/x` });
    expect(sleeps).toEqual([7000]);
    expect(sent).toHaveLength(2);
  });

  it("backs off exponentially with jitter when there is no Retry-After, then succeeds", async () => {
    const { http, sleeps, sent } = testClient(script(reply(500), reply(502), reply(503), reply(504), reply(200, { done: true })));
    expect(await http.getJson({ url: `${API}/x` })).toEqual({ done: true });
    // random() = 0.5 of min(30 s, 1 s · 2^(n-1))
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(sent).toHaveLength(5);
  });

  it("caps the backoff at 30 s", async () => {
    const { http, sleeps } = testClient(script(...Array.from({ length: 7 }, () => reply(500)), reply(200)), {
      random: () => 1,
      maxAttempts: 8,
      maxWaitSeconds: 60,
    });
    await http.request({ url: `${API}/x` });
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it("gives up after maxAttempts with a retryable error carrying the status and a retry delay", async () => {
    const { http, sent, sleeps } = testClient(reply(500, { error: { message: "database is sad" } }), {
      maxAttempts: 3,
    });
    const error = await failure(http.request({ url: `${API}/items?x=1` }));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.kind).toBe("retryable");
    expect(error.message).toContain("database is sad");
    expect(error.message).toContain("gave up after 3 attempts");
    expect(error.details).toMatchObject({ status: 500, retryAfterSeconds: 2, url: `${API}/items` });
    expect(sent).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it("hands a Retry-After longer than maxWaitSeconds to the engine instead of sleeping", async () => {
    const { http, sent, sleeps } = testClient(reply(429, {}, { "retry-after": "120" }), { maxWaitSeconds: 30 });
    const error = await failure(http.request({ url: `${API}/x` }));
    expect(error.kind).toBe("retryable");
    expect(error.details).toMatchObject({ status: 429, retryAfterSeconds: 120 });
    expect(sent).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("retries network errors", async () => {
    const { http, sent, sleeps } = testClient(script(reset, reset, reply(200, { ok: 1 })));
    expect(await http.getJson({ url: `${API}/x` })).toEqual({ ok: 1 });
    expect(sent).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it("names the network failure when retries run out", async () => {
    const { http } = testClient(reset, { maxAttempts: 2 });
    const error = await failure(http.request({ url: `${API}/x` }));
    expect(error.kind).toBe("retryable");
    expect(error.message).toMatch(/network error calling api\.example\.com\/x: Network connection lost.*gave up after 2/);
  });

  it("times out each attempt and retries", async () => {
    const { http, sent } = testClient(script(hang, reply(200, { late: false })), { timeoutMs: 20 });
    expect(await http.getJson({ url: `${API}/slow` })).toEqual({ late: false });
    expect(sent).toHaveLength(2);
  });

  it("reports a timeout as retryable when attempts run out", async () => {
    const { http, sent } = testClient(hang, { timeoutMs: 10, maxAttempts: 2 });
    const error = await failure(http.request({ url: `${API}/slow` }));
    expect(error.kind).toBe("retryable");
    expect(error.message).toContain("timed out after 0.01 s");
    expect(sent).toHaveLength(2);
  });

  it("retries a malformed JSON body in getJson", async () => {
    const { http, sent } = testClient(script(reply(200, '{"items":[{"id":1},'), reply(200, { items: [] })));
    expect(await http.getJson({ url: `${API}/x` })).toEqual({ items: [] });
    expect(sent).toHaveLength(2);
  });

  it("reports malformed JSON as retryable once retries are spent, and from request().json() directly", async () => {
    const truncated = reply(200, '{"items":[');
    const exhausted = testClient(truncated, { maxAttempts: 2 });
    const error = await failure(exhausted.http.getJson({ url: `${API}/x` }));
    expect(error.kind).toBe("retryable");
    expect(error.message).toMatch(/malformed JSON from api\.example\.com\/x/);
    expect(exhausted.sent).toHaveLength(2);

    const single = testClient(truncated);
    const result = await single.http.request({ url: `${API}/x` });
    expect(result.text()).toBe('{"items":[');
    expect(() => result.json()).toThrowError(expect.objectContaining({ kind: "retryable" }));
    expect(single.sent).toHaveLength(1);
  });
});

describe("cancellation", () => {
  it("aborts an in-flight request and does not retry it", async () => {
    const controller = new AbortController();
    const { http, sent } = testClient(
      (request, signal) => {
        setTimeout(() => controller.abort(), 0);
        return hang(request, signal, 0);
      },
      { signal: controller.signal },
    );
    const error = await failure(http.request({ url: `${API}/x` }));
    expect(error.kind).toBe("retryable");
    expect(error.message).toContain("cancelled");
    expect(sent).toHaveLength(1);
  });

  it("sends nothing once the signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const { http, sent } = testClient(reply(200), { signal: controller.signal });
    expect((await failure(http.request({ url: `${API}/x` }))).message).toContain("cancelled");
    expect(sent).toHaveLength(0);
  });
});

describe("401 and token refresh", () => {
  function tokenEndpoint(tokens: string[]) {
    let issued = 0;
    return (request: { url: string }) => {
      if (request.url !== "https://login.example.com/oauth/token") return undefined;
      const token = tokens[issued++];
      return new Response(JSON.stringify({ access_token: token, token_type: "bearer" }), { status: 200 });
    };
  }

  it("refreshes once on 401 and retries with the new token", async () => {
    const tokens = tokenEndpoint(["stale", "fresh"]);
    const { http, sent } = testClient(
      (request) =>
        tokens(request) ??
        (request.headers.authorization === "Bearer fresh" ? new Response('{"ok":true}') : new Response('{"message":"expired"}', { status: 401 })),
      {
        auth: oauth2RefreshToken({ tokenUrl: "https://login.example.com/oauth/token", clientId: "cid", clientSecret: "csecret", refreshToken: "rt" }),
      },
    );
    expect(await http.getJson({ url: `${API}/me` })).toEqual({ ok: true });
    expect(sent.map((r) => `${r.method} ${r.url} ${r.headers.authorization ?? ""}`)).toEqual([
      "POST https://login.example.com/oauth/token ",
      `GET ${API}/me Bearer stale`,
      "POST https://login.example.com/oauth/token ",
      `GET ${API}/me Bearer fresh`,
    ]);
    expect(sent[0]?.body).toBe("grant_type=refresh_token&refresh_token=rt&client_id=cid&client_secret=csecret");
  });

  it("fails with a configuration error when the refreshed token is rejected too", async () => {
    const tokens = tokenEndpoint(["one", "two"]);
    const { http, sent } = testClient(
      (request) => tokens(request) ?? new Response('{"error":"invalid_token","error_description":"Token revoked"}', { status: 401 }),
      {
        auth: oauth2RefreshToken({ tokenUrl: "https://login.example.com/oauth/token", clientId: "c", clientSecret: "s3cr3t!", refreshToken: "rt-9" }),
      },
    );
    const error = await failure(http.request({ url: `${API}/me` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("credentials rejected by api.example.com (HTTP 401): invalid_token: Token revoked");
    expect(error.details).toMatchObject({ status: 401 });
    expect(sent.filter((r) => r.url.startsWith(API))).toHaveLength(2);
  });

  it("fails at once when the auth cannot refresh, without leaking the secret the API echoes", async () => {
    const { http, sent } = testClient(reply(401, { message: "token sk_live_abcdef is invalid" }), { auth: bearer("sk_live_abcdef") });
    const error = await failure(http.request({ url: `${API}/me` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("credentials rejected by api.example.com (HTTP 401): token [redacted] is invalid");
    expect(sent).toHaveLength(1);
  });
});

describe("other failures", () => {
  it.each([
    [403, { message: "missing scope: read_items" }, "permission denied for api.example.com/items (HTTP 403): missing scope: read_items"],
    [404, "", "not found: api.example.com/items (HTTP 404)"],
    [400, { errors: [{ detail: "per_page must be <= 100" }] }, "api.example.com rejected the request to /items (HTTP 400): per_page must be <= 100"],
    [422, [{ message: "bad field", errorCode: "INVALID_FIELD" }], "api.example.com rejected the request to /items (HTTP 422): bad field"],
  ])("HTTP %i is a configuration error with the API's message", async (status, body, message) => {
    const { http, sent } = testClient(reply(status, body));
    const error = await failure(http.request({ url: `${API}/items?page=1` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe(message);
    expect(sent).toHaveLength(1);
  });

  it("asks the connector's classifier first", async () => {
    const classifyError = (status: number, body: string) =>
      status === 403 && body.includes("REQUEST_LIMIT_EXCEEDED")
        ? new ConnectorError("retryable", "daily API limit reached", { status, retryAfterSeconds: 3600 })
        : undefined;
    const { http, sent, sleeps } = testClient(script(reply(403, [{ errorCode: "REQUEST_LIMIT_EXCEEDED" }]), reply(403, { message: "nope" })), {
      classifyError,
    });
    const limited = await failure(http.request({ url: `${API}/q` }));
    expect(limited.kind).toBe("retryable");
    expect(limited.details).toMatchObject({ status: 403, retryAfterSeconds: 3600 });
    expect(sleeps).toEqual([]);
    const denied = await failure(http.request({ url: `${API}/q` }));
    expect(denied.kind).toBe("configuration");
    expect(sent).toHaveLength(2);
  });
});

describe("hosts", () => {
  it("sends an overridden host to its local base URL in development, keeping path and query", async () => {
    const { http, sent } = testClient(reply(200, {}), {
      hostOverrides: { "api.example.com": "http://127.0.0.1:9999/t/abc" },
      baseUrl: `${API}/v1`,
    });
    const result = await http.request({ url: "/items", query: { page: 2 } });
    expect(sent[0]?.url).toBe("http://127.0.0.1:9999/t/abc/v1/items?page=2");
    expect(result.url).toBe(`${API}/v1/items?page=2`);
  });

  it("allows http and loopback in development", async () => {
    const { http, sent } = testClient(reply(200, {}));
    await http.request({ url: "http://localhost:8787/x" });
    expect(sent[0]?.url).toBe("http://localhost:8787/x");
  });

  it("ignores overrides in production", async () => {
    const { http, sent } = testClient(reply(200, {}), { development: false, hostOverrides: { "api.example.com": "http://127.0.0.1:9999" } });
    await http.request({ url: `${API}/items` });
    expect(sent[0]?.url).toBe(`${API}/items`);
  });

  it.each([
    "http://api.example.com/items",
    "https://127.0.0.1/x",
    "https://localhost/x",
    "https://2130706433/x",
    "https://10.1.2.3/x",
    "https://192.168.0.10/x",
    "https://172.20.0.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[fd00::1]/x",
    "https://printer.local/x",
    "ftp://api.example.com/x",
  ])("rejects %s in production without sending it", async (url) => {
    const { http, sent } = testClient(reply(200, {}), { development: false });
    const error = await failure(http.request({ url }));
    expect(error.kind).toBe("configuration");
    expect(sent).toHaveLength(0);
  });

  it("follows a redirect only where the host rules allow, and keeps credentials on the original origin", async () => {
    const { http, sent } = testClient(
      script(reply(302, "", { location: "/v2/items" }), reply(301, "", { location: "https://cdn.example.net/blob" }), reply(200, { ok: true })),
      { development: false, auth: bearer("tok") },
    );
    expect(await http.getJson({ url: `${API}/v1/items` })).toEqual({ ok: true });
    expect(sent.map((r) => [r.url, r.headers.authorization])).toEqual([
      [`${API}/v1/items`, "Bearer tok"],
      [`${API}/v2/items`, "Bearer tok"],
      ["https://cdn.example.net/blob", undefined],
    ]);

    const toPrivate = testClient(reply(302, "", { location: "https://10.0.0.5/admin" }), { development: false });
    expect((await failure(toPrivate.http.request({ url: `${API}/x` }))).kind).toBe("configuration");
    expect(toPrivate.sent).toHaveLength(1);
  });
});

describe("redirect limits", () => {
  it("stops after five redirects with a configuration error", async () => {
    const { http, sent } = testClient(reply(302, "", { location: "/loop" }));
    const error = await failure(http.request({ url: `${API}/loop` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe("api.example.com/loop answered HTTP 302 without a redirect that can be followed");
    expect(sent).toHaveLength(6);
  });

  it("continues a POST answered by 303 as a GET without body, and keeps a POST through 307", async () => {
    const { http, sent } = testClient(
      script(reply(303, "", { location: "/jobs/1" }), reply(200, { id: 1 }), reply(307, "", { location: "/v2/jobs" }), reply(200, { id: 2 })),
    );
    await http.request({ method: "POST", url: `${API}/jobs`, json: { q: 1 } });
    await http.request({ method: "POST", url: `${API}/jobs`, json: { q: 2 } });
    expect(sent.map((r) => [r.method, r.url, r.body ?? null, r.headers["content-type"] ?? null])).toEqual([
      ["POST", `${API}/jobs`, '{"q":1}', "application/json"],
      ["GET", `${API}/jobs/1`, null, null],
      ["POST", `${API}/jobs`, '{"q":2}', "application/json"],
      ["POST", `${API}/v2/jobs`, '{"q":2}', "application/json"],
    ]);
  });

  it("matches override hostnames case-insensitively", async () => {
    const { http, sent } = testClient(reply(200, {}), { hostOverrides: { "API.Example.com": "http://127.0.0.1:1" } });
    await http.request({ url: "https://api.example.COM/x" });
    expect(sent[0]?.url).toBe("http://127.0.0.1:1/x");
  });
});

describe("request budget", () => {
  it("stops at the budget, across derived clients and retries, with a retryable error", async () => {
    const { http, sent } = testClient(script(reply(200, {}), reply(500), reply(200, {})), { requestBudget: 2 });
    await http.request({ url: `${API}/a` });
    const derived = http.extend({ baseUrl: API });
    const error = await failure(derived.request({ url: "/b" }));
    expect(error.kind).toBe("retryable");
    expect(error.message).toContain("request budget of 2 requests is spent");
    expect(sent.map((r) => r.url)).toEqual([`${API}/a`, `${API}/b`]);
    expect(http.requestsSent).toBe(2);
  });
});
