/** The klaviyo catalog is what the connector reads: served as the spec says, and every stream reads in full. */
import { describe, expect, it } from "vitest";
import { klaviyoConnector } from "../../../connectors/klaviyo";
import { klaviyoStream } from "../../../connectors/klaviyo/streams";
import { servedLoaderType, servedStreams } from "../../helpers/connector";
import { context, klaviyoConfig, readAll, readRequest, records, type Tenant, tenant } from "./harness";

async function truthKeys(t: Tenant, name: string): Promise<string[]> {
  const group = name === "list_memberships" ? "list" : name === "segment_memberships" ? "segment" : null;
  if (group) {
    const keys: string[] = [];
    for (const g of await t.objects(group)) for (const m of await t.memberships(g.id)) keys.push(`${g.id}/${m.profile_id}`);
    return keys;
  }
  return (await t.objects(name.replace(/s$/, ""))).map((r) => r.id);
}

describe("the klaviyo catalog is what the connector reads", () => {
  it("GET /loader-types serves exactly the connector's streams, each with an endpoint, and the reader", async () => {
    const entry = await servedLoaderType("klaviyo");
    expect(entry).toMatchObject({ api_version: "2026-10-15", auth_method: "api_key|oauth2_refresh_token", reader_available: true });
    expect(entry.streams).toEqual(servedStreams(klaviyoConnector.streams));
    for (const s of entry.streams) expect(klaviyoStream(s.name), s.name).toBeDefined();
  });

  it.each(klaviyoConnector.streams.map((s) => s.name))("%s reads in full from the fake: one row per key, each once", async (name) => {
    const t = tenant();
    await t.seed({});
    const rows = records(await readAll(context().ctx, klaviyoConfig(t), readRequest(name, "full_refresh")));
    const spec = klaviyoConnector.streams.find((s) => s.name === name)!;
    const keys = rows.map((r) => spec.primary_key.map((k) => String(r[k])).join("/"));
    const expected = await truthKeys(t, name);
    expect(expected.length).toBeGreaterThan(0);
    expect(keys.sort()).toEqual(expected.sort());
    expect((await t.requests()).every((r) => r.status === 200)).toBe(true);
  });
});
