/**
 * Wildcard HOST_OVERRIDES keys, X-Forwarded-Host, and raw query values with the other parts of the client that
 * touch a query (query-string credentials, redirects). test/kit/transport.test.ts sends the same over a real socket.
 */
import { describe, expect, it } from "vitest";
import { apiKey } from "../../connectors/kit/auth";
import { hostOverridesFromJson, overrideFor } from "../../connectors/kit/host-policy";
import { failure, reply, script, testClient } from "./fake-fetch";

const OVERRIDES = hostOverridesFromJson(
  JSON.stringify({
    "*.myshopify.com": "http://127.0.0.1:7001",
    "special.myshopify.com": "http://127.0.0.1:7002",
    "*.eu.api.example.com": "http://127.0.0.1:7003",
    "*.api.example.com": "http://127.0.0.1:7004",
    "*.S3.AmazonAWS.com": "http://127.0.0.1:7005/s3",
  }),
);

describe("wildcard overrides", () => {
  it.each([
    ["https://shop1.myshopify.com/admin", "http://127.0.0.1:7001"],
    ["https://a.b.myshopify.com/admin", "http://127.0.0.1:7001"],
    ["https://special.myshopify.com/admin", "http://127.0.0.1:7002"],
    ["https://us6.eu.api.example.com/3.0", "http://127.0.0.1:7003"],
    ["https://us6.api.example.com/3.0", "http://127.0.0.1:7004"],
    ["https://My-Bucket.s3.amazonaws.com/k", "http://127.0.0.1:7005/s3"],
    ["https://myshopify.com/admin", undefined],
    ["https://myshopify.com.evil.com/admin", undefined],
    ["https://evilmyshopify.com/admin", undefined],
    ["https://api.example.com/x", undefined],
  ])("%s → %s", (url, expected) => {
    expect(overrideFor(new URL(url), OVERRIDES)).toBe(expected);
  });

  it("sends an overridden request to the fake with X-Forwarded-Host, keeping path and query, and only in development", async () => {
    const { http, sent } = testClient(reply(200, {}), { hostOverrides: OVERRIDES });
    const result = await http.request({ url: "https://bucket-1.s3.amazonaws.com/logs/a.csv", query: { versionId: "3" } });
    await http.request({ url: "https://api.stripe.com/v1/charges" });
    expect(sent.map((r) => [r.url, r.headers["x-forwarded-host"]])).toEqual([
      ["http://127.0.0.1:7005/s3/logs/a.csv?versionId=3", "bucket-1.s3.amazonaws.com"],
      ["https://api.stripe.com/v1/charges", undefined],
    ]);
    expect(result.url).toBe("https://bucket-1.s3.amazonaws.com/logs/a.csv?versionId=3");

    const production = testClient(reply(200, {}), { hostOverrides: OVERRIDES, development: false });
    await production.http.request({ url: "https://shop1.myshopify.com/admin" });
    expect(production.sent.map((r) => [r.url, r.headers["x-forwarded-host"]])).toEqual([["https://shop1.myshopify.com/admin", undefined]]);
  });

  it("names the production host of each redirect hop", async () => {
    const { http, sent } = testClient(script(reply(302, "", { location: "https://shop2.myshopify.com/admin/b" }), reply(200, {})), { hostOverrides: OVERRIDES });
    await http.request({ url: "https://shop1.myshopify.com/admin/a" });
    expect(sent.map((r) => [r.url, r.headers["x-forwarded-host"]])).toEqual([
      ["http://127.0.0.1:7001/admin/a", "shop1.myshopify.com"],
      ["http://127.0.0.1:7001/admin/b", "shop2.myshopify.com"],
    ]);
  });
});

describe("raw query values", () => {
  const accounts = "List(urn%3Ali%3AsponsoredAccount%3A1,urn%3Ali%3AsponsoredAccount%3A2)";

  it("are appended after the URL's own and the encoded query, untouched, also when a credential joins the query", async () => {
    const { http, sent } = testClient(reply(200, {}), { auth: apiKey("oauth2_access_token", "query", "tok/en+1") });
    const result = await http.request({
      url: "https://api.linkedin.com/rest/adAnalytics?q=analytics",
      query: { pivot: "CAMPAIGN", timeGranularity: "DAILY" },
      rawQuery: { accounts, dateRange: "(start:(year:2024,month:1,day:1))" },
    });
    const query = `q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&accounts=${accounts}&dateRange=(start:(year:2024,month:1,day:1))`;
    expect(sent[0]?.url).toBe(`https://api.linkedin.com/rest/adAnalytics?${query}&oauth2_access_token=tok%2Fen%2B1`);
    expect(result.url).toBe(`https://api.linkedin.com/rest/adAnalytics?${query}`);
  });

  it("a query-string credential the URL already carries is replaced, as before raw values existed", async () => {
    const { http, sent } = testClient(reply(200, {}), { auth: apiKey("api_key", "query", "fresh") });
    await http.request({ url: "https://api.example.com/items?api_key=stale&page=2" });
    expect(sent[0]?.url).toBe("https://api.example.com/items?api_key=fresh&page=2");
  });

  it("refuses a raw value that would split or end the query", async () => {
    const { http, sent } = testClient(reply(200, {}));
    for (const value of ["a&b=c", "x#frag", "two words"]) {
      const error = await failure(http.request({ url: "https://api.linkedin.com/rest/x", rawQuery: { v: value } }));
      expect(error.kind).toBe("configuration");
    }
    expect(sent).toHaveLength(0);
  });
});
