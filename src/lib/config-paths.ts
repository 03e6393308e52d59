/** Dot-path access to config objects, used to split secret fields out of a config and merge them back. */
type Obj = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function hasValue(obj: unknown, path: string): boolean {
  const value = getPath(obj, path);
  return value !== undefined && value !== null && value !== "";
}

export function setPath(obj: Obj, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(cur[part])) cur[part] = {};
    cur = cur[part] as Obj;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deletePath(obj: Obj, path: string): void {
  const parts = path.split(".");
  let cur: unknown = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(cur)) return;
    cur = cur[part];
  }
  if (isPlainObject(cur)) delete cur[parts[parts.length - 1]!];
}

/** Returns the config without its secret fields, and the secret fields alone (same nesting). */
export function splitSecrets(config: Obj, secretPaths: string[]): { plain: Obj; secrets: Obj } {
  const plain = structuredClone(config);
  const secrets: Obj = {};
  for (const path of secretPaths) {
    const value = getPath(config, path);
    if (value === undefined) continue;
    setPath(secrets, path, value);
    deletePath(plain, path);
  }
  return { plain, secrets };
}

export function mergeSecrets(plain: Obj, secrets: Obj, secretPaths: string[]): Obj {
  const merged = structuredClone(plain);
  for (const path of secretPaths) {
    const value = getPath(secrets, path);
    if (value !== undefined) setPath(merged, path, value);
  }
  return merged;
}

/**
 * Secret values present in `incoming` win; absent ones keep the stored value (a PUT need not resend secrets);
 * an explicit null clears the stored secret (e.g. to switch from a private-app token to OAuth).
 */
export function keepStoredSecrets(incoming: Obj, stored: Obj, secretPaths: string[]): Obj {
  const merged = structuredClone(incoming);
  for (const path of secretPaths) {
    const value = getPath(incoming, path);
    if (value === null) deletePath(merged, path);
    else if (value === undefined && getPath(stored, path) !== undefined) setPath(merged, path, getPath(stored, path));
  }
  return merged;
}
