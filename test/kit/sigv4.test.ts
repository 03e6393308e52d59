/**
 * SigV4 against AWS's published signature test suite (aws-sig-v4-test-suite, service "service", 2015-08-30) and the
 * S3 GET Object example of the S3 API reference, then the provider inside the http client: signed over the
 * production host behind a development override, session tokens, R2's region `auto`, path-style and
 * virtual-hosted URLs, and UNSIGNED-PAYLOAD versus a hashed body.
 */
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { awsSigV4, signAwsV4, UNSIGNED_PAYLOAD } from "../../connectors/kit/sigv4";
import { failure, reply, script, testClient } from "./fake-fetch";

const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
  datetime: "20150830T123600Z",
};
const STS_TOKEN =
  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

interface Vector {
  name: string;
  method: string;
  /** Path and query as the request line has them. */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  sessionToken?: string;
  authorization: string;
}

const credential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
const VECTORS: Vector[] = [
  { name: "get-vanilla", method: "GET", target: "/", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31` },
  { name: "get-vanilla-empty-query-key", method: "GET", target: "/?Param1=value1", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb` },
  { name: "get-vanilla-query-order-key", method: "GET", target: "/?Param1=value2&Param1=Value1", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1` },
  { name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500` },
  { name: "get-vanilla-query-order-value", method: "GET", target: "/?Param1=value2&Param1=value1", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694` },
  {
    name: "get-vanilla-query-unreserved",
    method: "GET",
    target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197`,
  },
  { name: "get-vanilla-utf8-query", method: "GET", target: "/?ሴ=bar", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04` },
  {
    name: "get-unreserved",
    method: "GET",
    target: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f`,
  },
  {
    name: "get-header-value-trim",
    method: "GET",
    target: "/",
    headers: { "My-Header1": " value1", "My-Header2": '"a   b   c"' },
    authorization: `${credential}, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736`,
  },
  { name: "post-vanilla", method: "POST", target: "/", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b` },
  { name: "post-vanilla-query", method: "POST", target: "/?Param1=value1", authorization: `${credential}, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11` },
  {
    name: "post-header-key-sort",
    method: "POST",
    target: "/",
    headers: { "My-Header1": "value1" },
    authorization: `${credential}, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c`,
  },
  {
    name: "post-header-value-case",
    method: "POST",
    target: "/",
    headers: { "My-Header1": "VALUE1" },
    authorization: `${credential}, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d`,
  },
  {
    name: "post-x-www-form-urlencoded",
    method: "POST",
    target: "/",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "Param1=value1",
    authorization: `${credential}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
  },
  {
    name: "post-x-www-form-urlencoded-parameters",
    method: "POST",
    target: "/",
    headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf8" },
    body: "Param1=value1",
    authorization: `${credential}, SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe`,
  },
  {
    name: "post-sts-header-before",
    method: "POST",
    target: "/",
    sessionToken: STS_TOKEN,
    authorization: `${credential}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead`,
  },
];

describe("the AWS SigV4 test suite", () => {
  it.each(VECTORS)("$name", async (vector) => {
    const signed = await signAwsV4(
      { method: vector.method, url: `https://example.amazonaws.com${vector.target}`, headers: new Headers(vector.headers ?? {}), body: vector.body },
      { ...SUITE, ...(vector.sessionToken ? { sessionToken: vector.sessionToken } : {}) },
    );
    expect(signed.get("authorization")).toBe(vector.authorization);
    expect(signed.get("x-amz-date")).toBe(SUITE.datetime);
    if (vector.sessionToken) expect(signed.get("x-amz-security-token")).toBe(vector.sessionToken);
  });

  it("a changed byte of the body changes the signature (the body hash is signed)", async () => {
    const sign = (body: string) =>
      signAwsV4({ method: "POST", url: "https://example.amazonaws.com/", headers: new Headers({ "Content-Type": "application/x-www-form-urlencoded" }), body }, SUITE);
    expect((await sign("Param1=value2")).get("authorization")).not.toBe(VECTORS.find((v) => v.name === "post-x-www-form-urlencoded")?.authorization);
  });
});

describe("S3 signatures", () => {
  it("matches the S3 API reference's GET Object example (Range signed, empty-body hash)", async () => {
    const signed = await signAwsV4(
      {
        method: "GET",
        url: "https://examplebucket.s3.amazonaws.com/test.txt",
        headers: new Headers({ Range: "bytes=0-9", "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }),
      },
      { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "s3", datetime: "20130524T000000Z" },
    );
    expect(signed.get("authorization")).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });
});

/** Recomputes the signature a server would check, from what arrived and the host the client addressed. */
async function verify(request: { method: string; url: string; headers: Record<string, string>; body: string | undefined }, secretAccessKey: string, service = "s3") {
  const authorization = request.headers.authorization ?? "";
  const match = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(authorization);
  if (!match) return { valid: false, region: undefined, signedHeaders: [] as string[] };
  const [, accessKeyId, , region, , signedHeaders, signature] = match;
  const received = new URL(request.url);
  const production = new URL(`${received.pathname}${received.search}`, `https://${request.headers["x-forwarded-host"] ?? received.host}`);
  const headers = new Headers();
  for (const name of signedHeaders!.split(";")) if (name !== "host") headers.set(name, request.headers[name] ?? "");
  const signer = new AwsV4Signer({
    method: request.method,
    url: production.toString(),
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    accessKeyId: accessKeyId!,
    secretAccessKey,
    region: region!,
    service,
    datetime: request.headers["x-amz-date"]!,
    allHeaders: true,
    ...(request.headers["x-amz-security-token"] ? { sessionToken: request.headers["x-amz-security-token"] } : {}),
  });
  const expected = ((await signer.sign()).headers as Headers).get("authorization") ?? "";
  // S3 checks a declared payload hash against the body it received.
  const declared = request.headers["x-amz-content-sha256"];
  const bodyMatches = declared === undefined || declared === "UNSIGNED-PAYLOAD" || declared === (await sha256Hex(request.body ?? ""));
  return { valid: bodyMatches && expected.endsWith(`Signature=${signature}`), region, signedHeaders: signedHeaders!.split(";") };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("awsSigV4 in the http client", () => {
  const credentials = { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t/key+example" };
  const now = () => Date.UTC(2026, 0, 15, 10, 30, 0);

  it("signs over the production host behind an override, with the session token, UNSIGNED-PAYLOAD and Range", async () => {
    const { http, sent } = testClient(reply(206, "partial"), {
      hostOverrides: { "*.s3.amazonaws.com": "http://127.0.0.1:9000" },
      auth: awsSigV4({ ...credentials, sessionToken: "FwoGZXIvYXdzEXAMPLE", region: "eu-west-1", service: "s3", now }),
    });
    await http.request({ url: "https://my-bucket.s3.amazonaws.com/data/2026/01/part%20one.csv", headers: { Range: "bytes=100-" } });
    const request = sent[0]!;
    expect(request.url).toBe("http://127.0.0.1:9000/data/2026/01/part%20one.csv");
    expect(request.headers["x-forwarded-host"]).toBe("my-bucket.s3.amazonaws.com");
    expect(request.headers["x-amz-date"]).toBe("20260115T103000Z");
    expect(request.headers["x-amz-content-sha256"]).toBe(UNSIGNED_PAYLOAD);
    expect(request.headers["x-amz-security-token"]).toBe("FwoGZXIvYXdzEXAMPLE");
    const check = await verify(request, credentials.secretAccessKey);
    expect(check).toEqual({ valid: true, region: "eu-west-1", signedHeaders: ["host", "range", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"] });
    // Accept, the override's own host and the forwarding header stay out of the signature.
    expect(request.headers.accept).toBe("application/json");

    // The same request verified against the loopback host it was sent to does not pass: the host is signed.
    const asSent = await verify({ ...request, headers: { ...request.headers, "x-forwarded-host": "127.0.0.1:9000" } }, credentials.secretAccessKey);
    expect(asSent.valid).toBe(false);
  });

  it("signs path-style R2 requests with region auto and a list query, and a hashed body when asked", async () => {
    const { http, sent } = testClient(reply(200, "<ListBucketResult/>"), {
      auth: awsSigV4({ ...credentials, region: "auto", service: "s3", payload: "signed", now }),
    });
    await http.request({ url: "https://acct123.r2.cloudflarestorage.com/bucket", query: { "list-type": 2, prefix: "logs/2026 01/", "continuation-token": "a+b/c=" } });
    await http.request({ method: "PUT", url: "https://acct123.r2.cloudflarestorage.com/bucket/k.json", body: '{"a":1}', headers: { "content-type": "application/json" } });
    const [list, put] = sent;
    expect(list?.headers.authorization).toMatch(/Credential=AKIAEXAMPLE\/20260115\/auto\/s3\/aws4_request/);
    expect(list?.headers["x-amz-content-sha256"]).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(put?.headers["x-amz-content-sha256"]).toBe("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
    expect((await verify(list!, credentials.secretAccessKey)).valid).toBe(true);
    expect(await verify(put!, credentials.secretAccessKey)).toMatchObject({ valid: true, signedHeaders: ["content-type", "host", "x-amz-content-sha256", "x-amz-date"] });
    // A body changed after signing is refused.
    expect((await verify({ ...put!, body: '{"a":2}' }, credentials.secretAccessKey)).valid).toBe(false);
  });

  it("signs each retry afresh and keeps the secrets out of errors", async () => {
    let clock = now();
    const { http, sent, sleeps } = testClient(
      script(reply(503, "<Error><Code>SlowDown</Code></Error>", { "retry-after": "1" }), reply(403, `<Error><Code>SignatureDoesNotMatch</Code><Message>bad s3cr3t/key+example</Message></Error>`)),
      { auth: awsSigV4({ ...credentials, region: "us-east-1", service: "s3", now: () => (clock += 61_000) }) },
    );
    const error = await failure(http.request({ url: "https://b.s3.amazonaws.com/k" }));
    expect(sleeps).toEqual([1000]);
    expect(sent.map((r) => r.headers["x-amz-date"])).toEqual(["20260115T103101Z", "20260115T103202Z"]);
    expect(error.kind).toBe("configuration");
    expect(error.message).toContain("SignatureDoesNotMatch");
    expect(error.message).not.toContain("s3cr3t/key+example");
  });
});
