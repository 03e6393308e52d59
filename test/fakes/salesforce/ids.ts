/**
 * Salesforce record ids: 15 case-sensitive characters (3-char key prefix, 2-char pod, 1 reserved, 9-char serial)
 * plus a 3-character suffix that encodes the case of the first 15 so the 18-char form is case-insensitive-safe.
 * The serial uses the digits-upper-lower alphabet so ASCII order equals creation order, which makes
 * `ORDER BY Id` and the default (creation) order agree, as they do in a real org.
 */
import { BASE62 } from "../shared/prng";

const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const POD = "Fk";

function base62(value: number, width: number): string {
  let out = "";
  let rest = Math.floor(value);
  for (let i = 0; i < width; i++) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** The documented case-encoding suffix: one character per 5-char chunk, bit i set when char i is upper case. */
function checksumSuffix(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15.charAt(chunk * 5 + i);
      if (ch >= "A" && ch <= "Z") flags |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET.charAt(flags);
  }
  return suffix;
}

export function salesforceId(keyPrefix: string, serial: number): string {
  const id15 = `${keyPrefix}${POD}0${base62(serial, 9)}`;
  return id15 + checksumSuffix(id15);
}

/** Accepts the 15- or 18-char form (as the API does) and returns the 18-char form, or null if it is not an id. */
export function normalizeId(text: string): string | null {
  if (!/^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$/.test(text)) return null;
  const id15 = text.slice(0, 15);
  return id15 + checksumSuffix(id15);
}

/** An org id stable per tenant, so the identity URL and token prefix look like a real org's. */
export function orgIdFor(seed: number): string {
  return salesforceId("00D", seed % 62 ** 6);
}
