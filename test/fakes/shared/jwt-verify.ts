/**
 * RS256 JWT checks for the warehouse fakes (Snowflake key-pair JWTs, Google service-account assertions), with
 * node:crypto: the signature against the registered public key, the algorithm, and the lifetime rule of each vendor.
 */
import { createHash, createPublicKey, verify } from "node:crypto";

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const [h, c, s] = parts as [string, string, string];
    return {
      header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as Record<string, unknown>,
      claims: JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as Record<string, unknown>,
      signingInput: `${h}.${c}`,
      signature: Buffer.from(s, "base64url"),
    };
  } catch {
    return null;
  }
}

export function rs256Valid(jwt: DecodedJwt, publicKeyPem: string): boolean {
  if (jwt.header.alg !== "RS256") return false;
  try {
    return verify("RSA-SHA256", Buffer.from(jwt.signingInput), createPublicKey(publicKeyPem), jwt.signature);
  } catch {
    return false;
  }
}

/** `SHA256:` + base64 of the SHA-256 of the DER SubjectPublicKeyInfo: Snowflake's RSA_PUBLIC_KEY_FP. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64")}`;
}
