/** Runs the LinkedIn (Marketing API and OAuth) fake on its own: `node test/fakes/linkedin/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "linkedin",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startLinkedinFake(port),
  loaderHint:
    'linkedin_ads loader: first create a member and an account, curl -X PUT {url}/_fake/members/m1 -d \'{"client_id": "demo", "client_secret": "demo-secret", "refresh_token": "demo-refresh"}\' and curl -X PUT {url}/_fake/accounts/508000001 -d \'{"member": "m1"}\'; then "account_ids": ["508000001"], "client_id": "demo", "client_secret": "demo-secret", "refresh_token": "demo-refresh"',
});
