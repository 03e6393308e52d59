/**
 * Runs the Facebook fake on its own (bench/ads.mjs uses it): `node test/fakes/facebook/cli.ts`. Prints
 * `facebook fake listening on http://127.0.0.1:PORT` once it accepts requests. Node strips the types; the resolve
 * hook finds the extensionless relative imports the project's TypeScript uses (as test/fakes/shopify/cli.ts does).
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

const { startFacebookFake } = await import("./server");
const server = await startFacebookFake();
console.log(`facebook fake listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
