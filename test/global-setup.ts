/**
 * Starts every fake API server once for the whole test run (in Node) and hands their ports to the workerd
 * tests. HOST_OVERRIDES maps each production hostname to its fake, exactly as development mode does it.
 */
import type { TestProject } from "vitest/node";
import { startFakes } from "./fakes";
import { startTlsMariadb } from "./tls-mariadb";

declare module "vitest" {
  export interface ProvidedContext {
    hostOverrides: Record<string, string>;
    fakePorts: Record<string, number>;
    pgUrl: string;
    mysqlUrl: string;
    mysqlTlsPort: number;
  }
}

export default async function setup(project: TestProject) {
  const fakes = await startFakes();
  project.provide("hostOverrides", fakes.hostOverrides);
  project.provide("fakePorts", fakes.ports);
  project.provide("pgUrl", process.env.LOADERS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test");
  project.provide("mysqlUrl", process.env.LOADERS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test");
  const tlsMariadb = await startTlsMariadb();
  project.provide("mysqlTlsPort", tlsMariadb.port);
  return async () => {
    await fakes.close();
    await tlsMariadb.stop();
  };
}
