/**
 * The Mailchimp fake against the vendor's own client (`@mailchimp/mailchimp_marketing`) and plain fetch. The client
 * builds `https://<server>.api.mailchimp.com/3.0` from `setConfig({ server })` and has no port option, so the test
 * sets the client instance's base URL to the same host over http and hands Node's HTTP agent a connection to the
 * fake: the client still addresses `<dc>.api.mailchimp.com` (the Host header the fake reads the datacenter from),
 * and the package itself is untouched.
 */
import http from "node:http";
import mailchimp from "@mailchimp/mailchimp_marketing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { type LoggedRequest, startMailchimpFake } from "../fakes/mailchimp/server";
import { controlClient } from "../helpers/fake-control";

let fake: RunningFake;
let base: string;
const originalAgent = http.globalAgent;

beforeAll(async () => {
  fake = await startMailchimpFake();
  base = `http://127.0.0.1:${fake.port}`;
  // superagent asks for `agent: false`, for which Node builds a fresh agent of the global agent's class.
  const port = fake.port;
  class ToTheFake extends http.Agent {
    override createConnection(options: any, callback: any) {
      return super.createConnection({ ...options, host: "127.0.0.1", port }, callback);
    }
  }
  http.globalAgent = new ToTheFake();
  (mailchimp as any).basePath = "http://server.api.mailchimp.com/3.0";
});

afterAll(async () => {
  http.globalAgent = originalAgent;
  await fake.close();
});

const hexTenant = () => crypto.randomUUID().replaceAll("-", "").slice(0, 16);

async function setup(counts?: object, dc = "us21") {
  const name = hexTenant();
  const control = controlClient(`${base}/_fake/${name}`);
  const seeded = await control<{ api_key: string; lists: Array<{ id: string; members: number }> }>("POST", "seed", { dc, ...(counts ? { counts } : {}) });
  return {
    name,
    key: seeded.api_key,
    lists: seeded.lists,
    control,
    requests: async () => (await control<{ data: LoggedRequest[] }>("GET", "requests")).data,
    objects: () => control<any>("GET", "objects"),
  };
}

describe("@mailchimp/mailchimp_marketing against the fake", () => {
  it("pages a list's members with count/offset through to total_items, with Basic auth on the key's datacenter", async () => {
    const t = await setup({ members: [230, 5] });
    mailchimp.setConfig({ apiKey: t.key, server: "us21" });
    const seen: string[] = [];
    let offset = 0;
    let total = Infinity;
    while (offset < total) {
      const page: any = await mailchimp.lists.getListMembersInfo(t.lists[0]!.id, { count: 100, offset, sortField: "last_changed", sortDir: "ASC" });
      seen.push(...page.members.map((m: any) => m.id));
      total = page.total_items;
      offset += page.members.length;
    }
    const truth = (await t.objects()).members[t.lists[0]!.id];
    expect(seen).toHaveLength(230);
    expect(new Set(seen)).toEqual(new Set(truth.map((m: any) => m.id)));
    const log = await t.requests();
    expect(log.map((r) => r.query.offset)).toEqual(["0", "100", "200"]);
    for (const entry of log) {
      expect(entry.dc).toBe("us21");
      expect(entry.headers.authorization).toBe(`Basic ${Buffer.from(`user:${t.key}`).toString("base64")}`);
      expect(entry.query).toMatchObject({ count: "100", sort_field: "last_changed", sort_dir: "ASC" });
    }
  });

  it("since_last_changed returns only members changed after it; the id is the MD5 of the lower-cased email", async () => {
    const t = await setup({ members: [60] });
    mailchimp.setConfig({ apiKey: t.key, server: "us21" });
    const before = await mailchimp.lists.getListMembersInfo(t.lists[0]!.id, { count: 1000 });
    const changed = await t.control<{ time: number; updated: string[]; created: string[] }>("POST", "mutate", { type: "members", update: 3, create: 2 });
    const since = new Date((changed.time - 1) * 1000).toISOString();
    const page: any = await mailchimp.lists.getListMembersInfo(t.lists[0]!.id, { count: 1000, sinceLastChanged: since });
    expect(page.members.map((m: any) => m.id).sort()).toEqual([...changed.updated, ...changed.created].sort());
    const { createHash } = await import("node:crypto");
    for (const m of (before as any).members) expect(m.id).toBe(createHash("md5").update(m.email_address.toLowerCase()).digest("hex"));
  });

  it("campaigns filter on create and send times; reports, email activity and unsubscribes are per campaign", async () => {
    const t = await setup();
    mailchimp.setConfig({ apiKey: t.key, server: "us21" });
    const truth = await t.objects();
    const all: any = await mailchimp.campaigns.list({ count: 1000 });
    expect(all.campaigns).toHaveLength(truth.campaigns.length);
    const created = await t.control<{ time: number; created: string[] }>("POST", "mutate", { type: "campaigns", create: 2 });
    const fresh: any = await mailchimp.campaigns.list({ count: 1000, sinceCreateTime: new Date((created.time - 1) * 1000).toISOString() });
    expect(fresh.campaigns.map((c: any) => c.id).sort()).toEqual([...created.created].sort());
    const reports: any = await mailchimp.reports.getAllCampaignReports({ count: 1000 });
    expect(reports.reports.map((r: any) => r.id).sort()).toEqual(truth.reports.map((r: any) => r.id).sort());
    const sent = truth.reports[0].id;
    const activity: any = await mailchimp.reports.getEmailActivityForCampaign(sent, { count: 1000 });
    expect(activity.emails.flatMap((e: any) => e.activity)).toHaveLength(truth.activity[sent].length);
    const unsubscribed: any = await mailchimp.reports.getUnsubscribedListForCampaign(sent, { count: 1000 });
    expect(unsubscribed.total_items).toBe(truth.unsubscribes[sent].length);
    const automations: any = await mailchimp.automations.list();
    expect(automations.automations).toHaveLength(truth.automations.length);
  });

  it("a key used on another datacenter fails as Mailchimp documents it: 401 API Key Invalid, problem+json", async () => {
    const t = await setup(undefined, "us7");
    mailchimp.setConfig({ apiKey: t.key, server: "us21" });
    const error: any = await mailchimp.lists.getAllLists().catch((e: unknown) => e);
    expect(error.status).toBe(401);
    expect(error.response.headers["content-type"]).toContain("application/problem+json");
    expect(JSON.parse(error.response.text)).toMatchObject({
      type: "https://mailchimp.com/developer/marketing/docs/errors/",
      title: "API Key Invalid",
      status: 401,
      detail: "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
      instance: expect.any(String),
    });
    mailchimp.setConfig({ apiKey: t.key, server: "us7" });
    expect(((await mailchimp.lists.getAllLists()) as any).lists).toHaveLength(3);
  });

  it("OAuth: the metadata endpoint names the datacenter, and the bearer token reads there", async () => {
    const t = await setup(undefined, "us3");
    await t.control("POST", "oauth", { access_token: `tok${t.name}` });
    const meta = await fetch(`${base}/oauth2/metadata`, { headers: { authorization: `OAuth tok${t.name}` } });
    expect(await meta.json()).toMatchObject({ dc: "us3", api_endpoint: "https://us3.api.mailchimp.com" });
    const bad = await fetch(`${base}/oauth2/metadata`, { headers: { authorization: "OAuth nope" } });
    expect(bad.status).toBe(200);
    expect(await bad.json()).toEqual({ error: "invalid_token" });
    mailchimp.setConfig({ accessToken: `tok${t.name}`, server: "us3" });
    expect(((await mailchimp.ping.get()) as any).health_status).toBe("Everything's Chimpy!");
  });
});

describe("mailchimp fake wire details", () => {
  it("more than 10 simultaneous connections of one key get 429 Too Many Requests", async () => {
    const t = await setup({ members: [5] });
    // Held long enough that all twelve are in flight together, even on a loaded machine.
    await t.control("POST", "faults", { slow_ms: 1500 });
    const auth = { authorization: `Basic ${Buffer.from(`x:${t.key}`).toString("base64")}`, "x-forwarded-host": "us21.api.mailchimp.com" };
    const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(`${base}/3.0/lists`, { headers: auth })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const refused = answers.find((r) => r.status === 429)!;
    expect(await refused.json()).toMatchObject({ status: 429, title: "Too Many Requests", detail: "You have exceeded the limit of 10 simultaneous connections." });
    const log = await t.requests();
    expect(log.filter((r) => r.status === 429).every((r) => r.in_flight > 10)).toBe(true);
    expect(log.filter((r) => r.status === 200).every((r) => r.in_flight <= 10)).toBe(true);
  });

  it("count above 1000 is a 400 with the field named; fields and exclude_fields shape the body", async () => {
    const t = await setup({ members: [5] });
    const auth = { authorization: `Basic ${Buffer.from(`x:${t.key}`).toString("base64")}` };
    const tooMany = await fetch(`${base}/3.0/lists?count=1001`, { headers: auth });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as any).errors).toEqual([{ field: "count", message: expect.stringContaining("1000") }]);
    const slim = (await (await fetch(`${base}/3.0/lists/${t.lists[0]!.id}/members?fields=members.id,total_items`, { headers: auth })).json()) as any;
    expect(Object.keys(slim).sort()).toEqual(["members", "total_items"]);
    expect(Object.keys(slim.members[0])).toEqual(["id"]);
    const noLinks = (await (await fetch(`${base}/3.0/lists?exclude_fields=lists._links`, { headers: auth })).json()) as any;
    expect(noLinks.lists[0]._links).toBeUndefined();
  });
});
