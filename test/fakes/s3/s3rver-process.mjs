/**
 * The S3-compatible server itself, in a Node process of its own: @20minutes/s3rver builds ListObjectsV2 continuation
 * tokens with DES, which OpenSSL 3 offers only through its legacy provider, so this process is started with
 * `--openssl-legacy-provider` (test/fakes/s3/server.ts) and the test run's own process needs no such flag.
 * Arguments: the storage directory. Prints `{"port": N}` on stdout once it listens on 127.0.0.1.
 */
import S3rver from "@20minutes/s3rver";

const directory = process.argv[2];
if (!directory) throw new Error("usage: s3rver-process.mjs <directory>");

const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  directory,
  silent: true,
  // Requests reach it only through the front (server.ts), which has already checked their SigV4 signature against
  // the production host and forwards them unsigned, path style.
  vhostBuckets: false,
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
const shutdown = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// The parent's end of stdin closes when the test run ends, however it ends: nothing of a run may outlive it.
process.stdin.on("end", shutdown);
process.stdin.resume();
