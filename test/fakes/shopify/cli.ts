/** Runs the Shopify Admin GraphQL fake on its own: `node test/fakes/shopify/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "shopify",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startShopifyFake({ port }),
  loaderHint:
    'shopify loader: first seed the shop, curl -X POST {url}/_fake/<shop>/seed -d \'{}\'; then "shop": "<shop>", "access_token": "shpat_<shop>"',
});
