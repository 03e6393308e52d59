/** Runs the HubSpot CRM fake on its own: `node test/fakes/hubspot/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "hubspot",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startHubSpotFake({ port }),
  loaderHint:
    'hubspot loader: "access_token": "pat-<tenant>", or "client_id": "fake-hubspot-client-id", "client_secret": "fake-hubspot-client-secret", "refresh_token": "refresh-<tenant>"',
});
