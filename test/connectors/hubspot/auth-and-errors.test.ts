/**
 * hubspot credentials and failures against the fake: private-app token and OAuth refresh (once on 401), HubSpot's
 * rate-limit shapes with and without Retry-After, 5xx, missing scopes, and what each leaves behind (retry in process,
 * a retryable error for the engine, or a configuration error with a message a user can act on, never a secret).
 */
import { describe, expect, it } from "vitest";
import { hubspotConnector } from "../../../connectors/hubspot";
import type { Page } from "../../../connectors/kit/contract";
import { apiRequests, context, FAKE_CLIENT_SECRET, readAll, readRequest, readUntilError, records, tenant } from "./harness";

describe("hubspot authentication", () => {
  it("sends the private-app token as a bearer on every request", async () => {
    const t = tenant("pat");
    await t.seed({ companies: 120 });
    await readAll(context().ctx, t.config(), readRequest("companies", "full_refresh"));
    const log = await t.requests();
    expect(log).toHaveLength(3);
    expect(log.every((r) => r.headers.authorization === `Bearer ${t.token}`)).toBe(true);
  });

  it("exchanges the refresh token once per read, then refreshes once when the token expires mid-read", async () => {
    const t = tenant("oauth");
    await t.seed({ contacts: 350 });
    const config = t.oauthConfig();
    const reader = hubspotConnector.read(context().ctx, config, readRequest("contacts", "full_refresh"))[Symbol.asyncIterator]();
    const pages: Page[] = [];
    pages.push((await reader.next()).value as Page);
    const early = await t.requests();
    expect(early.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /oauth/v1/token 200",
      "GET /crm/v3/properties/contacts 200",
      "GET /crm/v3/objects/contacts 200",
    ]);
    expect(early[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(early[0]!.body).toEqual({
      grant_type: "refresh_token",
      refresh_token: `refresh-${t.name}`,
      client_id: "fake-hubspot-client-id",
      client_secret: FAKE_CLIENT_SECRET,
    });
    const firstToken = early[1]!.headers.authorization;
    expect(firstToken).toMatch(/^Bearer fake-at-/);
    expect(early[2]!.headers.authorization).toBe(firstToken);

    await t.faults({ expire_tokens: true });
    for (let next = await reader.next(); !next.done; next = await reader.next()) pages.push(next.value);
    const log = (await t.requests()).slice(early.length);
    const live = (await t.records("contacts")).live.length;
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /crm/v3/objects/contacts 401",
      "POST /oauth/v1/token 200",
      ...Array(Math.ceil(live / 100) - 1).fill("GET /crm/v3/objects/contacts 200"),
    ]);
    expect(log[0]!.headers.authorization).toBe(firstToken);
    expect(log[2]!.headers.authorization).toMatch(/^Bearer fake-at-/);
    expect(log[2]!.headers.authorization).not.toBe(firstToken);
    expect(log[2]!.query).toEqual(log[0]!.query);
    expect(records(pages)).toHaveLength(live);
  });

  it("fails as a configuration error when the API still answers 401 after the one refresh, naming no secret", async () => {
    const t = tenant("revoked");
    await t.seed({ contacts: 20 });
    const sent: Array<{ url: string; status: number }> = [];
    // Every CRM call goes out with a token HubSpot does not know, as with an app uninstalled from the account.
    const revoked: typeof fetch = async (input, init) => {
      const url = String(input);
      const headers = new Headers(init?.headers);
      if (url.includes("/crm/")) headers.set("authorization", "Bearer revoked-token");
      const response = await fetch(input, { ...init, headers });
      sent.push({ url: new URL(url).pathname, status: response.status });
      return response;
    };
    const { error } = await readUntilError(context({ fetch: revoked }).ctx, t.oauthConfig(), readRequest("contacts", "full_refresh"));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toMatch(/^HubSpot rejected the credentials \(HTTP 401\): Authentication credentials not found/);
    expect(error.message).toContain("reconnect the OAuth app");
    expect(error.message).not.toContain(FAKE_CLIENT_SECRET);
    expect(error.message).not.toContain(`refresh-${t.name}`);
    expect(sent).toEqual([
      { url: "/oauth/v1/token", status: 200 },
      { url: "/crm/v3/properties/contacts", status: 401 },
      { url: "/oauth/v1/token", status: 200 },
      { url: "/crm/v3/properties/contacts", status: 401 },
    ]);
  });

  it("fails a bad private-app token at once, without retries", async () => {
    const sent: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      sent.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const { pages, error } = await readUntilError(context({ fetch: counting }).ctx, { access_token: "not-a-hubspot-token" }, readRequest("deals", "full_refresh"));
    expect(pages).toEqual([]);
    expect(error).toMatchObject({ kind: "configuration", details: { status: 401 } });
    expect(error.message).not.toContain("not-a-hubspot-token");
    expect(sent).toEqual(["/crm/v3/properties/deals"]);
  });

  it("reports a refresh token the token endpoint refuses as a configuration error, without the token", async () => {
    const t = tenant("badrefresh");
    const { error } = await readUntilError(context().ctx, t.oauthConfig({ refresh_token: "stale-refresh-value" }), readRequest("contacts", "full_refresh"));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toMatch(/could not obtain an access token: .*missing or invalid refresh token/);
    expect(error.message).not.toContain("stale-refresh-value");
  });

  it("says which credentials are missing before sending anything", async () => {
    const { error } = await readUntilError(context().ctx, { client_id: "only-the-id" }, readRequest("contacts", "full_refresh"));
    expect(error).toMatchObject({ kind: "configuration" });
    expect(error.message).toContain("access_token, or all of client_id, client_secret and refresh_token");
  });

  it("check() reads one contact with the configured credentials", async () => {
    const t = tenant("check");
    await hubspotConnector.check(context().ctx, t.config());
    const log = await t.requests();
    expect(log.map((r) => [r.method, r.path, r.query, r.status])).toEqual([["GET", "/crm/v3/objects/contacts", { limit: "1", archived: "false" }, 200]]);
    await t.faults({ missing_scopes: ["crm.objects.contacts.read"] });
    await expect(hubspotConnector.check(context().ctx, t.config())).rejects.toMatchObject({
      kind: "configuration",
      message: expect.stringContaining("crm.objects.contacts.read"),
    });
  });
});

describe("hubspot rate limits and server errors", () => {
  it("retries secondly 429s, honouring Retry-After when sent and backing off when not", async () => {
    const t = tenant("secondly");
    await t.seed({ tickets: 50 });
    // The fake sends Retry-After on every other 429 ("alternate"): 1 s on the first, none on the second.
    await t.faults({ fail_first: { count: 2, status: 429 } });
    const { ctx, sleeps } = context({ random: () => 0.25 });
    const pages = await readAll(ctx, t.config(), readRequest("tickets", "full_refresh"));
    const log = apiRequests(await t.requests());
    expect(log.map((r) => `${r.path} ${r.status}`)).toEqual([
      "/crm/v3/properties/tickets 429",
      "/crm/v3/properties/tickets 429",
      "/crm/v3/properties/tickets 200",
      "/crm/v3/objects/tickets 200",
    ]);
    // 1 s from Retry-After, then full-jitter backoff for attempt 2: 0.25 × 2 s.
    expect(sleeps).toEqual([1000, 500]);
    expect(records(pages)).toHaveLength((await t.records("tickets")).live.length);
  });

  it("waits the ten-secondly window's Retry-After in process", async () => {
    const t = tenant("tensecondly");
    await t.seed({ deals: 30 });
    await t.faults({ fail_first: { count: 1, status: 429, match: "/objects/" }, rate_limit_policy: "TEN_SECONDLY_ROLLING", retry_after: 10 });
    const { ctx, sleeps } = context();
    const pages = await readAll(ctx, t.config(), readRequest("deals", "full_refresh"));
    expect(sleeps).toEqual([10_000]);
    expect(records(pages)).toHaveLength((await t.records("deals")).live.length);
  });

  it("hands the daily limit to the engine as a retryable error an hour out, without waiting in process", async () => {
    const t = tenant("daily");
    await t.faults({ fail_first: { count: 1, status: 429 }, rate_limit_policy: "DAILY" });
    const { ctx, sleeps } = context();
    const { error } = await readUntilError(ctx, t.config(), readRequest("contacts", "full_refresh"));
    expect(error).toMatchObject({ kind: "retryable", details: { status: 429, retryAfterSeconds: 3600 } });
    expect(error.message).toMatch(/^HubSpot daily API limit reached \(policy DAILY\): You have reached your daily limit\./);
    expect(sleeps).toEqual([]);
    expect(await t.requests()).toHaveLength(1);
  });

  it("retries 5xx in process, and after five attempts leaves a retryable error for the engine", async () => {
    const t = tenant("fivexx");
    await t.seed({ companies: 30 });
    await t.faults({ fail_first: { count: 2, status: 502 } });
    const recovered = context({ random: () => 0 });
    const pages = await readAll(recovered.ctx, t.config(), readRequest("companies", "full_refresh"));
    expect(records(pages)).toHaveLength((await t.records("companies")).live.length);
    expect(recovered.sleeps).toHaveLength(2);

    await t.clearRequests();
    await t.faults({ fail_first: { count: 5, status: 503 } });
    const { error } = await readUntilError(context({ random: () => 0 }).ctx, t.config(), readRequest("companies", "full_refresh"));
    expect(error).toMatchObject({ kind: "retryable", details: { status: 503 } });
    expect(error.message).toContain("gave up after 5 attempts");
    expect((await t.requests()).map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
  });
});

describe("hubspot permission and stream failures", () => {
  it("names the missing object scope and keeps the pages already read", async () => {
    const t = tenant("scopes");
    await t.seed({ contacts: 260 });
    const reader = hubspotConnector.read(context().ctx, t.config(), readRequest("contacts", "full_refresh"))[Symbol.asyncIterator]();
    const first = (await reader.next()).value as Page;
    expect(first.records).toHaveLength(100);
    await t.faults({ missing_scopes: ["crm.objects.contacts.read"] });
    const failure = await reader.next().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      kind: "configuration",
      details: { status: 403 },
      message: "HubSpot refused the request (HTTP 403): the app lacks the scope(s) crm.objects.contacts.read. Grant them to the app and retry.",
    });
    // One 403, no retries: the page before it stays delivered, with the checkpoint to resume from once fixed.
    expect(apiRequests(await t.requests()).map((r) => r.status)).toEqual([200, 200, 403]);
    expect(first.checkpoint).toMatchObject({ phase: "list", next: { cursor: expect.any(String) } });
  });

  it("names the missing schema scope when the properties cannot be listed", async () => {
    const t = tenant("schemascope");
    await t.faults({ missing_scopes: ["crm.schemas.deals.read"] });
    const { pages, error } = await readUntilError(context().ctx, t.config(), readRequest("deals", "incremental"));
    expect(pages).toEqual([]);
    expect(error).toMatchObject({ kind: "configuration", message: expect.stringContaining("crm.schemas.deals.read") });
  });

  it("refuses a stream outside the catalog before any request", async () => {
    const t = tenant("unknown");
    const request = { ...readRequest("contacts", "full_refresh"), stream: { ...readRequest("contacts", "full_refresh").stream, name: "widgets" } };
    const { error } = await readUntilError(context().ctx, t.config(), request);
    expect(error).toMatchObject({ kind: "configuration", message: 'stream "widgets" is not a HubSpot stream this loader can read' });
    expect(await t.requests()).toEqual([]);
  });

  it("rejects a checkpoint it did not write", async () => {
    const t = tenant("badcheckpoint");
    const { error } = await readUntilError(context().ctx, t.config(), readRequest("contacts", "full_refresh", null, { next: null, done: false, cursor: null }));
    expect(error).toMatchObject({ kind: "data" });
  });

  it("stops between pages when the engine aborts, sending nothing more", async () => {
    const t = tenant("abort");
    await t.seed({ contacts: 400 });
    const { ctx, controller } = context();
    const reader = hubspotConnector.read(ctx, t.config(), readRequest("contacts", "full_refresh"))[Symbol.asyncIterator]();
    await reader.next();
    controller.abort();
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    expect(await t.requests()).toHaveLength(2);
  });
});
