import { BASE62, type Rng } from "../shared/prng";

/**
 * Stripe ids: prefix, underscore, opaque base62. Newer Stripe ids start with a time-ordered segment; ours start with
 * a per-dataset sequence number instead, so objects created in the same second sort newest-first by id.
 */
export function stripeId(prefix: string, sequence: number, rng: Rng): string {
  let encoded = "";
  let n = sequence;
  do {
    encoded = BASE62[n % 62] + encoded;
    n = Math.floor(n / 62);
  } while (n > 0);
  return `${prefix}_1${encoded.padStart(6, "0")}${rng.chars(17)}`;
}
