/** Runs the Salesforce REST API fake on its own: `node test/fakes/salesforce/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "salesforce",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startSalesforceFake({ port }),
  loaderHint:
    'salesforce loader: "instance_url": "https://mycompany.my.salesforce.com", "client_id": "<any>", "client_secret": "<any>", "refresh_token": "refresh-<tenant>"',
});
