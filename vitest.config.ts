import { defineConfig } from "vitest/config";
// It sets NODE_EXTRA_CA_CERTS, which miniflare reads when it is imported: the plugin is imported after it, below.
import "./test/tls-fixture";

/**
 * Two projects: `workers` runs the Worker's own code inside workerd against real local D1, Queues and Durable
 * Objects; `node` runs what must live in Node (the fake API servers themselves, and the vendors' official npm
 * clients pointed at them). Fake servers start once in globalSetup and reach workerd tests as injected ports.
 */
export default defineConfig(async () => {
  // Imported here, not at the top: a static import would load miniflare before test/tls-fixture.ts has run.
  const { cloudflareTest, readD1Migrations } = await import("@cloudflare/vitest-plugin");
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      globalSetup: ["./test/global-setup.ts"],
      // Request logs of passing tests are noise; a failing test still shows its output.
      silent: "passed-only",
      // The JSON report lets .ci/run print a plain "N passed, N failed" line that any CI log reader understands.
      reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
      projects: [
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              remoteBindings: false,
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ENVIRONMENT: "development",
                  ADMIN_TOKEN: "test-admin-token",
                  SECRETS_KEYRING: JSON.stringify({
                    current: "k1",
                    keys: { k1: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" },
                  }),
                  HOST_OVERRIDES: JSON.stringify(inject("hostOverrides")),
                  FAKE_PORTS: JSON.stringify(inject("fakePorts")),
                  PG_URL: inject("pgUrl"),
                  MYSQL_URL: inject("mysqlUrl"),
                  MYSQL_TLS_PORT: String(inject("mysqlTlsPort")),
                  PG_TLS_PORT: String(inject("pgTlsPort")),
                  // Small chunks so every multi-page test crosses chunk boundaries (handoff, resume, leases).
                  CHUNK_MAX_PAGES: "4",
                  // Short leases and a watchdog that looks every second, so a lost chunk is recovered within seconds.
                  LEASE_SECONDS: "6",
                  WATCHDOG_SECONDS: "1",
                  // Tables of a few thousand rows split into key ranges (test/engine/key-ranges*.test.ts); the
                  // source tests' 4,500-row tables stay whole.
                  RANGE_ROWS: "6000",
                  // Engine tests page database sources by 1,000 rows, as their page and chunk counts assume; the
                  // growth to 10,000 is tested on the kit (test/kit/page-rows.test.ts).
                  MAX_PAGE_ROWS: "1000",
                },
                queueConsumers: { "loaders-extract": { maxBatchTimeout: 0.05 } },
              },
            })),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/node/**", "test/browser/**"],
            setupFiles: ["./test/setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        {
          // The dashboard in Debian's Chromium against `wrangler dev` (test/browser/harness.ts): one file, in order.
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
            testTimeout: 60_000,
          },
        },
      ],
    },
  };
});
