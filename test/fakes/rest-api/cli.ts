/**
 * Runs the fake REST API on its own: `node test/fakes/rest-api/cli.ts [--port 8788] [--host 127.0.0.1]`.
 * Prints one line, `rest-api fake listening on http://HOST:PORT`, once it accepts requests (port 0 picks one).
 *
 * Node 24 strips the types itself, but ESM in Node wants file extensions, while the project's TypeScript settings
 * (and Vite, which runs the same files in tests) use extensionless relative imports. The resolve hook below lets
 * Node find `./server` as `./server.ts`; it must be registered before the server module loads, hence the dynamic
 * import.
 */
import { registerHooks } from "node:module";
import { parseArgs } from "node:util";

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

const { values } = parseArgs({
  options: { port: { type: "string", default: "8788" }, host: { type: "string", default: "127.0.0.1" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`invalid --port: ${values.port}`);
  process.exit(2);
}

const { startFakeRestApi } = await import("./server");
const fake = await startFakeRestApi({ port, host: values.host });
console.log(`rest-api fake listening on http://${values.host}:${fake.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void fake.close().then(() => process.exit(0));
  });
}
