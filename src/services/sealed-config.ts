/**
 * The one place that knows how a config object is stored: its secret fields (dot paths each type declares) split
 * out, sealed as one JSON object with AES-GCM (lib/secrets) and bound to their row by the AAD
 * `<kind>:<workspace>:<id>`; the rest kept as plain JSON. Loaders and sources both store their configs this way,
 * and a run's snapshot copies the two columns as they are (still sealed), opened with the same owner.
 */
import type { Settings } from "../env";
import { isPlainObject, mergeSecrets, splitSecrets } from "../lib/config-paths";
import { openJson, sealJson } from "../lib/secrets";

type Obj = Record<string, unknown>;
type Keyring = Settings["SECRETS_KEYRING"];

/** The row a config belongs to: its AAD, so a sealed value cannot be moved onto another row. */
export interface ConfigOwner {
  kind: "loader" | "source" | "webhook";
  workspaceId: string;
  id: string;
}

/** The two stored columns. */
export interface SealedConfig {
  config: string;
  configSecrets: string | null;
}

const aad = (owner: ConfigOwner) => `${owner.kind}:${owner.workspaceId}:${owner.id}`;

export async function sealConfig(keyring: Keyring, owner: ConfigOwner, config: Obj, secretPaths: readonly string[]): Promise<SealedConfig> {
  const { plain, secrets } = splitSecrets(config, [...secretPaths]);
  const sealed = Object.keys(secrets).length > 0 ? await sealJson(keyring, secrets, aad(owner)) : null;
  return { config: JSON.stringify(plain), configSecrets: sealed };
}

/** The full config, secrets included: for validation on update and for the engine. Never for a response. */
export async function openConfig(keyring: Keyring, owner: ConfigOwner, stored: SealedConfig, secretPaths: readonly string[]): Promise<Obj> {
  const plain = JSON.parse(stored.config) as Obj;
  if (!stored.configSecrets) return plain;
  const secrets = await openJson<Obj>(keyring, stored.configSecrets, aad(owner));
  return mergeSecrets(plain, secrets, [...secretPaths]);
}

/**
 * A PUT's `config` applied to the stored one as a JSON Merge Patch (RFC 7386): members absent from the patch keep
 * their value (secrets included, which a client never sees and so cannot resend), `null` removes a member (clears a
 * secret), an object merges recursively, anything else (arrays too) replaces.
 */
export function mergePatchConfig(stored: Obj, patch: Obj): Obj {
  const merged = structuredClone(stored);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (isPlainObject(value)) merged[key] = mergePatchConfig(variantBase(merged[key], value), value);
    else merged[key] = structuredClone(value);
  }
  return merged;
}

/**
 * One departure from RFC 7386: an object whose `type` the patch changes (an `auth` going from bearer to none, a
 * paginator from cursor to offset) is a different variant, so the patch replaces it instead of merging into it — the
 * old variant's fields (a bearer token) would not be valid in the new one.
 */
function variantBase(stored: unknown, patch: Obj): Obj {
  if (!isPlainObject(stored)) return {};
  if (typeof patch.type === "string" && stored.type !== undefined && stored.type !== patch.type) return {};
  return stored;
}

/** One secret value (a webhook's signing secret), sealed to its row like a config's secret fields. */
export function sealSecret(keyring: Keyring, owner: ConfigOwner, value: string): Promise<string> {
  return sealJson(keyring, { value }, aad(owner));
}

export async function openSecret(keyring: Keyring, owner: ConfigOwner, sealed: string): Promise<string> {
  return (await openJson<{ value: string }>(keyring, sealed, aad(owner))).value;
}
