import { randomToken, sha256Hex } from "../../lib/ids";

export const KEY_PREFIX = "sk_live_";

/** A new key: shown once to the caller; only its hash and a short display prefix are stored. */
export async function mintApiKey() {
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  return { key, prefix: key.slice(0, 12), hash: await sha256Hex(key) };
}
