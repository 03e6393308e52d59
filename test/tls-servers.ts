/**
 * Database servers that speak TLS with test/tls-fixture.ts's certificate (for `localhost` only, from a CA trusted
 * by the run), for the TLS tests of the sources and the PostgreSQL warehouse: the machine's own servers have TLS
 * off. Each gets a fresh data directory and starts in a second or two; both go with the run.
 * - MariaDB: an empty data directory and no grant tables, so any user and password log in.
 * - PostgreSQL: initdb with trust authentication, as the `postgres` OS user when the run is root (the server
 *   refuses to run as root).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tlsDir } from "./tls-fixture";

export interface TlsServer {
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function waitUntil(ready: () => Promise<boolean>, server: ChildProcess, what: string): Promise<void> {
  for (let tries = 0; !(await ready()); tries++) {
    if (tries > 150 || server.exitCode !== null) throw new Error(`${what} for the TLS tests did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function running(server: ChildProcess, cleanup: () => void, stop: () => void): () => Promise<void> {
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  return async () => {
    stop();
    await exited;
    cleanup();
  };
}

export async function startTlsMariadb(): Promise<TlsServer> {
  const binary = process.env.LOADERS_TEST_MARIADBD ?? ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"].find((path) => existsSync(path)) ?? "mariadbd";
  const port = await freePort();
  const data = join(tlsDir, "mariadb");
  mkdirSync(data, { recursive: true });
  const server = spawn(
    binary,
    [
      "--no-defaults",
      `--datadir=${data}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${join(data, "mariadb.sock")}`,
      "--user=root",
      "--skip-grant-tables",
      "--skip-log-bin",
      "--innodb-buffer-pool-size=16M",
      `--ssl-cert=${join(tlsDir, "cert.pem")}`,
      `--ssl-key=${join(tlsDir, "key.pem")}`,
    ],
    { stdio: "ignore" },
  );
  await waitUntil(() => accepting(port), server, `MariaDB (${binary}; LOADERS_TEST_MARIADBD names another)`);
  return { port, stop: running(server, () => rmSync(data, { recursive: true, force: true }), () => server.kill("SIGTERM")) };
}

function postgresBinDir(): string {
  if (process.env.LOADERS_TEST_PG_BINDIR) return process.env.LOADERS_TEST_PG_BINDIR;
  try {
    return execFileSync("pg_config", ["--bindir"], { stdio: "pipe" }).toString().trim();
  } catch {
    const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)) : [];
    return join("/usr/lib/postgresql", versions[0] ?? "", "bin");
  }
}

export async function startTlsPostgres(): Promise<TlsServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  // Its own folder, owned by the server's user: tlsDir (mode 0700) also holds the CA's key.
  const dir = mkdtempSync(join(tmpdir(), "loaders-test-pg-tls-"));
  copyFileSync(join(tlsDir, "cert.pem"), join(dir, "cert.pem"));
  copyFileSync(join(tlsDir, "key.pem"), join(dir, "key.pem"));
  const run = (command: string, args: string[]) => (asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args]) as [string, string[]];
  if (asRoot) {
    const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, "postgres"]).toString()));
    for (const path of [dir, join(dir, "cert.pem"), join(dir, "key.pem")]) chownSync(path, uid!, gid!);
  }
  execFileSync(...run(join(bin, "initdb"), ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]), { stdio: "pipe" });
  const port = await freePort();
  const server = spawn(
    ...run(join(bin, "postgres"), [
      "-D", join(dir, "data"),
      "-p", String(port),
      "-c", "listen_addresses=127.0.0.1",
      "-c", `unix_socket_directories=${dir}`,
      "-c", "ssl=on",
      "-c", `ssl_cert_file=${join(dir, "cert.pem")}`,
      "-c", `ssl_key_file=${join(dir, "key.pem")}`,
      "-c", "fsync=off",
    ]),
    { stdio: "ignore" },
  );
  const ready = async () => {
    try {
      execFileSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil(ready, server, `PostgreSQL (${bin}; LOADERS_TEST_PG_BINDIR names another)`);
  // runuser does not pass signals on, so pg_ctl stops the server; fast mode does not wait for open connections.
  const stop = () => execFileSync(...run(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "stop", "-m", "fast"]), { stdio: "ignore" });
  return { port, stop: running(server, () => rmSync(dir, { recursive: true, force: true }), stop) };
}
