/**
 * The klaviyo reader against the Klaviyo fake: the exact requests (revision, auth, filters, sorts, page sizes,
 * includes, sparse fieldsets), the records (attributes lifted, included relationships as id columns), incremental
 * windows, the events cursor that never runs ahead of the read, memberships per group, resumption, rate limits and
 * credentials.
 */
import { describe, expect, it } from "vitest";
import { klaviyoConnector } from "../../../connectors/klaviyo";
import { SETTLE_SECONDS } from "../../../connectors/klaviyo/read";
import { klaviyoSpec } from "../../../connectors/klaviyo/spec";
import type { SharedBudget } from "../../../connectors/kit/contract";
import { isConnectorError } from "../../../connectors/kit/errors";
import { context, filterTime, klaviyoConfig, readAll, readRequest, records, secondsOf, tenant } from "./harness";

const REVISION = "2026-10-15";

describe("klaviyo resources", () => {
  it("reads every profile once, sorted by updated, 100 a page through links.next, with the pinned revision and the key", async () => {
    const t = tenant();
    await t.seed({ counts: { profiles: 230 } });
    const { ctx } = context();
    const pages = await readAll(ctx, klaviyoConfig(t), readRequest("profiles", "full_refresh"));
    const truth = await t.objects("profile");
    const rows = records(pages);
    expect(rows).toHaveLength(230);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(truth.map((p) => p.id)));
    const sample = truth[17];
    expect(rows.find((r) => r.id === sample.id)).toMatchObject({
      id: sample.id,
      type: "profile",
      email: sample.attributes.email,
      first_name: sample.attributes.first_name,
      updated: sample.attributes.updated,
      created: sample.attributes.created,
      properties: sample.attributes.properties,
      subscriptions: sample.attributes.subscriptions,
    });
    expect(rows[0]).not.toHaveProperty("attributes");
    expect(rows[0]).not.toHaveProperty("links");
    const log = await t.requests();
    expect(log).toHaveLength(3);
    expect(log[0]!.query).toEqual({ "page[size]": "100", sort: "updated", "additional-fields[profile]": "subscriptions" });
    expect(log[1]!.query).toEqual({ "page[size]": "100", sort: "updated", "additional-fields[profile]": "subscriptions", "page[cursor]": expect.any(String) });
    for (const entry of log) {
      expect(entry.headers).toMatchObject({ revision: REVISION, authorization: `Klaviyo-API-Key ${t.key}`, accept: "application/vnd.api+json" });
    }
    expect(pages.at(-1)!.state).toEqual({ cursor: truth.map((p) => p.attributes.updated).sort((a, b) => secondsOf(a) - secondsOf(b)).at(-1) });
  });

  it("incremental: greater-than one second below the committed updated, so the committed second is read again; changes arrive", async () => {
    const t = tenant();
    await t.seed({});
    const { ctx } = context();
    const first = await readAll(ctx, klaviyoConfig(t), readRequest("profiles", "incremental"));
    const state = first.at(-1)!.state!;
    const changed = await t.mutate({ type: "profiles", update: 4, create: 2 });
    await t.clearRequests();
    // A run that starts after the changes (the state never passes the start of the read).
    const second = await readAll(context({ at: new Date(Date.now() + 5000) }).ctx, klaviyoConfig(t), readRequest("profiles", "incremental", state));
    const ids = records(second).map((r) => r.id);
    for (const id of [...changed.updated, ...changed.created]) expect(ids).toContain(id);
    const truth = await t.objects("profile");
    const atCommitted = truth.filter((p) => secondsOf(p.attributes.updated) >= secondsOf(state.cursor));
    expect(ids.sort()).toEqual(atCommitted.map((p) => p.id).sort());
    const [sent] = await t.requests();
    expect(sent!.query.filter).toBe(`greater-than(updated,${filterTime(secondsOf(state.cursor) - 1)})`);
    expect(second.at(-1)!.state).toEqual({ cursor: new Date(changed.time * 1000).toISOString().replace(".000Z", "+00:00") });
  });

  it("campaigns: one phase per channel, each with the channel filter the API requires, and the channel and ids as columns", async () => {
    const t = tenant();
    await t.seed({});
    const { ctx } = context();
    const pages = await readAll(ctx, klaviyoConfig(t), readRequest("campaigns", "incremental", { cursor: "2020-01-01T00:00:00+00:00" }));
    const truth = await t.objects("campaign");
    const rows = records(pages);
    expect(rows.map((r) => r.id).sort()).toEqual(truth.map((c) => c.id).sort());
    for (const campaign of truth) {
      expect(rows.find((r) => r.id === campaign.id)).toMatchObject({
        channel: campaign.channel,
        name: campaign.attributes.name,
        updated_at: campaign.attributes.updated_at,
        campaign_message_ids: campaign.relationships["campaign-messages"].data.map((m: any) => m.id),
        tag_ids: campaign.relationships.tags.data.map((m: any) => m.id),
      });
    }
    const log = await t.requests();
    expect(log.map((r) => r.query.filter)).toEqual([
      "and(equals(messages.channel,'email'),greater-or-equal(updated_at,2020-01-01T00:00:00Z))",
      "and(equals(messages.channel,'sms'),greater-or-equal(updated_at,2020-01-01T00:00:00Z))",
    ]);
    expect(log[0]!.query).toMatchObject({ "page[size]": "100", sort: "updated_at", include: "campaign-messages,tags" });
  });

  it("metrics take no filter: read in full, kept from the committed cursor on", async () => {
    const t = tenant();
    await t.seed({});
    const truth = await t.objects("metric");
    const sortedUpdates = truth.map((m) => m.attributes.updated).sort((a, b) => secondsOf(a) - secondsOf(b));
    const cursor = sortedUpdates[2];
    const { ctx } = context();
    const rows = records(await readAll(ctx, klaviyoConfig(t), readRequest("metrics", "incremental", { cursor })));
    expect(rows.map((r) => r.id).sort()).toEqual(truth.filter((m) => secondsOf(m.attributes.updated) >= secondsOf(cursor)).map((m) => m.id).sort());
    expect((await t.requests())[0]!.query).toEqual({});
  });
});

describe("klaviyo events", () => {
  it("includes metric and profile as id columns, 1000 a page, up to (not including) the read's start less the settling time", async () => {
    const t = tenant();
    await t.seed({ counts: { events: 1300 } });
    const at = new Date();
    const { ctx } = context({ at });
    const pages = await readAll(ctx, klaviyoConfig(t), readRequest("events", "full_refresh"));
    const truth = await t.objects("event");
    const rows = records(pages);
    expect(rows).toHaveLength(1300);
    const sample = truth[99];
    expect(rows.find((r) => r.id === sample.id)).toEqual({
      id: sample.id,
      type: "event",
      datetime: sample.attributes.datetime,
      timestamp: sample.attributes.timestamp,
      uuid: sample.attributes.uuid,
      event_properties: sample.attributes.event_properties,
      metric_id: sample.relationships.metric.data.id,
      profile_id: sample.relationships.profile.data.id,
    });
    const log = await t.requests();
    expect(log).toHaveLength(2);
    const upper = filterTime(Math.floor(at.getTime() / 1000) - SETTLE_SECONDS);
    expect(log[0]!.query).toEqual({ "page[size]": "1000", sort: "datetime", filter: `less-than(datetime,${upper})`, include: "metric,profile" });
  });

  it("never moves its cursor past the read: an event dated tomorrow is read by the first run after tomorrow, and nothing between is lost", async () => {
    const t = tenant();
    await t.seed({ counts: { events: 50 } });
    const now = Date.now();
    const future = new Date(now + 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const ahead = await t.mutate({ type: "events", create: 1, datetime: future });
    const first = await readAll(context({ at: new Date(now) }).ctx, klaviyoConfig(t), readRequest("events", "incremental"));
    expect(records(first).map((r) => r.id)).not.toContain(ahead.created[0]);
    const state = first.at(-1)!.state!;
    expect(secondsOf(state.cursor)).toBeLessThanOrEqual(now / 1000 - SETTLE_SECONDS);
    // Events that happen after the first run, dated before the future one.
    const later = await t.mutate({ type: "events", create: 3, datetime: new Date(now + 3_600_000).toISOString() });
    const second = await readAll(context({ at: new Date(now + 7_200_000) }).ctx, klaviyoConfig(t), readRequest("events", "incremental", state));
    const secondIds = records(second).map((r) => r.id);
    for (const id of later.created) expect(secondIds).toContain(id);
    expect(secondIds).not.toContain(ahead.created[0]);
    const third = await readAll(context({ at: new Date(now + 2 * 86_400_000) }).ctx, klaviyoConfig(t), readRequest("events", "incremental", second.at(-1)!.state!));
    expect(records(third).map((r) => r.id)).toContain(ahead.created[0]);
    const sent = (await t.requests()).map((r) => r.query.filter);
    expect(sent.at(-1)).toBe(`and(greater-or-equal(datetime,${filterTime(secondsOf(second.at(-1)!.state!.cursor))}),less-than(datetime,${filterTime(Math.floor(now / 1000) + 2 * 86_400 - SETTLE_SECONDS)}))`);
  });

  it("resumes after a checkpoint's page with the same upper bound; a finished checkpoint reads nothing", async () => {
    const t = tenant();
    await t.seed({ counts: { events: 2100 } });
    const at = new Date();
    const config = klaviyoConfig(t);
    const all = await readAll(context({ at }).ctx, config, readRequest("events", "full_refresh"));
    expect(all).toHaveLength(3);
    await t.clearRequests();
    const rest = await readAll(context({ at: new Date(at.getTime() + 60_000) }).ctx, config, readRequest("events", "full_refresh", null, all[0]!.checkpoint));
    expect(records(rest).map((r) => r.id)).toEqual(records(all.slice(1)).map((r) => r.id));
    const log = await t.requests();
    expect(log[0]!.query["page[cursor]"]).toEqual(expect.any(String));
    expect(log[0]!.query.filter).toBe(`less-than(datetime,${filterTime(Math.floor(at.getTime() / 1000) - SETTLE_SECONDS)})`);
    expect(await readAll(context().ctx, config, readRequest("events", "full_refresh", null, all.at(-1)!.checkpoint))).toEqual([]);
  });
});

describe("klaviyo memberships", () => {
  it("one row per (list, profile), read per list with fields[profile]=joined_group_at, sorted by it", async () => {
    const t = tenant();
    await t.seed({});
    const lists = await t.objects("list");
    const { ctx } = context();
    const rows = records(await readAll(ctx, klaviyoConfig(t), readRequest("list_memberships", "incremental")));
    const expected: string[] = [];
    for (const list of lists) for (const m of await t.memberships(list.id)) expected.push(`${list.id}/${m.profile_id}`);
    expect(rows.map((r) => `${r.list_id}/${r.profile_id}`).sort()).toEqual(expected.sort());
    expect(Object.keys(rows[0]!).sort()).toEqual(["joined_group_at", "list_id", "profile_id"]);
    const log = await t.requests();
    expect(log.filter((r) => r.path === "/api/lists")).toHaveLength(2);
    const perList = log.filter((r) => r.path !== "/api/lists");
    // Lists in the API's order (by id), each list once.
    expect(perList.map((r) => r.path)).toEqual(lists.map((l) => l.id).sort().map((id) => `/api/lists/${id}/profiles`));
    expect(perList[0]!.query).toMatchObject({ "fields[profile]": "joined_group_at", "page[size]": "100", sort: "joined_group_at" });
  });

  it("incremental segment memberships: only profiles that joined since the cursor", async () => {
    const t = tenant();
    await t.seed({});
    const segment = (await t.objects("segment"))[1];
    const { ctx } = context();
    const first = await readAll(ctx, klaviyoConfig(t), readRequest("segment_memberships", "incremental"));
    const added = await t.mutate({ type: "memberships", group: segment.id, add: 3 });
    const second = await readAll(context({ at: new Date(Date.now() + 5000) }).ctx, klaviyoConfig(t), readRequest("segment_memberships", "incremental", first.at(-1)!.state!));
    const rows = records(second).filter((r) => secondsOf(r.joined_group_at) === added.time);
    expect(rows.map((r) => r.profile_id).sort()).toEqual([...added.created].sort());
    expect(rows.every((r) => r.segment_id === segment.id)).toBe(true);
  });
});

describe("klaviyo rate limits and credentials", () => {
  it("waits exactly the Retry-After of each 429 in process, then reads on", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ sequence: ["throttled", "ok", "throttled"], retry_after: 2 });
    const { ctx, sleeps } = context();
    const rows = records(await readAll(ctx, klaviyoConfig(t), readRequest("lists", "full_refresh")));
    expect(rows).toHaveLength(12);
    expect(sleeps).toEqual([2000, 2000]);
    expect((await t.requests()).map((r) => r.status)).toEqual([429, 200, 429, 200]);
  });

  it("a Retry-After longer than the client's in-process wait hands the chunk back to the engine with that delay", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ sequence: ["throttled"], retry_after: 45 });
    const { ctx, sleeps } = context();
    const error = await readAll(ctx, klaviyoConfig(t), readRequest("flows", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("retryable");
    expect(error.details.retryAfterSeconds).toBe(45);
    expect(sleeps).toEqual([]);
  });

  it("a revoked key fails at once as a configuration error quoting Klaviyo, without the key", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ revoke: true });
    const error = await readAll(context().ctx, klaviyoConfig(t), readRequest("profiles", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("configuration");
    expect(error.message).toContain("Klaviyo rejected the credentials (HTTP 401, authentication_failed)");
    expect(error.message).not.toContain(t.key);
    expect(await t.requests()).toHaveLength(1);
  });

  it("a key without the scope fails with the missing scope named", async () => {
    const t = tenant();
    await t.seed({});
    await t.control("POST", "scopes", { scopes: ["profiles:read"] });
    const error = await readAll(context().ctx, klaviyoConfig(t), readRequest("events", "full_refresh")).catch((e) => e);
    expect(error.kind).toBe("configuration");
    expect(error.message).toContain("events:read");
  });

  it("OAuth: exchanges the refresh token with Basic client credentials once, then reads with the bearer", async () => {
    const t = tenant();
    await t.seed({});
    await t.oauth({ client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-1" });
    const config = klaviyoSpec.config.parse({ client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-1" });
    const rows = records(await readAll(context().ctx, config, readRequest("templates", "full_refresh")));
    expect(rows).toHaveLength(14);
    const log = await t.requests();
    expect(log.map((r) => r.path)).toEqual(["/oauth/token", "/api/templates", "/api/templates"]);
    expect(log[0]!.headers.authorization).toBe(`Basic ${btoa(`app${t.name}:s3cret`)}`);
    expect(log[1]!.headers.authorization).toMatch(/^Bearer kat_/);
    expect(log[1]!.quota).toBe(`app${t.name}`);
  });

  it("takes each request from the shared budget's bucket for the endpoint's tier, reports RateLimit-Remaining, and pauses the key on a 429", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ sequence: ["throttled"], retry_after: 2 });
    const calls: unknown[][] = [];
    const budget: SharedBudget = {
      take: async (key, cost, bucket) => void calls.push(["take", key, cost, bucket]),
      observe: async (key, report) => void calls.push(["observe", key, report]),
      slot: async () => {
        throw new Error("klaviyo takes tokens, not slots");
      },
      pause: async (key, seconds) => void calls.push(["pause", key, seconds]),
    };
    const { ctx, sleeps } = context();
    const rows = records(await readAll({ ...ctx, budget }, klaviyoConfig(t), readRequest("lists", "full_refresh")));
    expect(rows).toHaveLength(12);
    expect(sleeps).toEqual([2000]);
    const key = "klaviyo:key:/lists";
    const bucket = { capacity: 75, refillPerSecond: 12.5 };
    expect(calls).toEqual([
      ["take", key, 1, bucket],
      ["pause", key, 2],
      ["observe", key, { available: expect.any(Number) }],
      ["take", key, 1, bucket],
      ["observe", key, { available: expect.any(Number) }],
    ]);
    const remaining = calls.filter((c) => c[0] === "observe").map((c) => (c[2] as { available: number }).available);
    expect(remaining[1]).toBe(remaining[0]! - 1);
  });

  it("OAuth: an access token that dies mid-read is renewed once and the read goes on; a revoked refresh token is a configuration error", async () => {
    const t = tenant();
    await t.seed({ counts: { profiles: 250 } });
    await t.oauth({ client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-1" });
    const config = klaviyoSpec.config.parse({ client_id: `app${t.name}`, client_secret: "s3cret", refresh_token: "rt-1" });
    const rows: unknown[] = [];
    let pages = 0;
    for await (const page of klaviyoConnector.read(context().ctx, config, readRequest("profiles", "full_refresh"))) {
      rows.push(...page.records);
      if (++pages === 1) await t.control("POST", "expire-tokens");
    }
    expect(rows).toHaveLength(250);
    const log = await t.requests();
    expect(log.map((r) => `${r.path} ${r.status}`)).toEqual(["/oauth/token 200", "/api/profiles 200", "/api/profiles 401", "/oauth/token 200", "/api/profiles 200", "/api/profiles 200"]);
    expect(log[4]!.headers.authorization).not.toBe(log[1]!.headers.authorization);

    await t.control("POST", "oauth-revoke", { refresh_token: "rt-1" });
    const error = await readAll(context().ctx, config, readRequest("lists", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("configuration");
    expect(error.message).toContain("invalid_grant");
    expect(error.message).not.toContain("rt-1");
  });

  it("check reads one list", async () => {
    const t = tenant();
    await t.seed({});
    await klaviyoConnector.check(context().ctx, klaviyoConfig(t));
    expect((await t.requests()).map((r) => [r.path, r.query])).toEqual([["/api/lists", { "page[size]": "1" }]]);
  });
});
