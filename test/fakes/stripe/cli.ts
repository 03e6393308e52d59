/** Runs the Stripe fake on its own: `node test/fakes/stripe/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "stripe",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startStripeFake({ port }),
  loaderHint: 'stripe loader: "api_key": "sk_test_<tenant>" (the key names the tenant; seeded with the default dataset on first use)',
});
