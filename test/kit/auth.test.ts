import { describe, expect, it } from "vitest";
import { apiKey, basic, googleServiceAccount, googleServiceAccountFromJson, oauth2ClientCredentials, oauth2RefreshToken } from "../../connectors/kit/auth";
import type { TokenRequest, TokenStore } from "../../connectors/kit/contract";
import { base64Url, bytesFromBase64 } from "../../connectors/kit/base64";
import { failure, reply, type SentRequest, testClient } from "./fake-fetch";
import { rsaKeyPair as keyPair } from "./rsa-keys";

const API = "https://api.example.com";
const TOKEN_URL = "https://login.example.com/services/oauth2/token";

describe("static credentials", () => {
  it("puts an API key in the query of the request sent, never in the URL a connector sees or in errors", async () => {
    const { http, sent } = testClient(reply(200, {}), { auth: apiKey("api_key", "query", "k-secret-1") });
    const result = await http.request({ url: `${API}/items`, query: { page: 1 } });
    expect(sent[0]?.url).toBe(`${API}/items?page=1&api_key=k-secret-1`);
    expect(result.url).toBe(`${API}/items?page=1`);

    const failing = testClient(reply(400, "bad key k-secret-1"), { auth: apiKey("api_key", "query", "k-secret-1") });
    const error = await failure(failing.http.request({ url: `${API}/items` }));
    expect(error.message).not.toContain("k-secret-1");
  });

  it("puts an API key in a header", async () => {
    const { http, sent } = testClient(reply(200, {}), { auth: apiKey("X-API-Key", "header", "k2") });
    await http.request({ url: `${API}/items` });
    expect(sent[0]?.headers["x-api-key"]).toBe("k2");
    expect(sent[0]?.url).toBe(`${API}/items`);
  });

  it("encodes basic credentials as UTF-8 (RFC 7617)", async () => {
    const { http, sent } = testClient(reply(200, {}), { auth: basic("jürgen", "pä:ss") });
    await http.request({ url: `${API}/items` });
    const encoded = sent[0]?.headers.authorization?.replace(/^Basic /, "") ?? "";
    expect(new TextDecoder().decode(bytesFromBase64(encoded))).toBe("jürgen:pä:ss");
  });
});

/** A token endpoint plus an API that accepts only the newest token issued, until `endSession()` ends it. */
function oauthServer(responses: Array<Record<string, unknown> | { status: number; body: unknown }>) {
  let issued = 0;
  let current: string | undefined;
  const handle = (request: SentRequest) => {
    if (request.url === TOKEN_URL) {
      const next = responses[issued++] ?? { status: 500, body: { error: "script exhausted" } };
      if ("status" in next && typeof next.status === "number") return new Response(JSON.stringify(next.body), { status: next.status });
      current = String((next as { access_token: unknown }).access_token);
      return new Response(JSON.stringify(next), { status: 200 });
    }
    return request.headers.authorization === `Bearer ${current}`
      ? new Response(JSON.stringify({ ok: true }))
      : new Response('{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}', { status: 401 });
  };
  return Object.assign(handle, {
    endSession: () => {
      current = undefined;
    },
  });
}

const form = (request: SentRequest | undefined) => Object.fromEntries(new URLSearchParams(request?.body ?? ""));

describe("oauth2RefreshToken", () => {
  it("caches the token until expires_in minus 60 s", async () => {
    let now = 1_000_000;
    const { http, sent } = testClient(
      oauthServer([
        { access_token: "a1", expires_in: 3600 },
        { access_token: "a2", expires_in: 3600 },
      ]),
      { auth: oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt", now: () => now }) },
    );
    await http.request({ url: `${API}/1` });
    await http.request({ url: `${API}/2` });
    now += 3539_000;
    await http.request({ url: `${API}/3` });
    now += 2_000;
    await http.request({ url: `${API}/4` });
    expect(sent.map((r) => `${r.url} ${r.headers.authorization ?? ""}`.trim())).toEqual([
      TOKEN_URL,
      `${API}/1 Bearer a1`,
      `${API}/2 Bearer a1`,
      `${API}/3 Bearer a1`,
      TOKEN_URL,
      `${API}/4 Bearer a2`,
    ]);
  });

  it("keeps a token without expires_in until the API answers 401 (Salesforce)", async () => {
    const seen: unknown[] = [];
    const { http, sent } = testClient(
      (request) => {
        if (request.url === TOKEN_URL) {
          const n = sent.filter((r) => r.url === TOKEN_URL).length;
          return new Response(JSON.stringify({ access_token: `s${n}`, instance_url: "https://acme.my.salesforce.com" }));
        }
        // The first session dies after two calls, as an org's session timeout would end it.
        return request.headers.authorization === "Bearer s1" && sent.length > 3
          ? new Response('[{"errorCode":"INVALID_SESSION_ID"}]', { status: 401 })
          : new Response("{}");
      },
      { auth: oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt", onToken: (t) => seen.push(t.instance_url) }) },
    );
    for (const path of ["/a", "/b", "/c"]) await http.request({ url: `${API}${path}` });
    expect(sent.map((r) => `${r.url} ${r.headers.authorization ?? ""}`.trim())).toEqual([
      TOKEN_URL,
      `${API}/a Bearer s1`,
      `${API}/b Bearer s1`,
      `${API}/c Bearer s1`,
      TOKEN_URL,
      `${API}/c Bearer s2`,
    ]);
    expect(seen).toEqual(["https://acme.my.salesforce.com", "https://acme.my.salesforce.com"]);
  });

  it("without a token store, uses a rotated refresh token for its next refresh and redacts both", async () => {
    const server = oauthServer([
      { access_token: "a1", refresh_token: "rt-2" },
      { access_token: "a2", refresh_token: "rt-3" },
    ]);
    const auth = oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt-1" });
    const { http, sent } = testClient(server, { auth });
    await http.request({ url: `${API}/a` });
    server.endSession();
    await http.request({ url: `${API}/b` });
    expect(sent.filter((r) => r.url === TOKEN_URL).map((r) => form(r).refresh_token)).toEqual(["rt-1", "rt-2"]);
    expect(sent.at(-1)?.headers.authorization).toBe("Bearer a2");
    expect(auth.secretValues()).toEqual(expect.arrayContaining(["sec", "rt-1", "rt-2", "rt-3", "a2"]));
  });

  it("with a token store, asks it for every token, naming the refused one, and refreshes with the token it hands out", async () => {
    const asked: TokenRequest[] = [];
    // A store as the engine's behaves for one chunk: it holds the newest refresh token (rotated by another chunk).
    let current = "rt-rotated-elsewhere";
    const tokens: TokenStore = {
      async token(request, obtain) {
        asked.push(request);
        const { refresh_token: rotated, ...response } = await obtain(current);
        if (rotated) current = rotated;
        return response;
      },
    };
    const server = oauthServer([
      { access_token: "a1", refresh_token: "rt-next" },
      { access_token: "a2", refresh_token: "rt-last" },
    ]);
    const auth = oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt-configured", tokens });
    const { http, sent } = testClient(server, { auth });
    await http.request({ url: `${API}/a` });
    server.endSession();
    await http.request({ url: `${API}/b` });
    expect(asked).toEqual([
      { field: "refresh_token", refreshToken: "rt-configured" },
      { field: "refresh_token", refreshToken: "rt-configured", rejected: "a1" },
    ]);
    expect(sent.filter((r) => r.url === TOKEN_URL).map((r) => form(r).refresh_token)).toEqual(["rt-rotated-elsewhere", "rt-next"]);
    expect(sent.at(-1)?.headers.authorization).toBe("Bearer a2");
    expect(auth.secretValues()).toEqual(expect.arrayContaining(["rt-configured", "rt-rotated-elsewhere", "rt-next", "rt-last"]));
  });

  it("sends client credentials in a Basic header when asked, with extra params", async () => {
    const { http, sent } = testClient(oauthServer([{ access_token: "a1", expires_in: 1800 }]), {
      auth: oauth2RefreshToken({
        tokenUrl: TOKEN_URL,
        clientId: "my id",
        clientSecret: "s&cret",
        refreshToken: "rt",
        clientAuth: "basic",
        extraParams: { scope: "read" },
      }),
    });
    await http.request({ url: `${API}/a` });
    expect(form(sent[0])).toEqual({ grant_type: "refresh_token", refresh_token: "rt", scope: "read" });
    const decoded = new TextDecoder().decode(bytesFromBase64(sent[0]?.headers.authorization?.replace(/^Basic /, "") ?? ""));
    expect(decoded).toBe("my%20id:s%26cret");
  });

  it("turns a token-endpoint rejection into a configuration error with its error_description", async () => {
    const { http, sent } = testClient(
      oauthServer([{ status: 400, body: { error: "invalid_grant", error_description: "expired access/refresh token" } }]),
      { auth: oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt-old" }) },
    );
    const error = await failure(http.request({ url: `${API}/a` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toBe(
      "could not obtain an access token: login.example.com rejected the request to /services/oauth2/token (HTTP 400): invalid_grant: expired access/refresh token",
    );
    expect(sent.map((r) => r.url)).toEqual([TOKEN_URL]);
  });

  it("retries a failing token endpoint like any request, without multiplying attempts", async () => {
    const { http, sent } = testClient(() => new Response("{}", { status: 503 }), {
      maxAttempts: 3,
      auth: oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt" }),
    });
    const error = await failure(http.request({ url: `${API}/a` }));
    expect(error.kind).toBe("retryable");
    expect(sent.map((r) => r.url)).toEqual([TOKEN_URL, TOKEN_URL, TOKEN_URL]);
  });

  it("shares one token request between concurrent requests", async () => {
    const { http, sent } = testClient(oauthServer([{ access_token: "a1", expires_in: 3600 }]), {
      auth: oauth2RefreshToken({ tokenUrl: TOKEN_URL, clientId: "id", clientSecret: "sec", refreshToken: "rt" }),
    });
    await Promise.all([1, 2, 3].map((n) => http.request({ url: `${API}/${n}` })));
    expect(sent.filter((r) => r.url === TOKEN_URL)).toHaveLength(1);
    expect(sent.filter((r) => r.headers.authorization === "Bearer a1")).toHaveLength(3);
  });
});

describe("googleServiceAccount", () => {
  const GOOGLE_TOKEN = "https://oauth2.googleapis.com/token";
  const googleServer = (request: SentRequest) =>
    request.url === GOOGLE_TOKEN ? new Response(JSON.stringify({ access_token: "ya29.x", expires_in: 3599, token_type: "Bearer" })) : new Response("{}");

  it("signs an RS256 assertion that verifies with the public key and carries Google's claims", async () => {
    const { pem, publicKey } = await keyPair();
    const now = Date.UTC(2025, 5, 1);
    const { http, sent } = testClient(googleServer, {
      auth: googleServiceAccount({
        clientEmail: "loader@proj.iam.gserviceaccount.com",
        privateKey: pem,
        privateKeyId: "kid-1",
        scopes: ["https://www.googleapis.com/auth/spreadsheets.readonly", "https://www.googleapis.com/auth/drive.readonly"],
        now: () => now,
      }),
    });
    await http.request({ url: "https://sheets.googleapis.com/v4/spreadsheets/abc" });
    expect(sent.map((r) => r.url)).toEqual([GOOGLE_TOKEN, "https://sheets.googleapis.com/v4/spreadsheets/abc"]);
    expect(sent[1]?.headers.authorization).toBe("Bearer ya29.x");

    const body = form(sent[0]);
    expect(body.grant_type).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const [header = "", claims = "", signature = ""] = (body.assertion ?? "").split(".");
    const decode = (part: string) => JSON.parse(new TextDecoder().decode(bytesFromBase64(part))) as Record<string, unknown>;
    expect(decode(header)).toEqual({ alg: "RS256", typ: "JWT", kid: "kid-1" });
    expect(decode(claims)).toEqual({
      iss: "loader@proj.iam.gserviceaccount.com",
      scope: "https://www.googleapis.com/auth/spreadsheets.readonly https://www.googleapis.com/auth/drive.readonly",
      aud: GOOGLE_TOKEN,
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    const valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, bytesFromBase64(signature), new TextEncoder().encode(`${header}.${claims}`));
    expect(valid).toBe(true);
    expect(base64Url(bytesFromBase64(signature))).toBe(signature);
  });

  it("reads a pasted key file, escaped newlines included", async () => {
    const { pem } = await keyPair();
    const keyFile = JSON.stringify({ type: "service_account", client_email: "sa@p.iam.gserviceaccount.com", private_key: pem }).replace(/\\n/g, "\\\\n");
    const { http, sent } = testClient(googleServer, { auth: googleServiceAccountFromJson(keyFile, ["scope-a"], "user@corp.example") });
    await http.request({ url: "https://sheets.googleapis.com/v4/x" });
    const claims = JSON.parse(new TextDecoder().decode(bytesFromBase64(form(sent[0]).assertion?.split(".")[1] ?? ""))) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: "sa@p.iam.gserviceaccount.com", scope: "scope-a", sub: "user@corp.example" });
  });

  it("rejects a key that is not PKCS#8 as a configuration error, sending nothing", async () => {
    const { http, sent } = testClient(googleServer, {
      auth: googleServiceAccount({ clientEmail: "a@b", privateKey: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----", scopes: [] }),
    });
    const error = await failure(http.request({ url: "https://sheets.googleapis.com/v4/x" }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toContain("PKCS#8");
    expect(sent).toHaveLength(0);
  });

  it("rejects a key file without client_email", () => {
    expect(() => googleServiceAccountFromJson('{"private_key":"x"}', [])).toThrowError(expect.objectContaining({ kind: "configuration" }));
    expect(() => googleServiceAccountFromJson("{", [])).toThrowError(expect.objectContaining({ kind: "configuration" }));
  });
});

describe("oauth2ClientCredentials", () => {
  const SHOP_TOKEN = "https://shop1.myshopify.com/admin/oauth/access_token";

  it("exchanges the credentials in the body and sends the token in the API's own header (Shopify)", async () => {
    let issued = 0;
    const { http, sent } = testClient(
      (request) => {
        if (request.url === SHOP_TOKEN) return new Response(JSON.stringify({ access_token: `shpat_${++issued}`, scope: "read_orders", expires_in: 86399 }));
        return request.headers["x-shopify-access-token"] === `shpat_${issued}` ? new Response("{}") : new Response('{"errors":"[API] Invalid API key or access token"}', { status: 401 });
      },
      { auth: oauth2ClientCredentials({ tokenUrl: SHOP_TOKEN, clientId: "cid", clientSecret: "shpss_secret", tokenHeader: { name: "X-Shopify-Access-Token" } }) },
    );
    await http.request({ url: "https://shop1.myshopify.com/admin/api/2025-07/graphql.json" });
    await http.request({ url: "https://shop1.myshopify.com/admin/api/2025-07/graphql.json" });
    expect(sent.map((r) => r.url)).toEqual([SHOP_TOKEN, "https://shop1.myshopify.com/admin/api/2025-07/graphql.json", "https://shop1.myshopify.com/admin/api/2025-07/graphql.json"]);
    expect(form(sent[0])).toEqual({ grant_type: "client_credentials", client_id: "cid", client_secret: "shpss_secret" });
    expect(sent[1]?.headers["x-shopify-access-token"]).toBe("shpat_1");
    expect(sent[1]?.headers.authorization).toBeUndefined();
  });

  it("uses Basic client authentication and a scope (Databricks M2M), renews before expiry and on a 401", async () => {
    let now = 5_000_000;
    let issued = 0;
    let live = "";
    const TOKEN = "https://dbc-1.cloud.databricks.com/oidc/v1/token";
    const { http, sent } = testClient(
      (request) => {
        if (request.url === TOKEN) {
          live = `dapi-${++issued}`;
          return new Response(JSON.stringify({ access_token: live, token_type: "Bearer", expires_in: 3600 }));
        }
        return request.headers.authorization === `Bearer ${live}` ? new Response("{}") : new Response("{}", { status: 401 });
      },
      { auth: oauth2ClientCredentials({ tokenUrl: TOKEN, clientId: "sp-id", clientSecret: "sp-secret", clientAuth: "basic", scope: "all-apis", now: () => now }) },
    );
    await http.request({ url: "https://dbc-1.cloud.databricks.com/api/2.0/sql/statements" });
    expect(form(sent[0])).toEqual({ grant_type: "client_credentials", scope: "all-apis" });
    expect(new TextDecoder().decode(bytesFromBase64(sent[0]?.headers.authorization?.replace(/^Basic /, "") ?? ""))).toBe("sp-id:sp-secret");
    now += 3541_000;
    await http.request({ url: "https://dbc-1.cloud.databricks.com/api/2.0/sql/statements" });
    live = "revoked-elsewhere";
    await http.request({ url: "https://dbc-1.cloud.databricks.com/api/2.0/sql/statements" });
    expect(sent.map((r) => `${r.url.endsWith("/token") ? "token" : "api"} ${r.url.endsWith("/token") ? "" : r.headers.authorization}`.trim())).toEqual([
      "token",
      "api Bearer dapi-1",
      "token",
      "api Bearer dapi-2",
      "api Bearer dapi-2",
      "token",
      "api Bearer dapi-3",
    ]);
  });

  it("turns a refused grant into a configuration error without the secret", async () => {
    const { http } = testClient(reply(401, { error: "invalid_client", error_description: "bad secret sp-secret-9" }), {
      auth: oauth2ClientCredentials({ tokenUrl: "https://login.example.com/token", clientId: "c", clientSecret: "sp-secret-9" }),
    });
    const error = await failure(http.request({ url: `${API}/x` }));
    expect(error.kind).toBe("configuration");
    expect(error.message).toMatch(/^could not obtain an access token: .*invalid_client: bad secret \[redacted\]$/);
  });
});
