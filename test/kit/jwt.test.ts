import { describe, expect, it } from "vitest";
import { base64FromBytes, bytesFromBase64 } from "../../connectors/kit/base64";
import { importRsaPrivateKey, rsaPublicKeyFingerprint, signJwtRs256 } from "../../connectors/kit/jwt";
import { failure } from "./fake-fetch";
import { pem, rsaKeyPair as keyPair } from "./rsa-keys";

/** The RSAPrivateKey inside a PrivateKeyInfo: the OCTET STRING after the version and the algorithm identifier. */
function pkcs1Of(pkcs8: Uint8Array): Uint8Array {
  const lengthAt = (at: number): [number, number] => {
    const first = pkcs8[at]!;
    if (first < 0x80) return [first, at + 1];
    let n = 0;
    for (let i = 1; i <= (first & 0x7f); i++) n = n * 256 + pkcs8[at + i]!;
    return [n, at + 1 + (first & 0x7f)];
  };
  let [, at] = lengthAt(1); // outer SEQUENCE
  at += 3; // INTEGER 0
  const [algorithmLength, algorithmAt] = lengthAt(at + 1);
  at = algorithmAt + algorithmLength;
  const [keyLength, keyAt] = lengthAt(at + 1);
  return pkcs8.slice(keyAt, keyAt + keyLength);
}

const decode = (part: string) => JSON.parse(new TextDecoder().decode(bytesFromBase64(part))) as Record<string, unknown>;

describe("signJwtRs256", () => {
  it("signs a compact JWT that verifies with the public key, with the header additions and claims as given", async () => {
    const { pem: privatePem, publicKey } = await keyPair();
    const token = await signJwtRs256(privatePem, { iss: "ACME.LOADER.SHA256:abc", sub: "ACME.LOADER", iat: 1, exp: 3601 }, { kid: "k1" });
    const [header = "", claims = "", signature = ""] = token.split(".");
    expect(decode(header)).toEqual({ alg: "RS256", typ: "JWT", kid: "k1" });
    expect(decode(claims)).toEqual({ iss: "ACME.LOADER.SHA256:abc", sub: "ACME.LOADER", iat: 1, exp: 3601 });
    expect(signature).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, bytesFromBase64(signature), new TextEncoder().encode(`${header}.${claims}`))).toBe(true);
    // A changed claim does not verify.
    const forged = `${header}.${btoa(JSON.stringify({ iss: "X" })).replace(/=+$/, "")}`;
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, bytesFromBase64(signature), new TextEncoder().encode(forged))).toBe(false);
  });

  it("takes an imported key too, a PKCS#1 PEM (openssl genrsa), and a key with escaped newlines", async () => {
    const { pkcs8, publicKey, pem: privatePem } = await keyPair();
    const claims = { iss: "a" };
    for (const key of [await importRsaPrivateKey(privatePem), pem("RSA PRIVATE KEY", pkcs1Of(pkcs8)), privatePem.replace(/\n/g, "\\n")]) {
      const [header = "", body = "", signature = ""] = (await signJwtRs256(key, claims)).split(".");
      expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, bytesFromBase64(signature), new TextEncoder().encode(`${header}.${body}`))).toBe(true);
    }
  });

  it("refuses an encrypted key and a key that is not one, as configuration errors", async () => {
    const encrypted = await failure(signJwtRs256("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----", {}));
    expect(encrypted.kind).toBe("configuration");
    expect(encrypted.message).toBe("the private key is encrypted; give it unencrypted (openssl pkcs8 -topk8 -nocrypt)");
    const junk = await failure(importRsaPrivateKey("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----", { what: "private_key" }));
    expect(junk.kind).toBe("configuration");
    expect(junk.message).toBe("private_key is not a PKCS#8 RSA key in PEM form");
  });
});

describe("rsaPublicKeyFingerprint", () => {
  it("is base64(SHA-256(SubjectPublicKeyInfo)) of the pair's public key, derived from the private key alone", async () => {
    const { spki, pem: privatePem, pkcs8 } = await keyPair();
    const expected = base64FromBytes(new Uint8Array(await crypto.subtle.digest("SHA-256", spki)));
    expect(await rsaPublicKeyFingerprint(privatePem)).toBe(expected);
    expect(await rsaPublicKeyFingerprint(pem("RSA PRIVATE KEY", pkcs1Of(pkcs8)))).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // Another key has another fingerprint.
    expect(await rsaPublicKeyFingerprint((await keyPair()).pem)).not.toBe(expected);
  });
});
