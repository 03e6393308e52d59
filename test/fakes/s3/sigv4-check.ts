/**
 * S3's side of Signature Version 4, written from AWS's description of the algorithm
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html and the S3 header-auth page
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html), independent of the signer under
 * test (connectors/kit/sigv4.ts): it rebuilds the canonical request from what arrived — the path and query
 * re-encoded the way S3 canonicalizes them, the signed headers trimmed and folded — and answers S3's own error codes.
 * Node only (node:crypto); the front in server.ts calls it before a request reaches the store.
 */
import { createHash, createHmac } from "node:crypto";

export interface Credential {
  secretAccessKey: string;
  /** Temporary (STS) credentials: the session token every request must carry in x-amz-security-token. */
  sessionToken?: string;
  /** Buckets this key may read; absent means every bucket. Others answer AccessDenied, as an IAM policy would. */
  buckets?: string[];
}

export interface SignedRequest {
  method: string;
  /** The production host the client addressed (X-Forwarded-Host behind HOST_OVERRIDES, else Host). */
  host: string;
  /** The request target as sent: percent-encoded path and raw query. */
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string>;
  now: Date;
}

export interface S3Denial {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, string>;
}

export interface Verified {
  accessKeyId: string;
  region: string;
  credential: Credential;
}

/** S3 refuses a request whose x-amz-date is more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes, upper-case hex. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === "/")) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function percentDecode(text: string): string {
  // `+` is a literal plus under SigV4 (spaces travel as %20), unlike form encoding.
  return decodeURIComponent(text);
}

/** S3 does not normalize the path (no dot-segment removal) and encodes it once. */
export function canonicalUri(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => uriEncode(percentDecode(segment), false))
    .join("/");
}

export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return "";
  const pairs = rawQuery
    .split("&")
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf("=");
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? "" : part.slice(eq + 1);
      return [uriEncode(percentDecode(name), false), uriEncode(percentDecode(value), false)] as const;
    });
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join("&");
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

const deny = (status: number, code: string, message: string, extra?: Record<string, string>): S3Denial => ({ status, code, message, ...(extra ? { extra } : {}) });

/** The verified caller, or the error S3 answers. A request without any Authorization is anonymous: AccessDenied. */
export function verifySigV4(req: SignedRequest, credentials: ReadonlyMap<string, Credential>): Verified | S3Denial {
  const authorization = req.headers["authorization"];
  if (!authorization) return deny(403, "AccessDenied", "Access Denied");
  const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(authorization);
  if (!match) return deny(400, "InvalidArgument", "Unsupported Authorization Type");
  const fields = new Map<string, string>();
  for (const part of match[1]!.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeadersText = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedHeadersText || !signature) {
    return deny(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; it requires Credential, SignedHeaders and Signature.");
  }
  const [accessKeyId, scopeDate, region, service, terminal, ...rest] = credential.split("/");
  if (!accessKeyId || !scopeDate || !region || service !== "s3" || terminal !== "aws4_request" || rest.length > 0) {
    return deny(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  const known = credentials.get(accessKeyId);
  if (!known) return deny(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { AWSAccessKeyId: accessKeyId });

  const amzDate = req.headers["x-amz-date"];
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return deny(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  if (amzDate.slice(0, 8) !== scopeDate) {
    return deny(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; Invalid credential date "${scopeDate}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  const requestTime = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(requestTime - req.now.getTime()) > MAX_SKEW_MS) {
    return deny(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", { RequestTime: amzDate, ServerTime: req.now.toISOString() });
  }
  const payloadHash = req.headers["x-amz-content-sha256"];
  if (!payloadHash) return deny(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");

  const signedHeaders = signedHeadersText.split(";");
  if (!signedHeaders.includes("host")) return deny(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; SignedHeaders must include host.");
  const missing = ["x-amz-date", "x-amz-content-sha256", ...(req.headers["x-amz-security-token"] !== undefined ? ["x-amz-security-token"] : [])].filter(
    (name) => !signedHeaders.includes(name),
  );
  if (missing.length > 0) return deny(403, "AccessDenied", `There were headers present in the request which were not signed: ${missing.join(", ")}`);
  const headerValue = (name: string) => (name === "host" ? req.host : (req.headers[name] ?? "")).trim().replace(/\s+/g, " ");
  const canonicalRequest = [
    req.method,
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery),
    signedHeaders.map((name) => `${name}:${headerValue(name)}\n`).join(""),
    signedHeadersText,
    payloadHash,
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, `${scopeDate}/${region}/s3/aws4_request`, sha256Hex(canonicalRequest)].join("\n");
  const expected = createHmac("sha256", signingKey(known.secretAccessKey, scopeDate, region, "s3")).update(stringToSign, "utf8").digest("hex");
  if (expected !== signature) {
    return deny(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      CanonicalRequest: canonicalRequest,
    });
  }
  // Checked after the signature, as S3 does: the token is part of what was signed.
  const token = req.headers["x-amz-security-token"];
  if (known.sessionToken !== undefined && token === undefined) {
    // A temporary key id means nothing without its session token.
    return deny(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { AWSAccessKeyId: accessKeyId });
  }
  if (known.sessionToken !== undefined && token !== known.sessionToken) return deny(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
  return { accessKeyId, region, credential: known };
}
