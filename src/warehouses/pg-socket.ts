/**
 * The TCP socket `pg` runs on in workerd. pg chooses it itself with a lazy `require('pg-cloudflare')`, which
 * vitest's workerd module loader resolves to the package's empty default export ("CloudflareSocket is not a
 * constructor"); handing pg the socket explicitly works under every loader, wrangler's bundle included. TLS still
 * goes through pg's own workerd path (`socket.startTls`), which pg selects by runtime, not by this socket.
 */
import type { Duplex } from "node:stream";
// TypeScript resolves the package's `default` export condition (an empty module); workerd resolves `workerd`.
import * as pgCloudflare from "pg-cloudflare";

const CloudflareSocket = (pgCloudflare as { CloudflareSocket?: new (ssl: boolean) => unknown }).CloudflareSocket;

/** undefined outside workerd, where pg's own choice (a node:net socket) is the right one. */
export function workerdSocket(ssl: boolean): (() => Duplex) | undefined {
  return CloudflareSocket ? () => new CloudflareSocket(ssl) as Duplex : undefined;
}
