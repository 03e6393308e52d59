/**
 * The mailchimp reader against the Mailchimp fake: the data center from the key or OAuth metadata, the exact
 * requests (auth, count/offset, since_/before_ windows, sorts, exclude_fields), per-parent children, email activity
 * one row per action, resumption, 429s and credentials.
 */
import { describe, expect, it } from "vitest";
import type { SharedBudget } from "../../../connectors/kit/contract";
import { isConnectorError } from "../../../connectors/kit/errors";
import { mailchimpConnector } from "../../../connectors/mailchimp";
import { mailchimpSpec } from "../../../connectors/mailchimp/spec";
import { context, mailchimpConfig, mailchimpTime, readAll, readRequest, records, secondsOf, tenant } from "./harness";

describe("mailchimp members", () => {
  it("reads every member of every audience, 1000 a page with overlapping offsets, on the key's data center with Basic auth", async () => {
    const t = tenant("us6");
    const seeded = await t.seed({ counts: { members: [2100, 30] } });
    const at = new Date();
    const pages = await readAll(context({ at }).ctx, mailchimpConfig(t), readRequest("list_members", "full_refresh"));
    const truth = await t.truth();
    const rows = records(pages);
    const expected = seeded.lists.flatMap((l) => truth.members[l.id]!.map((m) => `${l.id}/${m.id}`));
    expect(new Set(rows.map((r) => `${r.list_id}/${r.id}`))).toEqual(new Set(expected));
    // Three pages for the big audience (offsets 0, 950, 1900), one for the small one; overlaps are re-read rows.
    expect(rows).toHaveLength(2100 + 100 + 30);
    const sample = truth.members[seeded.lists[0]!.id]![5];
    const { _links, ...fields } = sample;
    expect(rows.find((r) => r.id === sample.id)).toEqual({ ...fields, list_id: seeded.lists[0]!.id });
    const log = await t.requests();
    expect(log.every((r) => r.dc === "us6")).toBe(true);
    expect(log[0]!.path).toBe("/3.0/lists");
    expect(log[0]!.query).toEqual({ fields: "lists.id,total_items", offset: "0", count: "1000" });
    const members = log.filter((r) => r.path.endsWith("/members"));
    expect(members.map((r) => [r.path, r.query.offset])).toEqual([
      [`/3.0/lists/${seeded.lists[0]!.id}/members`, "0"],
      [`/3.0/lists/${seeded.lists[0]!.id}/members`, "950"],
      [`/3.0/lists/${seeded.lists[0]!.id}/members`, "1900"],
      [`/3.0/lists/${seeded.lists[1]!.id}/members`, "0"],
    ]);
    const upper = mailchimpTime(Math.floor(at.getTime() / 1000));
    expect(members[0]!.query).toEqual({ exclude_fields: "members._links", before_last_changed: upper, sort_field: "last_changed", sort_dir: "ASC", offset: "0", count: "1000" });
    expect(members[0]!.headers.authorization).toBe(`Basic ${btoa(`loaders:${t.key}`)}`);
    expect(pages.at(-1)!.state!.cursor).toBe(
      [...Object.values(truth.members).flat()].map((m) => m.last_changed).sort((a, b) => secondsOf(a) - secondsOf(b)).at(-1),
    );
  });

  it("incremental: since_last_changed one second below the cursor, before the read's start; changes and new members arrive", async () => {
    const t = tenant();
    const seeded = await t.seed({ counts: { members: [80, 20] } });
    const first = await readAll(context().ctx, mailchimpConfig(t), readRequest("list_members", "incremental"));
    const state = first.at(-1)!.state!;
    const change = await t.mutate({ type: "members", list: seeded.lists[1]!.id, update: 3, create: 2 });
    await t.clearRequests();
    const at = new Date(Date.now() + 5000);
    const second = await readAll(context({ at }).ctx, mailchimpConfig(t), readRequest("list_members", "incremental", state));
    const ids = records(second).map((r) => r.id);
    for (const id of [...change.updated, ...change.created]) expect(ids).toContain(id);
    const truth = await t.truth();
    const expected = Object.values(truth.members).flat().filter((m) => secondsOf(m.last_changed) >= secondsOf(state.cursor));
    expect(ids.sort()).toEqual(expected.map((m) => m.id).sort());
    const sent = (await t.requests()).filter((r) => r.path.endsWith("/members"));
    expect(sent[0]!.query.since_last_changed).toBe(mailchimpTime(secondsOf(state.cursor) - 1));
    expect(second.at(-1)!.state).toEqual({ cursor: mailchimpTime(change.time) });
  });

  it("resumes inside an audience from a checkpoint, with the same upper bound", async () => {
    const t = tenant();
    const seeded = await t.seed({ counts: { members: [2100, 10] } });
    const at = new Date();
    const config = mailchimpConfig(t);
    const all = await readAll(context({ at }).ctx, config, readRequest("list_members", "full_refresh"));
    await t.clearRequests();
    const rest = await readAll(context({ at: new Date(at.getTime() + 60_000) }).ctx, config, readRequest("list_members", "full_refresh", null, all[0]!.checkpoint));
    expect(records(rest).map((r) => r.id)).toEqual(records(all.slice(1)).map((r) => r.id));
    const log = await t.requests();
    expect(log[0]!.path).toBe(`/3.0/lists/${seeded.lists[0]!.id}/members`);
    expect(log[0]!.query.offset).toBe("950");
    expect(log[0]!.query.before_last_changed).toBe(mailchimpTime(Math.floor(at.getTime() / 1000)));
  });
});

describe("mailchimp audiences, campaigns and reports", () => {
  it("campaigns: since_create_time from the cursor, sorted by create_time; an incremental run sees new campaigns", async () => {
    const t = tenant();
    await t.seed({});
    const first = await readAll(context().ctx, mailchimpConfig(t), readRequest("campaigns", "incremental"));
    const truth = await t.truth();
    expect(records(first).map((r) => r.id).sort()).toEqual(truth.campaigns.map((c) => c.id).sort());
    const made = await t.mutate({ type: "campaigns", create: 2 });
    await t.clearRequests();
    const second = await readAll(context().ctx, mailchimpConfig(t), readRequest("campaigns", "incremental", first.at(-1)!.state!));
    expect(records(second).map((r) => r.id).sort()).toEqual(expect.arrayContaining(made.created));
    const [sent] = await t.requests();
    expect(sent!.query).toEqual({
      exclude_fields: "campaigns._links",
      since_create_time: mailchimpTime(secondsOf(first.at(-1)!.state!.cursor) - 1),
      sort_field: "create_time",
      sort_dir: "ASC",
      offset: "0",
      count: "1000",
    });
  });

  it("segments: since_updated_at / before_updated_at per audience; an incremental run sees the updated ones", async () => {
    const t = tenant();
    // The fake's clock a quarter of an hour back: its changes are then dated before the read's start.
    const seeded = await t.seed({ counts: { members: [30, 30] }, now: Math.floor(Date.now() / 1000) - 900 });
    const first = await readAll(context().ctx, mailchimpConfig(t), readRequest("segments", "incremental"));
    expect(records(first)).toHaveLength(6);
    const state = first.at(-1)!.state!;
    const changed = await t.mutate({ type: "segments", update: 1 });
    await t.clearRequests();
    const at = new Date();
    const second = await readAll(context({ at }).ctx, mailchimpConfig(t), readRequest("segments", "incremental", state));
    const keys = records(second).map((r) => `${r.list_id}/${r.id}`);
    const truth = await t.truth();
    const expected = Object.values(truth.segments).flat().filter((x) => secondsOf(x.updated_at) >= secondsOf(state.cursor));
    expect(keys.sort()).toEqual(expected.map((x) => `${x.list_id}/${x.id}`).sort());
    expect(records(second).filter((r) => changed.updated.includes(String(r.id))).map((r) => r.updated_at)).toEqual([mailchimpTime(changed.time), mailchimpTime(changed.time)]);
    const sent = await t.requests();
    expect(sent.filter((r) => r.path.endsWith("/segments")).map((r) => r.path)).toEqual(seeded.lists.map((l) => `/3.0/lists/${l.id}/segments`));
    for (const r of sent.filter((x) => x.path.endsWith("/segments"))) {
      expect(r.query).toMatchObject({ since_updated_at: mailchimpTime(secondsOf(state.cursor) - 1), before_updated_at: mailchimpTime(Math.floor(at.getTime() / 1000)), count: "1000" });
    }
    expect(second.at(-1)!.state).toEqual({ cursor: mailchimpTime(changed.time) });
  });

  it("email activity: one row per action, for every sent campaign; unsubscribes per campaign; reports, automations, lists", async () => {
    const t = tenant();
    await t.seed({ counts: { members: [300, 50] } });
    const truth = await t.truth();
    const config = mailchimpConfig(t);
    const activity = records(await readAll(context().ctx, config, readRequest("email_activity", "incremental")));
    const expected = Object.values(truth.activity).flat();
    expect(activity).toHaveLength(expected.length);
    const sample = expected[3];
    expect(activity.find((r) => r.email_id === sample.email_id && r.action === sample.action && r.campaign_id === sample.campaign_id)).toEqual({
      campaign_id: sample.campaign_id,
      list_id: sample.list_id,
      email_id: sample.email_id,
      email_address: sample.email_address,
      action: sample.action,
      type: sample.type,
      timestamp: sample.timestamp,
      url: sample.url,
      ip: sample.ip,
    });
    const unsubscribes = records(await readAll(context().ctx, config, readRequest("unsubscribes", "full_refresh")));
    expect(unsubscribes).toHaveLength(Object.values(truth.unsubscribes).flat().length);
    expect(records(await readAll(context().ctx, config, readRequest("reports", "full_refresh"))).map((r) => r.id).sort()).toEqual(truth.reports.map((r) => r.id).sort());
    expect(records(await readAll(context().ctx, config, readRequest("automations", "full_refresh")))).toHaveLength(truth.automations.length);
    expect(records(await readAll(context().ctx, config, readRequest("lists", "full_refresh")))).toHaveLength(2);
    const tags = records(await readAll(context().ctx, config, readRequest("tags", "full_refresh")));
    const staticSegments = Object.values(truth.segments).flat().filter((s) => s.type === "static");
    expect(tags.map((r) => `${r.list_id}/${r.id}`).sort()).toEqual(staticSegments.map((s) => `${s.list_id}/${s.id}`).sort());
    expect(records(await readAll(context().ctx, config, readRequest("interest_categories", "full_refresh")))).toHaveLength(4);
  });

  it("incremental email activity asks for activity since the cursor and keeps the state at or below the read's start", async () => {
    const t = tenant();
    await t.seed({ counts: { members: [200] } });
    const at = new Date();
    const first = await readAll(context({ at }).ctx, mailchimpConfig(t), readRequest("email_activity", "incremental"));
    const cursor = first.at(-1)!.state!.cursor as string;
    expect(secondsOf(cursor)).toBeLessThanOrEqual(Math.floor(at.getTime() / 1000));
    await t.clearRequests();
    const second = await readAll(context().ctx, mailchimpConfig(t), readRequest("email_activity", "incremental", { cursor }));
    expect(records(second).every((r) => secondsOf(r.timestamp) >= secondsOf(cursor))).toBe(true);
    const sent = (await t.requests()).filter((r) => r.path.endsWith("/email-activity"));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.query.since === mailchimpTime(secondsOf(cursor) - 1))).toBe(true);
  });
});

describe("mailchimp data centers, limits and credentials", () => {
  it("OAuth: asks login.mailchimp.com for the data center, then reads there with the bearer", async () => {
    const t = tenant("us3");
    await t.seed({ counts: { members: [5] } });
    await t.oauth(`tok-${t.name}`);
    const config = mailchimpSpec.config.parse({ access_token: `tok-${t.name}` });
    const rows = records(await readAll(context().ctx, config, readRequest("lists", "full_refresh")));
    expect(rows).toHaveLength(1);
    const log = await t.requests();
    expect(log.map((r) => [r.path, r.dc])).toEqual([
      ["/oauth2/metadata", null],
      ["/3.0/lists", "us3"],
    ]);
    expect(log[0]!.headers.authorization).toBe(`OAuth tok-${t.name}`);
    expect(log[1]!.headers.authorization).toBe(`Bearer tok-${t.name}`);
  });

  it("OAuth: a resumed chunk takes the data center from its checkpoint instead of asking the metadata endpoint again", async () => {
    const t = tenant("us9");
    await t.seed({ counts: { members: [1500] } });
    await t.oauth(`tok-${t.name}`);
    const config = mailchimpSpec.config.parse({ access_token: `tok-${t.name}` });
    const all = await readAll(context().ctx, config, readRequest("list_members", "full_refresh"));
    expect(all[0]!.checkpoint.dc).toBe("us9");
    await t.clearRequests();
    expect(all).toHaveLength(2);
    const rest = await readAll(context().ctx, config, readRequest("list_members", "full_refresh", null, all[0]!.checkpoint));
    expect(records(rest)).toHaveLength(550);
    expect(records(rest).map((r) => r.id)).toEqual(records(all.slice(1)).map((r) => r.id));
    const log = await t.requests();
    expect(log.map((r) => [r.path, r.dc, r.query.offset])).toEqual([[expect.stringMatching(/\/members$/), "us9", "950"]]);
  });

  it("an OAuth token the metadata endpoint refuses is a configuration error", async () => {
    const config = mailchimpSpec.config.parse({ access_token: "nobody" });
    const error = await readAll(context().ctx, config, readRequest("lists", "full_refresh")).catch((e) => e);
    expect(isConnectorError(error) && error.kind).toBe("configuration");
    expect(error.message).toContain("invalid_token");
  });

  it("a key whose suffix is not the account's data center fails as 401 API Key Invalid, without retries", async () => {
    const t = tenant("us7");
    await t.seed({});
    const error = await readAll(context().ctx, mailchimpConfig(t, { api_key: `${t.name}-us8` }), readRequest("lists", "full_refresh")).catch((e) => e);
    expect(error.kind).toBe("configuration");
    expect(error.message).toContain("API Key Invalid");
    expect(error.message).not.toContain(t.name);
  });

  it("429 Too Many Requests is retried with backoff and the read completes", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ sequence: ["too_many_requests", "ok", "too_many_requests", "503"] });
    const { ctx, sleeps } = context({ random: () => 0.5 });
    const rows = records(await readAll(ctx, mailchimpConfig(t), readRequest("automations", "full_refresh")));
    expect(rows).toHaveLength(3);
    expect(sleeps).toHaveLength(1);
    const served = await t.served();
    expect(served).toEqual({ too_many_requests: 1 });
  });

  it("a revoked key fails the read as a configuration error after one request", async () => {
    const t = tenant();
    await t.seed({});
    await t.faults({ revoke: true });
    const error = await readAll(context().ctx, mailchimpConfig(t), readRequest("campaigns", "full_refresh")).catch((e) => e);
    expect(error.kind).toBe("configuration");
    expect(await t.requests()).toHaveLength(1);
  });

  it("holds one of the shared budget's 10 connection slots for each request, and releases it", async () => {
    const t = tenant("us5");
    await t.seed({ counts: { members: [1500, 20] } });
    const slots: Array<[string, number]> = [];
    let held = 0;
    let most = 0;
    const budget: SharedBudget = {
      take: async () => {
        throw new Error("mailchimp holds slots, it takes no tokens");
      },
      observe: async () => {},
      slot: async (key, limit) => {
        slots.push([key, limit]);
        most = Math.max(most, ++held);
        return { release: async () => void held-- };
      },
      pause: async () => {},
    };
    const { ctx } = context();
    const rows = records(await readAll({ ...ctx, budget }, mailchimpConfig(t), readRequest("list_members", "full_refresh")));
    expect(new Set(rows.map((r) => r.id)).size).toBe(1520);
    const requests = await t.requests();
    expect(slots).toHaveLength(requests.length);
    expect(new Set(slots.map(([key, limit]) => `${key}/${limit}`))).toEqual(new Set(["mailchimp:us5:connections/10"]));
    expect(held).toBe(0);
    expect(most).toBe(1);
  });

  it("check pings the key's data center", async () => {
    const t = tenant("us2");
    await t.seed({ counts: { members: [1] } });
    await mailchimpConnector.check(context().ctx, mailchimpConfig(t));
    expect((await t.requests()).map((r) => [r.dc, r.path])).toEqual([["us2", "/3.0/ping"]]);
  });
});
