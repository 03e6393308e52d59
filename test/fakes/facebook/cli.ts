/** Runs the Facebook (Graph API) fake on its own: `node test/fakes/facebook/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "facebook",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startFacebookFake(port),
  loaderHint:
    'facebook_ads loader: first create the account, curl -X PUT {url}/_fake/accounts/123 -d \'{"token": "demo-token"}\'; then "account_ids": ["123"], "access_token": "demo-token"',
});
