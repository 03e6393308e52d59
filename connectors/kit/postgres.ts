/**
 * PostgreSQL wire facts shared by the postgresql source (connectors/postgresql) and the postgresql warehouse.
 *
 * The TCP socket `pg` runs on in workerd. pg chooses it itself with a lazy `require('pg-cloudflare')`, which
 * vitest's workerd module loader resolves to the package's empty default export ("CloudflareSocket is not a
 * constructor"); handing pg the socket explicitly works under every loader, wrangler's bundle included. TLS still
 * goes through pg's own workerd path (`socket.startTls`), which pg selects by runtime, not by this socket.
 */
import type { Duplex } from "node:stream";
import type { ClientConfig } from "pg";
// TypeScript resolves the package's `default` export condition (an empty module); workerd resolves `workerd`.
import * as pgCloudflare from "pg-cloudflare";
import { TLS_REFUSED_HINT } from "./errors";

interface CloudflareSocketLike {
  startTls(options: unknown): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}
const CloudflareSocket = (pgCloudflare as { CloudflareSocket?: new (ssl: boolean) => CloudflareSocketLike }).CloudflareSocket;

/** What `postgresFailureKind` knows as a refused TLS handshake. */
export const TLS_HANDSHAKE_FAILED = "TLS_HANDSHAKE_FAILED";

/**
 * workerd tells JavaScript only "internal error" when a TLS handshake fails (its log says why: an unknown issuer, a
 * host name the certificate does not name). An error between the switch to TLS and the first byte received over
 * it is that handshake's: it is marked, so that it reads as a configuration problem rather than a flaky network.
 */
const HandshakeAwareSocket = CloudflareSocket
  ? class extends CloudflareSocket {
      private handshaking = false;
      override startTls(options: unknown): void {
        this.handshaking = true;
        super.startTls(options);
      }
      override emit(event: string | symbol, ...args: unknown[]): boolean {
        if (event === "data") this.handshaking = false;
        if (event === "error" && this.handshaking) {
          const cause = args[0] instanceof Error ? args[0].message : String(args[0]);
          args[0] = Object.assign(new Error(`TLS handshake failed (${cause}); ${TLS_REFUSED_HINT}`), { code: TLS_HANDSHAKE_FAILED });
        }
        return super.emit(event, ...args);
      }
    }
  : undefined;

/** undefined outside workerd, where pg's own choice (a node:net socket) is the right one. */
export function workerdSocket(ssl: boolean): (() => Duplex) | undefined {
  return HandshakeAwareSocket ? () => new HandshakeAwareSocket(ssl) as unknown as Duplex : undefined;
}

export type PostgresFailureKind = "retryable" | "configuration" | "data";

const KIND_BY_CLASS: Record<string, PostgresFailureKind> = {
  "08": "retryable", // connection exception
  "28": "configuration", // invalid authorization (bad password, unknown role)
  "3D": "configuration", // database does not exist
  "40": "retryable", // serialization failure, deadlock
  "53": "retryable", // insufficient resources, too many connections
  "57": "retryable", // admin shutdown, cannot connect now, statement timeout (57014)
  "58": "retryable", // system error
};

/** insufficient_privilege, reserved_name (a `pg_` schema), invalid_schema_name. */
const CONFIGURATION_CODES = new Set(["42501", "42939", "3F000"]);

export const SQLSTATE_HINTS: Record<string, string> = {
  "28P01": "Password authentication failed: check the user and password",
  "3D000": "The database does not exist",
  "42501": "The user lacks a privilege it needs",
};

/** The SQLSTATE of a server error, or null when the failure came from the socket (refused, reset, timed out, TLS). */
export function sqlstate(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** How a failure should be handled: a socket failure is worth retrying; a server error by its SQLSTATE class. */
export function postgresFailureKind(error: unknown): PostgresFailureKind {
  if ((error as { code?: unknown } | null)?.code === TLS_HANDSHAKE_FAILED) return "configuration";
  const code = sqlstate(error);
  if (code === null) return "retryable";
  return CONFIGURATION_CODES.has(code) ? "configuration" : (KIND_BY_CLASS[code.slice(0, 2)] ?? "data");
}

export interface PostgresLogin {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** libpq's modes that both sides offer; the caller has already refused `disable` outside development. */
  sslmode: "disable" | "require" | "verify-ca" | "verify-full";
}

export const CONNECT_TIMEOUT_MS = 15_000;

/** A `pg` client config for workerd; `sessionSettings` are the `-c name=value` options the session starts with. */
export function postgresClientConfig(login: PostgresLogin, sessionSettings: Record<string, string | number>): ClientConfig {
  const { host, port, database, user, password, sslmode } = login;
  const tls = sslmode !== "disable";
  return {
    host,
    port,
    database,
    user,
    password,
    // libpq's meaning where pg runs on node:tls (require encrypts, verify-* also check the certificate); in workerd
    // the socket's startTls always checks it, and these options go unused.
    ssl: tls ? { rejectUnauthorized: sslmode === "verify-ca" || sslmode === "verify-full", servername: host } : false,
    stream: workerdSocket(tls),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "loaders",
    options: Object.entries(sessionSettings).map(([name, value]) => `-c ${name}=${value}`).join(" "),
  };
}
