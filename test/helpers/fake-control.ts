/**
 * A fake server's control endpoints (seed, faults, mutate, request log), as tests call them. Plain fetch and no
 * workerd imports, so workers harnesses and Node tests share it.
 */

/** `prefix-1a2b3c4d`: a tenant name no other test (or earlier run) uses. */
export function uniqueTenant(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export type Control = <T = any>(method: string, path: string, body?: unknown) => Promise<T>;

/** A tenant's control endpoints below `root`: JSON bodies both ways (a 204 answers null); anything but 2xx throws. */
export function controlClient(root: string): Control {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${root}/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`control ${method} ${path} failed: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? null : await response.json()) as T;
  };
}
