/**
 * The GA4 fake against Google's own client: `@google-analytics/data` (BetaAnalyticsDataClient) over its REST
 * fallback, authenticating as its default does with a self-signed service-account JWT, which the fake verifies
 * against the registered public key. runReport (string values, YYYYMMDD dates, rowCount, offset/limit, property
 * quota, rows absent when empty), getMetadata, and the PERMISSION_DENIED / INVALID_ARGUMENT / RESOURCE_EXHAUSTED
 * answers as the client surfaces them.
 */
import { generateKeyPairSync } from "node:crypto";
import { BetaAnalyticsDataClient } from "@google-analytics/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseFigure } from "../fakes/ga4/ga4";
import { type GoogleFake, startGoogleFake } from "../fakes/google-oauth/server";

let fake: GoogleFake;

beforeAll(async () => {
  fake = await startGoogleFake();
});
afterAll(() => fake.close());

function setup(viewer = true, extra: Record<string, unknown> = {}) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  const email = `ga-${crypto.randomUUID().slice(0, 6)}@p.iam.gserviceaccount.com`;
  fake.issuer.addServiceAccount(email, publicKey);
  const id = String(200_000_000 + Math.floor(Math.random() * 1e8));
  fake.ga4.put(id, { viewers: viewer ? [email] : [], time_zone: "UTC", ...extra });
  const client = new BetaAnalyticsDataClient({ fallback: true, protocol: "http", apiEndpoint: "127.0.0.1", port: fake.port, credentials: { client_email: email, private_key: privateKey } } as never);
  return { id, email, client };
}

const utcDate = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describe("GA4 fake with @google-analytics/data", () => {
  it("runReport: string values, YYYYMMDD dates, rowCount against offset/limit, property quota", async () => {
    const { id, client } = setup();
    const [first] = await client.runReport({
      property: `properties/${id}`,
      dateRanges: [{ startDate: "2daysAgo", endDate: "today" }],
      dimensions: [{ name: "date" }, { name: "deviceCategory" }],
      metrics: [{ name: "sessions" }, { name: "bounceRate" }],
      orderBys: [{ dimension: { dimensionName: "date" } }, { dimension: { dimensionName: "deviceCategory" } }],
      limit: 4,
      offset: 0,
      returnPropertyQuota: true,
    });
    expect(first.rowCount).toBe(9);
    expect(first.rows).toHaveLength(4);
    expect(first.metricHeaders).toEqual([expect.objectContaining({ name: "sessions", type: "TYPE_INTEGER" }), expect.objectContaining({ name: "bounceRate", type: "TYPE_FLOAT" })]);
    const day = utcDate(2);
    expect(first.rows?.[0]?.dimensionValues?.map((v) => v.value)).toEqual([day.replaceAll("-", ""), "desktop"]);
    expect(first.rows?.[0]?.metricValues?.[0]?.value).toBe(String(baseFigure(id, day, ["desktop"], "sessions")));
    expect(first.propertyQuota?.tokensPerHour).toMatchObject({ consumed: 10, remaining: 39_990 });
    expect(first.metadata?.timeZone).toBe("UTC");
    const [last] = await client.runReport({
      property: `properties/${id}`,
      dateRanges: [{ startDate: "2daysAgo", endDate: "today" }],
      dimensions: [{ name: "date" }, { name: "deviceCategory" }],
      metrics: [{ name: "sessions" }],
      limit: 4,
      offset: 8,
    });
    expect(last.rows).toHaveLength(1);
    const [none] = await client.runReport({ property: `properties/${id}`, dateRanges: [{ startDate: "2030-01-01", endDate: "2030-01-02" }], metrics: [{ name: "sessions" }] });
    expect(none.rows ?? []).toEqual([]);
  });

  it("getMetadata lists the dimensions and metrics a custom report may use", async () => {
    const { id, client } = setup();
    const [metadata] = await client.getMetadata({ name: `properties/${id}/metadata` });
    expect(metadata.dimensions?.map((d) => d.apiName)).toEqual(expect.arrayContaining(["date", "sessionSource", "customEvent:plan"]));
    expect(metadata.metrics?.find((m) => m.apiName === "averageSessionDuration")?.type).toBe("TYPE_SECONDS");
  });

  it("PERMISSION_DENIED, INVALID_ARGUMENT and RESOURCE_EXHAUSTED reach the client with Google's status and message", async () => {
    const denied = setup(false);
    await expect(denied.client.runReport({ property: `properties/${denied.id}`, dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessions" }] })).rejects.toThrow(
      /User does not have sufficient permissions for this property/,
    );
    const { id, client } = setup(true, { tokens_per_hour: 10, token_cost: 10 });
    await expect(client.runReport({ property: `properties/${id}`, dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessionz" }] })).rejects.toThrow(/sessionz is not a valid metric/);
    await client.runReport({ property: `properties/${id}`, dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessions" }] });
    await expect(client.runReport({ property: `properties/${id}`, dateRanges: [{ startDate: "today", endDate: "today" }], metrics: [{ name: "sessions" }] })).rejects.toThrow(/Exhausted property tokens per hour/);
    expect(fake.ga4.requests(id).map((r) => r.status)).toEqual([400, 200, 429]);
  });
});
