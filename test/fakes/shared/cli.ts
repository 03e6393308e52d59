/**
 * What every fake's own `cli.ts` shares: `node test/fakes/<fake>/cli.ts [--port N] [--host H]` starts one fake outside
 * the tests (for `npm start` and the benchmarks) and prints
 *
 *     <name> fake listening on http://HOST:PORT
 *     HOST_OVERRIDES={"<production host>":"http://HOST:PORT",…}
 *     <how a loader's config reaches it>
 *
 * The first line is what bench/lib.mjs waits for; the second is the entry `.dev.vars` needs for a loader started by
 * `npm start` to reach the fake instead of the vendor (development mode only, connectors/kit/host-policy.ts).
 *
 * Node 24 strips the types itself, but ESM in Node wants file extensions, while the project's TypeScript settings
 * (and Vite, which runs the same files in tests) use extensionless relative imports. The resolve hook lets Node find
 * `./server` as `./server.ts`. It has to be registered before the fake's server module is resolved, so a `cli.ts`
 * imports this file with its extension and loads its server with a dynamic import inside `start`.
 */
import { registerHooks } from "node:module";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { RunningFake } from "../index";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!specifier.startsWith(".") || /\.[cm]?[jt]s$/.test(specifier)) throw error;
      return nextResolve(`${specifier}.ts`, context);
    }
  },
});

export interface FakeCli {
  /** Used in the first printed line. */
  name: string;
  /** The port when `--port` is not given; 0 picks a free one (what the benchmarks rely on). */
  defaultPort: number;
  /** Only a fake whose server takes a host accepts `--host`; the others listen on loopback only. */
  start(options: { port: number; host?: string }): Promise<RunningFake>;
  /** Printed last: what a loader's config needs to reach this fake (credentials the fake accepts, seeding). */
  loaderHint: string;
  /** Whether `start` honours `host`. */
  acceptsHost?: boolean;
}

export async function runFakeCli(cli: FakeCli): Promise<void> {
  const options: ParseArgsOptionsConfig = { port: { type: "string", default: String(cli.defaultPort) } };
  if (cli.acceptsHost) options.host = { type: "string", default: "127.0.0.1" };
  let values: { port?: string; host?: string };
  try {
    values = parseArgs({ options }).values as { port?: string; host?: string };
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: node test/fakes/<fake>/cli.ts [--port N]${cli.acceptsHost ? " [--host H]" : ""}`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? "") || port > 65_535) {
    console.error(`invalid --port: ${values.port} (a whole number from 0 to 65535)`);
    process.exit(2);
  }
  const host = values.host ?? "127.0.0.1";

  const fake = await cli.start(cli.acceptsHost ? { port, host } : { port });
  const url = `http://${host}:${fake.port}`;
  console.log(`${cli.name} fake listening on ${url}`);
  console.log(`HOST_OVERRIDES=${JSON.stringify(Object.fromEntries(fake.hosts.map((name) => [name, url])))}`);
  console.log(cli.loaderHint.replaceAll("{url}", url));

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void fake.close().then(() => process.exit(0));
    });
  }
}
