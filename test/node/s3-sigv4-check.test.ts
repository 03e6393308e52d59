/**
 * The S3 test server's own SigV4 check (test/fakes/s3/sigv4-check.ts) against AWS's published examples
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Examples: Signature
 * Calculations"), so the server that judges the reader's signatures is itself right: it accepts AWS's signatures
 * and refuses any change to what they cover.
 */
import { describe, expect, it } from "vitest";
import { type SignedRequest, verifySigV4 } from "../fakes/s3/sigv4-check";

const credentials = new Map([["AKIAIOSFODNN7EXAMPLE", { secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]]);
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const now = new Date("2013-05-24T00:05:00Z");
const auth = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;

const getObject: SignedRequest & { headers: Record<string, string> } = {
  method: "GET",
  host: "examplebucket.s3.amazonaws.com",
  rawPath: "/test.txt",
  rawQuery: "",
  headers: {
    range: "bytes=0-9",
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
    authorization: auth("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
  },
  now,
};

const listObjects: SignedRequest = {
  method: "GET",
  host: "examplebucket.s3.amazonaws.com",
  rawPath: "/",
  rawQuery: "max-keys=2&prefix=J",
  headers: {
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
    authorization: auth("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
  },
  now,
};

describe("the S3 server's SigV4 check", () => {
  it("accepts AWS's GetObject and ListObjects examples", () => {
    expect(verifySigV4(getObject, credentials)).toMatchObject({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", region: "us-east-1" });
    expect(verifySigV4(listObjects, credentials)).toMatchObject({ accessKeyId: "AKIAIOSFODNN7EXAMPLE" });
  });

  it("refuses any change to what the signature covers, and unknown keys, skewed clocks and anonymous requests", () => {
    const code = (req: SignedRequest) => (verifySigV4(req, credentials) as { code?: string }).code;
    expect(code({ ...getObject, headers: { ...getObject.headers, range: "bytes=0-10" } })).toBe("SignatureDoesNotMatch");
    expect(code({ ...getObject, rawPath: "/test2.txt" })).toBe("SignatureDoesNotMatch");
    expect(code({ ...getObject, host: "otherbucket.s3.amazonaws.com" })).toBe("SignatureDoesNotMatch");
    expect(code({ ...listObjects, rawQuery: "max-keys=3&prefix=J" })).toBe("SignatureDoesNotMatch");
    // The query's order does not matter; its canonical form does.
    expect(code({ ...listObjects, rawQuery: "prefix=J&max-keys=2" })).toBeUndefined();
    expect(code({ ...getObject, headers: { ...getObject.headers, authorization: getObject.headers.authorization!.replace("AKIAIOSFODNN7EXAMPLE", "AKIAOTHERKEYEXAMPLE0") } })).toBe("InvalidAccessKeyId");
    expect(code({ ...getObject, now: new Date("2013-05-24T01:00:00Z") })).toBe("RequestTimeTooSkewed");
    const { authorization: _, ...unsigned } = getObject.headers;
    expect(code({ ...getObject, headers: unsigned })).toBe("AccessDenied");
  });
});
