/**
 * Runs the S3 server of the tests on its own (the benchmarks use it): `node test/fakes/s3/cli.ts`. Prints
 * `s3 server listening on http://127.0.0.1:PORT` once it accepts requests. Node strips the types; the resolve hook
 * finds the extensionless relative imports the project's TypeScript uses (as test/fakes/rest-api/cli.ts does).
 */
import { registerHooks } from "node:module";

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

const { startS3Server } = await import("./server");
const server = await startS3Server();
console.log(`s3 server listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
