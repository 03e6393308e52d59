/**
 * A MariaDB that speaks TLS only with test/tls-fixture.ts's certificate, for the mysql source's TLS tests (the
 * machine's own MariaDB has TLS off). An empty data directory and no grant tables: any user and password log in,
 * which is all a transport test needs. Starts in well under a second.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import { tlsDir } from "./tls-fixture";

function mariadbd(): string {
  const configured = process.env.LOADERS_TEST_MARIADBD;
  if (configured) return configured;
  return ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"].find((path) => existsSync(path)) ?? "mariadbd";
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

export async function startTlsMariadb(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const data = join(tlsDir, "data");
  mkdirSync(data, { recursive: true });
  const server: ChildProcess = spawn(
    mariadbd(),
    [
      "--no-defaults",
      `--datadir=${data}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${join(tlsDir, "mariadb.sock")}`,
      "--user=root",
      "--skip-grant-tables",
      "--skip-log-bin",
      "--innodb-buffer-pool-size=16M",
      `--ssl-cert=${join(tlsDir, "cert.pem")}`,
      `--ssl-key=${join(tlsDir, "key.pem")}`,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  for (let tries = 0; !(await accepting(port)); tries++) {
    if (tries > 100 || server.exitCode !== null) throw new Error(`the TLS MariaDB for the mysql source tests did not start (${mariadbd()}; set LOADERS_TEST_MARIADBD)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    async stop() {
      server.kill("SIGTERM");
      await exited;
      rmSync(tlsDir, { recursive: true, force: true });
    },
  };
}
