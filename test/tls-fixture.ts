/**
 * Test-only TLS material for a database server that source tests reach over TLS: a throwaway CA and a server
 * certificate for `localhost` alone, made with the openssl CLI into a fresh temporary folder. It must exist before
 * miniflare is imported, because miniflare reads NODE_EXTRA_CA_CERTS once, at import, to tell workerd which extra
 * CAs to trust; vitest.config.ts imports this module first. test/global-setup.ts starts the server and removes the
 * folder after the run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** vitest loads the config and the global setup as separate module graphs: the second import finds the first's folder. */
export const tlsDir = process.env.LOADERS_TEST_TLS_DIR ?? makeMaterial();

function makeMaterial(): string {
  const dir = mkdtempSync(join(tmpdir(), "loaders-test-tls-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Loaders test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost");
  // The name `localhost` only: a connection to 127.0.0.1 must fail the host-name check.
  writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:localhost\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "san.ext");
  // Keep whatever extra CAs the developer already trusts.
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const bundle = join(dir, "trusted.pem");
  writeFileSync(bundle, [previous && existsSync(previous) ? readFileSync(previous, "utf8") : "", readFileSync(join(dir, "ca.pem"), "utf8")].join("\n"));
  process.env.NODE_EXTRA_CA_CERTS = bundle;
  process.env.LOADERS_TEST_TLS_DIR = dir;
  return dir;
}
