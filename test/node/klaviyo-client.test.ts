/**
 * The Klaviyo fake against the vendor's own client (`klaviyo-api` 23, pointed at it with `basePath`) and plain
 * fetch: cursor pages through links.next, filters, sparse fieldsets, includes, the revision header, rate windows
 * with Retry-After (which the client honours by itself), and the JSON:API error bodies.
 */
import { ApiKeySession, CampaignsApi, EventsApi, FlowsApi, ListsApi, ProfilesApi } from "klaviyo-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { startKlaviyoFake } from "../fakes/klaviyo/server";
import type { LoggedRequest } from "../fakes/klaviyo/tenants";
import { controlClient } from "../helpers/fake-control";

let fake: RunningFake;
let base: string;

beforeAll(async () => {
  fake = await startKlaviyoFake();
  base = `http://127.0.0.1:${fake.port}`;
});
afterAll(() => fake.close());

const tenantName = () => `kl${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;

function setup(name = tenantName()) {
  const control = controlClient(`${base}/_fake/${name}`);
  const session = new ApiKeySession(`pk_${name}`);
  const api = <T extends { basePath: string }>(Api: new (s: ApiKeySession) => T): T => {
    const client = new Api(session);
    client.basePath = base;
    return client;
  };
  return {
    name,
    control,
    profiles: api(ProfilesApi),
    events: api(EventsApi),
    campaigns: api(CampaignsApi),
    flows: api(FlowsApi),
    lists: api(ListsApi),
    requests: async () => (await control<{ data: LoggedRequest[] }>("GET", "requests")).data,
    objects: async (type: string) => (await control<{ data: any[] }>("GET", `objects/${type}`)).data,
  };
}

/** The cursor the client takes: it accepts the whole links.next URL and extracts page[cursor] itself. */
async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<{ body: { data: T[]; links?: { next?: string } } }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const { body } = await fetchPage(cursor);
    out.push(...body.data);
    cursor = body.links?.next ?? undefined;
  } while (cursor);
  return out;
}

describe("klaviyo-api pages through the fake", () => {
  it("lists every profile once, sorted by updated, following links.next; each request carries the key and a revision", async () => {
    const t = setup();
    await t.control("POST", "seed", { counts: { profiles: 230 } });
    const got = await allPages((pageCursor) => t.profiles.getProfiles({ pageSize: 100, sort: "updated", ...(pageCursor ? { pageCursor } : {}) }));
    const truth = await t.objects("profile");
    expect(got).toHaveLength(230);
    expect(new Set(got.map((p: any) => p.id))).toEqual(new Set(truth.map((p) => p.id)));
    const updated = got.map((p: any) => new Date(p.attributes.updated).getTime());
    expect([...updated].sort((a, b) => a - b)).toEqual(updated);
    const log = await t.requests();
    expect(log).toHaveLength(3);
    for (const entry of log) {
      expect(entry.headers.authorization).toBe(`Klaviyo-API-Key pk_${t.name}`);
      expect(entry.headers.revision).toMatch(/^\d{4}-\d{2}-15$/);
      expect(entry.query["page[size]"]).toBe("100");
      expect(entry.query.sort).toBe("updated");
    }
    expect(log[0]!.query["page[cursor]"]).toBeUndefined();
    expect(log[1]!.query["page[cursor]"]).toEqual(expect.any(String));
  });

  it("filters events by datetime (unquoted), includes metric and profile, and applies sparse fieldsets", async () => {
    const t = setup();
    await t.control("POST", "seed", { counts: { events: 300 } });
    const truth = await t.objects("event");
    const sorted = truth.map((e) => e.attributes.datetime as string).sort((a, b) => Date.parse(a) - Date.parse(b));
    const from = sorted[100]!;
    const expected = truth.filter((e) => Date.parse(e.attributes.datetime) >= Date.parse(from));
    const filter = `greater-or-equal(datetime,${from.replace("+00:00", "Z")})`;
    const pages: any[] = [];
    let cursor: string | undefined;
    do {
      const { response, body } = await t.events.getEvents({ filter, sort: "datetime", include: ["metric", "profile"], fieldsEvent: ["datetime", "uuid"], ...(cursor ? { pageCursor: cursor } : {}) });
      // The raw document: the client's models fill every known attribute, sent or not.
      pages.push(response.data);
      cursor = body.links?.next ?? undefined;
    } while (cursor);
    const events = pages.flatMap((p) => p.data);
    expect(events.map((e: any) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(Object.keys(events[0].attributes).sort()).toEqual(["datetime", "uuid"]);
    expect(events[0].relationships.metric.data).toEqual({ type: "metric", id: expected.find((e) => e.id === events[0].id)!.relationships.metric.data.id });
    expect(pages[0].included.some((r: any) => r.type === "metric")).toBe(true);
    expect(pages[0].included.some((r: any) => r.type === "profile")).toBe(true);
    // 200 a page by default.
    expect(pages[0].data).toHaveLength(Math.min(200, expected.length));
  });

  it("campaigns need a channel filter: without one the client gets Klaviyo's 400 error document", async () => {
    const t = setup();
    await t.control("POST", "seed", {});
    const email = await t.campaigns.getCampaigns("equals(messages.channel,'email')");
    const truth = await t.objects("campaign");
    expect(email.body.data.map((c: any) => c.id).sort()).toEqual(truth.filter((c) => c.channel === "email").map((c) => c.id).sort());
    const error = await t.campaigns.getCampaigns("equals(status,'Sent')").catch((e) => e);
    expect(error.response.status).toBe(400);
    expect(error.response.data.errors[0]).toMatchObject({ status: 400, code: "invalid", source: { parameter: "filter" } });
    expect(error.response.data.errors[0].detail).toContain("channel filter is required");
  });

  it("a quoted datetime in a filter is a 400", async () => {
    const t = setup();
    const res = await fetch(`${base}/api/profiles?filter=${encodeURIComponent("greater-than(updated,'2024-01-01T00:00:00Z')")}`, {
      headers: { authorization: `Klaviyo-API-Key pk_${t.name}`, revision: "2026-10-15" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].detail).toContain("not quoted");
  });

  it("the client waits out a 429's Retry-After before it retries (burst window of a shrunk tier)", async () => {
    const t = setup();
    await t.control("POST", "seed", {});
    await t.control("POST", "limits", { flows: { burst: 1, steady: 100 } });
    await Promise.all([t.flows.getFlows(), t.flows.getFlows()]);
    const log = (await t.requests()).filter((r) => r.path === "/api/flows");
    const throttled = log.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    for (const refused of throttled) {
      expect(refused.retry_after).toBeGreaterThanOrEqual(1);
      const retry = log.find((r) => r.at > refused.at && r.status === 200 && log.indexOf(r) > log.indexOf(refused));
      expect(retry!.at - refused.at).toBeGreaterThanOrEqual(refused.retry_after! * 1000 - 1000);
      // Fixed windows: the retry lands in a later one-second window than the refusal.
      expect(Math.floor(retry!.at / 1000)).toBeGreaterThan(Math.floor(refused.at / 1000));
    }
    expect(log.filter((r) => r.status === 200)).toHaveLength(2);
  });
});

describe("klaviyo fake wire details", () => {
  const get = (path: string, headers: Record<string, string>) => fetch(`${base}${path}`, { headers });

  it("401 without credentials or with a bad key, 403 for a key without the scope, each as a JSON:API error document", async () => {
    const t = setup();
    const missing = await get("/api/profiles", { revision: "2026-10-15" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).errors[0]).toMatchObject({ status: 401, code: "not_authenticated", title: "Authentication credentials were not provided." });
    const bad = await get("/api/profiles", { revision: "2026-10-15", authorization: "Klaviyo-API-Key not-a-key" });
    expect(((await bad.json()) as any).errors[0].code).toBe("authentication_failed");
    await t.control("POST", "scopes", { scopes: ["profiles:read"] });
    const denied = await get("/api/events", { revision: "2026-10-15", authorization: `Klaviyo-API-Key pk_${t.name}` });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).errors[0]).toMatchObject({ code: "permission_denied" });
    expect((await get("/api/profiles", { revision: "2026-10-15", authorization: `Klaviyo-API-Key pk_${t.name}` })).status).toBe(200);
  });

  it("requires a revision header and refuses malformed or retired revisions", async () => {
    const t = setup();
    const auth = { authorization: `Klaviyo-API-Key pk_${t.name}` };
    expect((await get("/api/lists", auth)).status).toBe(400);
    expect((await get("/api/lists", { ...auth, revision: "2026-10-16" })).status).toBe(400);
    expect((await get("/api/lists", { ...auth, revision: "2024-07-15" })).status).toBe(410);
    const ok = await get("/api/lists", { ...auth, revision: "2026-10-15" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit-limit")).toBe("750");
    expect(ok.headers.get("content-type")).toBe("application/vnd.api+json");
  });

  it("a 429 carries Retry-After and the throttled error body instead of RateLimit headers", async () => {
    const t = setup();
    await t.control("POST", "faults", { sequence: ["throttled"], retry_after: 3 });
    const res = await get("/api/metrics", { revision: "2026-10-15", authorization: `Klaviyo-API-Key pk_${t.name}` });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.headers.get("ratelimit-remaining")).toBeNull();
    expect(((await res.json()) as any).errors[0]).toMatchObject({ status: 429, code: "throttled", detail: "Request was throttled. Expected available in 3 seconds." });
  });

  it("OAuth: a refresh token is exchanged at /oauth/token with HTTP Basic client credentials, and the bearer reads", async () => {
    const t = setup();
    await t.control("POST", "oauth", { client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-1" });
    const token = await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`app${t.name}:s3cret`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&refresh_token=rt-1",
    });
    const grant = (await token.json()) as any;
    expect(grant).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const read = await get("/api/lists", { revision: "2026-10-15", authorization: `Bearer ${grant.access_token}` });
    expect(read.status).toBe(200);
    const log = await t.requests();
    expect(log.at(-1)!.quota).toBe(`app${t.name}`);
    const refused = await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`app${t.name}:s3cret`).toString("base64")}` },
      body: "grant_type=refresh_token&refresh_token=rt-unknown",
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("list memberships carry joined_group_at and filter on it", async () => {
    const t = setup();
    await t.control("POST", "seed", {});
    const list = (await t.objects("list"))[0];
    const members = (await t.control<{ data: Array<{ profile_id: string; joined_group_at: number }> }>("GET", `memberships/${list.id}`)).data;
    const got = await allPages((pageCursor) => t.lists.getProfilesForList(list.id, { pageSize: 100, fieldsProfile: ["email"], ...(pageCursor ? { pageCursor } : {}) }));
    expect(got.map((p: any) => p.id).sort()).toEqual(members.map((m) => m.profile_id).sort());
    const res = await get(`/api/lists/${list.id}/profiles?fields[profile]=joined_group_at`, { revision: "2026-10-15", authorization: `Klaviyo-API-Key pk_${t.name}` });
    const body = (await res.json()) as any;
    expect(Object.keys(body.data[0].attributes)).toEqual(["joined_group_at"]);
  });
});
