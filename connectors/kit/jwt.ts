/**
 * The one RS256 JWT signer (RFC 7515/7519) on WebCrypto, for every JWT grant: Google service accounts (the JWT bearer
 * grant, or a self-signed token for BigQuery), Snowflake key-pair auth. jose and google-auth-library are not needed:
 * RSASSA-PKCS1-v1_5 with SHA-256 over `b64url(header).b64url(claims)` is all RS256 is.
 */
import { base64FromBytes, base64Url, bytesFromBase64 } from "./base64";
import { ConnectorError } from "./errors";

const RSA_PKCS1_SHA256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * Imports an RSA private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what Google key files and Snowflake's
 * `openssl pkcs8 -topk8 -nocrypt` produce) or PKCS#1 (`BEGIN RSA PRIVATE KEY`, `openssl genrsa`), which is wrapped
 * into PKCS#8 since WebCrypto imports only that. `what` names the key in error messages.
 */
export async function importRsaPrivateKey(pem: string, options: { what?: string; extractable?: boolean } = {}): Promise<CryptoKey> {
  const what = options.what ?? "the private key";
  // Keys pasted from a JSON file sometimes keep their escaped "\n"; the PEM armour and whitespace carry no data.
  const text = pem.replace(/\\n/g, "\n");
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) {
    throw new ConnectorError("configuration", `${what} is encrypted; give it unencrypted (openssl pkcs8 -topk8 -nocrypt)`);
  }
  const pkcs1 = /-----BEGIN RSA PRIVATE KEY-----/.test(text);
  const body = text.replace(/-----(BEGIN|END) (RSA )?PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  try {
    const der = bytesFromBase64(body);
    return await crypto.subtle.importKey("pkcs8", pkcs1 ? pkcs8FromPkcs1(der) : der, RSA_PKCS1_SHA256, options.extractable ?? false, ["sign"]);
  } catch {
    throw new ConnectorError("configuration", `${what} is not a PKCS#8 RSA key in PEM form`);
  }
}

/** A compact RS256 JWT. `header` adds to `{alg: "RS256", typ: "JWT"}` (a `kid`, for instance). */
export async function signJwtRs256(privateKey: string | CryptoKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = typeof privateKey === "string" ? await importRsaPrivateKey(privateKey) : privateKey;
  const encode = (part: object) => base64Url(new TextEncoder().encode(JSON.stringify(part)));
  const input = `${encode({ alg: "RS256", typ: "JWT", ...header })}.${encode(claims)}`;
  const signature = await crypto.subtle.sign(RSA_PKCS1_SHA256, key, new TextEncoder().encode(input));
  return `${input}.${base64Url(new Uint8Array(signature))}`;
}

/**
 * base64(SHA-256(DER SubjectPublicKeyInfo)) of the key pair's public key: the value Snowflake shows as
 * `RSA_PUBLIC_KEY_FP` (without its `SHA256:` prefix) and expects in a key-pair JWT's `iss`. The public key is
 * derived from the private key's JWK (`n`, `e`), so the user gives only the private key.
 */
export async function rsaPublicKeyFingerprint(privateKeyPem: string, options: { what?: string } = {}): Promise<string> {
  const privateKey = await importRsaPrivateKey(privateKeyPem, { ...options, extractable: true });
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  const publicKey = await crypto.subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, ext: true }, RSA_PKCS1_SHA256, true, ["verify"]);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", publicKey)) as ArrayBuffer);
  return base64FromBytes(new Uint8Array(await crypto.subtle.digest("SHA-256", spki)));
}

/** RFC 5208 PrivateKeyInfo around an RFC 8017 RSAPrivateKey: version 0, rsaEncryption with NULL parameters. */
function pkcs8FromPkcs1(pkcs1: Uint8Array): Uint8Array {
  const version = [0x02, 0x01, 0x00];
  const rsaEncryption = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const octets = [0x04, ...derLength(pkcs1.length)];
  const contentLength = version.length + rsaEncryption.length + octets.length + pkcs1.length;
  const head = [0x30, ...derLength(contentLength), ...version, ...rsaEncryption, ...octets];
  const out = new Uint8Array(head.length + pkcs1.length);
  out.set(head);
  out.set(pkcs1, head.length);
  return out;
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}
