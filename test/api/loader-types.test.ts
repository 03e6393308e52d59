import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace } from "../helpers/api";

const SEED_TYPES = [
  "salesforce", "hubspot", "stripe", "shopify", "ga4", "facebook_ads", "google_ads", "linkedin_ads",
  "klaviyo", "mailchimp", "postgresql", "mysql", "rest_api", "google_sheets", "s3",
];

describe("GET /loader-types", () => {
  it("serves all fifteen seed types with schema, secrets and streams", async () => {
    const owner = await bootstrapWorkspace();
    const res = await as(owner)("/loader-types");
    expect(res.status).toBe(200);
    expect(res.json.map((t: any) => t.type).sort()).toEqual([...SEED_TYPES].sort());
    for (const t of res.json) {
      expect(t, t.type).toMatchObject({
        title: expect.any(String),
        category: expect.any(String),
        auth_method: expect.any(String),
        config_schema: expect.objectContaining({ type: "object" }),
        secret_fields: expect.any(Array),
        credential_sets: expect.any(Array),
        streams: expect.any(Array),
        streams_discovered_from_config: expect.any(Boolean),
        reader_available: expect.any(Boolean),
      });
      for (const path of t.secret_fields) {
        const top = path.split(".")[0];
        expect(Object.keys(t.config_schema.properties ?? {}), `${t.type} secret ${path}`).toContain(top);
      }
      if (!t.streams_discovered_from_config) expect(t.streams.length, t.type).toBeGreaterThan(0);
      for (const s of t.streams) {
        if (s.supported_sync_modes.includes("incremental")) expect(s.cursor_field, `${t.type}.${s.name}`).toBeTruthy();
      }
    }
    const salesforce = res.json.find((t: any) => t.type === "salesforce");
    expect(salesforce.streams.map((s: any) => s.name)).toEqual(expect.arrayContaining(["Account", "Contact", "Lead", "Opportunity", "User"]));
    expect(salesforce.secret_fields).toEqual(expect.arrayContaining(["client_secret", "refresh_token"]));
    const rest = res.json.find((t: any) => t.type === "rest_api");
    expect(rest).toMatchObject({ streams_discovered_from_config: true, streams: [], reader_available: true });
    expect(rest.secret_fields).toEqual(expect.arrayContaining(["auth.token", "auth.value", "auth.password"]));
  });
});
