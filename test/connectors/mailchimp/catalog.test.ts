/** The mailchimp catalog is what the connector reads: served as the spec says, and every stream reads in full. */
import { describe, expect, it } from "vitest";
import { mailchimpConnector } from "../../../connectors/mailchimp";
import { mailchimpStream } from "../../../connectors/mailchimp/streams";
import { servedLoaderType, servedStreams } from "../../helpers/connector";
import { context, mailchimpConfig, readAll, readRequest, records, type Truth, tenant } from "./harness";

function truthKeys(truth: Truth, name: string): string[] {
  const flat = (byParent: Record<string, any[]>) => Object.values(byParent).flat();
  switch (name) {
    case "lists":
      return truth.lists.map((l) => l.id);
    case "list_members":
      return flat(truth.members).map((m) => `${m.list_id}/${m.id}`);
    case "segments":
      return flat(truth.segments).map((s) => `${s.list_id}/${s.id}`);
    case "tags":
      return flat(truth.segments).filter((s) => s.type === "static").map((s) => `${s.list_id}/${s.id}`);
    case "interest_categories":
      return truth.lists.flatMap((l) => [0, 1].map((i) => `${l.id}/#${i}`));
    case "campaigns":
      return truth.campaigns.map((c) => c.id);
    case "reports":
      return truth.reports.map((r) => r.id);
    case "automations":
      return truth.automations.map((a) => a.id);
    case "email_activity":
      return flat(truth.activity).map((a) => `${a.campaign_id}/${a.email_id}/${a.action}/${a.timestamp}`);
    case "unsubscribes":
      return flat(truth.unsubscribes).map((u) => `${u.campaign_id}/${u.email_id}`);
  }
  throw new Error(`no truth for ${name}`);
}

describe("the mailchimp catalog is what the connector reads", () => {
  it("GET /loader-types serves exactly the connector's streams, each with an endpoint, and the reader", async () => {
    const entry = await servedLoaderType("mailchimp");
    expect(entry).toMatchObject({ api_version: "3.0", auth_method: "api_key|oauth2_access_token", reader_available: true });
    expect(entry.streams).toEqual(servedStreams(mailchimpConnector.streams));
    for (const s of entry.streams) expect(mailchimpStream(s.name), s.name).toBeDefined();
  });

  it.each(mailchimpConnector.streams.map((s) => s.name))("%s reads in full from the fake: one row per key", async (name) => {
    const t = tenant();
    await t.seed({ counts: { members: [120, 30] } });
    const rows = records(await readAll(context().ctx, mailchimpConfig(t), readRequest(name, "full_refresh")));
    const spec = mailchimpConnector.streams.find((s) => s.name === name)!;
    const truth = await t.truth();
    // Interest category ids are random: counted per audience instead.
    const keys =
      name === "interest_categories"
        ? rows.map((r) => `${r.list_id}/#${r.display_order}`)
        : rows.map((r) => spec.primary_key.map((k) => String(r[k])).join("/"));
    const expected = truthKeys(truth, name);
    expect(expected.length).toBeGreaterThan(0);
    expect(keys.sort()).toEqual(expected.sort());
    expect((await t.requests()).every((r) => r.status === 200)).toBe(true);
  });
});
