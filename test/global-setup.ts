/**
 * Starts every fake API server once for the whole test run (in Node) and hands their ports to the workerd
 * tests. HOST_OVERRIDES maps each production hostname to its fake, exactly as development mode does it.
 */
import type { TestProject } from "vitest/node";
import { startFakes } from "./fakes";
import { rmSync } from "node:fs";
import { type TlsServer, startTlsMariadb, startTlsPostgres } from "./tls-servers";
import { tlsDir } from "./tls-fixture";

declare module "vitest" {
  export interface ProvidedContext {
    hostOverrides: Record<string, string>;
    fakePorts: Record<string, number>;
    pgUrl: string;
    mysqlUrl: string;
    mysqlTlsPort: number;
    pgTlsPort: number;
  }
}

export default async function setup(project: TestProject) {
  const fakes = await startFakes();
  project.provide("hostOverrides", fakes.hostOverrides);
  project.provide("fakePorts", fakes.ports);
  project.provide("pgUrl", process.env.LOADERS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test");
  project.provide("mysqlUrl", process.env.LOADERS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test");
  const started = await Promise.allSettled([startTlsMariadb(), startTlsPostgres()]);
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    // Stop the one that did start before failing the run: nothing of a test run may outlive it.
    await Promise.all(started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)));
    rmSync(tlsDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const [mariadb, postgres] = started.map((result) => (result as PromiseFulfilledResult<TlsServer>).value) as [TlsServer, TlsServer];
  const tlsServers = [mariadb, postgres];
  project.provide("mysqlTlsPort", mariadb.port);
  project.provide("pgTlsPort", postgres.port);
  return async () => {
    await fakes.close();
    await Promise.all(tlsServers.map((server) => server.stop()));
    rmSync(tlsDir, { recursive: true, force: true });
  };
}
