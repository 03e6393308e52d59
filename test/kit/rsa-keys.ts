/** RSA key pairs for the JWT tests, generated with WebCrypto, with the private key as a PEM a user would paste. */
import { base64FromBytes } from "../../connectors/kit/base64";

export function pem(label: string, der: Uint8Array): string {
  const lines = base64FromBytes(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export async function rsaKeyPair() {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  return { pkcs8, spki, publicKey: pair.publicKey, pem: pem("PRIVATE KEY", pkcs8) };
}
