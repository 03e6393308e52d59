/** Runs the S3 server of the tests on its own: `node test/fakes/s3/cli.ts [--port N]` (see ../shared/cli.ts). */
import { runFakeCli } from "../shared/cli.ts";

await runFakeCli({
  name: "s3",
  defaultPort: 0,
  start: async ({ port }) => (await import("./server")).startS3Server(port),
  loaderHint:
    "s3 loader: first create a bucket and an object, curl -X PUT {url}/_control/bucket/<bucket> -d '{}'; curl -X PUT {url}/_control/object/<bucket>/<key> --data-binary @<file>; " +
    'then "bucket": "<bucket>", "region": "us-east-1", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
});
