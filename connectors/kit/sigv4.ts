/**
 * AWS Signature Version 4 (S3, R2, MinIO, any SigV4 API) through aws4fetch's signer, which runs on WebCrypto in
 * workerd (research/connectors-data.md §5; @aws-sdk/client-s3 does not). The http client calls `sign` after
 * HOST_OVERRIDES has chosen where the request goes, with the production URL, so the signature covers the host AWS
 * sees and a development fake verifies it over the same host (it learns it from X-Forwarded-Host).
 */
import { AwsV4Signer } from "aws4fetch";
import type { AuthProvider, SigningRequest } from "./auth";

export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** STS temporary credentials: sent (and signed) as X-Amz-Security-Token. */
  sessionToken?: string | undefined;
}

export interface AwsSigV4Options extends AwsCredentials {
  /** `us-east-1`, …; `auto` for Cloudflare R2. */
  region: string;
  /** `s3` for S3-compatible storage. */
  service: string;
  /**
   * S3 only: `unsigned` sends `x-amz-content-sha256: UNSIGNED-PAYLOAD` (enough for GET/HEAD, and no hash of a large
   * upload); `signed` hashes the body into the signature. Other services always sign the body hash.
   */
  payload?: "unsigned" | "signed";
  /** Injectable clock for tests (ms since the epoch). */
  now?: () => number;
}

/**
 * Headers that go into the signature: the ones SigV4 requires or recommends (host, x-amz-*, content-type,
 * content-md5) plus range, which S3 signs in its own examples. Others (accept, user-agent, accept-encoding) stay out,
 * so a runtime or proxy that rewrites them cannot break a signature.
 */
export function isSignedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "host" || lower === "content-type" || lower === "content-md5" || lower === "range" || lower.startsWith("x-amz-");
}

export interface SignAwsV4Input {
  method: string;
  url: URL | string;
  /** Exactly the headers to sign (besides host, taken from the URL). */
  headers: Headers;
  body?: string | Uint8Array | undefined;
}

/**
 * The signed headers for a request: the input's headers plus Authorization, X-Amz-Date, X-Amz-Security-Token and
 * (S3) X-Amz-Content-Sha256. `datetime` is the ISO basic form AWS uses, `20150830T123600Z`.
 */
export async function signAwsV4(
  input: SignAwsV4Input,
  options: Omit<AwsSigV4Options, "now"> & { datetime: string; signingKeys?: Map<string, ArrayBuffer> },
): Promise<Headers> {
  const headers = new Headers(input.headers);
  if (options.service === "s3" && !headers.has("x-amz-content-sha256")) {
    headers.set("x-amz-content-sha256", options.payload === "signed" ? await sha256Hex(input.body ?? "") : UNSIGNED_PAYLOAD);
  }
  const signer = new AwsV4Signer({
    method: input.method,
    url: input.url.toString(),
    headers,
    ...(input.body === undefined ? {} : { body: input.body }),
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    service: options.service,
    region: options.region,
    datetime: options.datetime,
    // The derived key (four HMACs) is the same for a whole day, region and service.
    ...(options.signingKeys ? { cache: options.signingKeys } : {}),
    // The caller chose the headers; aws4fetch's own list would drop content-type and range.
    allHeaders: true,
  });
  const signed = await signer.sign();
  return signed.headers;
}

export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/**
 * S3 paths are signed with each segment encoded once (aws4fetch decodes the path first, reading `+` as a space):
 * a key's reserved characters, `+` included, must reach the URL percent-encoded (encodeURIComponent per segment).
 */
export function awsSigV4(options: AwsSigV4Options): AuthProvider {
  const now = options.now ?? Date.now;
  const signingKeys = new Map<string, ArrayBuffer>();
  return {
    apply: async () => {},
    async sign(request: SigningRequest) {
      const toSign = new Headers();
      request.headers.forEach((value, name) => {
        if (isSignedHeader(name)) toSign.set(name, value);
      });
      const signed = await signAwsV4({ method: request.method, url: request.url, headers: toSign, body: request.body }, { ...options, datetime: amzDate(now()), signingKeys });
      signed.forEach((value, name) => request.headers.set(name, value));
    },
    secretValues: () => [options.secretAccessKey, ...(options.sessionToken ? [options.sessionToken] : [])],
  };
}

async function sha256Hex(body: string | Uint8Array): Promise<string> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
