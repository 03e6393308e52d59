/** Runs the fake REST API on its own: `node test/fakes/rest-api/cli.ts [--port 8788] [--host 127.0.0.1]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "rest-api",
  defaultPort: 8788,
  acceptsHost: true,
  start: async ({ port, host }) => (await import("./server")).startFakeRestApi({ port, host }),
  loaderHint: 'rest_api loader: "base_url": "https://api.example.com/t/<tenant>" (any tenant name; 1,000 items, no auth)',
});
