/**
 * Secret config fields at rest: the secret parts of a config are split out, serialized as one JSON object and
 * sealed with AES-GCM. Stored format `v1:<keyId>:<b64 iv>:<b64 ciphertext+tag>`; the key id travels with the
 * ciphertext so keys can rotate (encrypt with `current`, decrypt with whichever key sealed the value).
 * The AAD binds a ciphertext to its row (e.g. `loader:<workspace>:<id>`), so it cannot be swapped onto another.
 */
import type { Settings } from "../env";

type Keyring = Settings["SECRETS_KEYRING"];

const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(keyring: Keyring, keyId: string): Promise<CryptoKey> {
  const material = keyring.keys[keyId];
  if (!material) throw new Error(`secrets keyring has no key "${keyId}"`);
  const cacheKey = `${keyId}:${material}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const raw = base64ToBytes(material);
    if (raw.byteLength !== 32) throw new Error(`secrets key "${keyId}" must be 32 bytes (base64)`);
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(cacheKey, key);
  }
  return key;
}

export async function sealJson(keyring: Keyring, value: unknown, aad: string): Promise<string> {
  const key = await importKey(keyring, keyring.current);
  // 96-bit random IVs: NIST SP 800-38D bounds this at ~2^32 encryptions per key, far above our write volume.
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(value));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(aad) },
    key,
    plaintext,
  );
  return `v1:${keyring.current}:${bytesToBase64(iv)}:${bytesToBase64(new Uint8Array(sealed))}`;
}

export async function openJson<T>(keyring: Keyring, sealed: string, aad: string): Promise<T> {
  const [version, keyId, iv, data] = sealed.split(":");
  if (version !== "v1" || !keyId || !iv || !data) throw new Error("unrecognized secret format");
  const key = await importKey(keyring, keyId);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv), additionalData: new TextEncoder().encode(aad) },
    key,
    base64ToBytes(data),
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as T;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function base64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
