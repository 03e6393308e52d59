/**
 * The Ads fake against the REST requests of Google's own examples (https://developers.google.com/google-ads/api/rest/examples
 * and the REST reference): Google's Node client for the Ads API speaks gRPC only, so plain HTTP as the examples send
 * it is the proof. listAccessibleCustomers, searchStream's array of batches, search pages of 10,000 with
 * nextPageToken and PAGE_SIZE_NOT_SUPPORTED, the required headers, and GoogleAdsFailure bodies.
 */
import { generateKeyPairSync, createSign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GoogleFake, startGoogleFake } from "../fakes/google-oauth/server";

let fake: GoogleFake;
let base: string;

beforeAll(async () => {
  fake = await startGoogleFake();
  base = `http://127.0.0.1:${fake.port}`;
});
afterAll(() => fake.close());

/** An access token the way the examples get one: a service account's assertion exchanged at the token endpoint. */
async function accessToken(email: string): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  fake.issuer.addServiceAccount(email, publicKey);
  const now = Math.floor(Date.now() / 1000);
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iss: email, scope: "https://www.googleapis.com/auth/adwords", aud: "https://oauth2.googleapis.com/token", iat: now, exp: now + 3600 })}`;
  const assertion = `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
  const response = await fetch(`${base}/token`, { method: "POST", body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }) });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe("Ads fake with Google's REST examples", () => {
  it("lists accessible customers and streams a GAQL query as one JSON array of batches", async () => {
    const email = `ads-${crypto.randomUUID().slice(0, 6)}@p.iam.gserviceaccount.com`;
    const token = await accessToken(email);
    fake.ads.addDeveloperToken("DEVTOKEN1", true);
    fake.ads.put("1234567890", { users: [email], campaigns: 3, batch_rows: 2 });
    const headers = { "Content-Type": "application/json", "developer-token": "DEVTOKEN1", Authorization: `Bearer ${token}` };
    const listed = await fetch(`${base}/v24/customers:listAccessibleCustomers`, { headers });
    expect(await listed.json()).toEqual({ resourceNames: ["customers/1234567890"] });
    const streamed = await fetch(`${base}/v24/customers/1234567890/googleAds:searchStream`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: "SELECT campaign.id, campaign.name, campaign.status FROM campaign ORDER BY campaign.id" }),
    });
    const batches = (await streamed.json()) as Array<{ results: any[]; fieldMask: string; requestId: string }>;
    expect(batches.map((b) => b.results.length)).toEqual([2, 1]);
    expect(batches[0]!.fieldMask).toBe("campaign.id,campaign.name,campaign.status");
    expect(batches[0]!.results[0]).toEqual({ campaign: { resourceName: "customers/1234567890/campaigns/123410001", id: "123410001", name: "Campaign 1", status: "ENABLED" } });
  });

  it("search pages by nextPageToken and refuses pageSize; missing headers and bad queries answer GoogleAdsFailure", async () => {
    const email = `ads-${crypto.randomUUID().slice(0, 6)}@p.iam.gserviceaccount.com`;
    const token = await accessToken(email);
    fake.ads.addDeveloperToken("DEVTOKEN2", true);
    fake.ads.put("2234567890", { users: [email], campaigns: 1 });
    const headers = { "Content-Type": "application/json", "developer-token": "DEVTOKEN2", Authorization: `Bearer ${token}` };
    const url = `${base}/v24/customers/2234567890/googleAds:search`;
    const page = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: "SELECT campaign.id FROM campaign" }) });
    expect(await page.json()).toEqual({ results: [{ campaign: { resourceName: "customers/2234567890/campaigns/223410001", id: "223410001" } }], fieldMask: "campaign.id" });
    const sized = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: "SELECT campaign.id FROM campaign", pageSize: 100 }) });
    expect(sized.status).toBe(400);
    expect(JSON.stringify(await sized.json())).toContain("PAGE_SIZE_NOT_SUPPORTED");
    const noToken = await fetch(url, { method: "POST", headers: { ...headers, "developer-token": "" }, body: JSON.stringify({ query: "SELECT campaign.id FROM campaign" }) });
    expect(noToken.status).toBe(401);
    const failure = (await noToken.json()) as any;
    expect(failure.error.details[0]["@type"]).toBe("type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure");
    expect(failure.error.details[0].errors[0].errorCode).toEqual({ authenticationError: "DEVELOPER_TOKEN_PARAMETER_MISSING" });
    const bad = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: "SELECT campaign.nam FROM campaign" }) });
    expect(((await bad.json()) as any).error.details[0].errors[0]).toMatchObject({ errorCode: { queryError: "UNRECOGNIZED_FIELD" } });
    const undated = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: "SELECT campaign.id, segments.date FROM campaign" }) });
    expect(undated.status).toBe(400);
  });
});
