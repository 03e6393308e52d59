/**
 * The kit's own transport fake: what the http client really puts on the wire and how it reads a large body, through
 * workerd's fetch and a real socket rather than an injected fetch.
 * - any path: echoes the request as received (method, the raw request target byte for byte, headers, body, the
 *   production host from X-Forwarded-Host);
 * - `GET /generate?bytes=N&id=X`: N bytes of fixed 100-byte lines, made on the fly as the socket drains (never held),
 *   honouring `Range: bytes=a-` / `a-b` with 206 and Content-Range; `GET /progress?id=X` says how much was written.
 * Production hosts: `transport.kit.example` and every `*.tenants.kit.example` (a wildcard HOST_OVERRIDES key).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { RunningFake } from "../index";
import { addressedHost } from "../shared/forwarded-host";
import { listen, lowercaseHeaders, readBody, stop } from "../shared/http";

export const KIT_HOSTS = ["transport.kit.example", "*.tenants.kit.example"];
export const LINE_BYTES = 100;
const BLOCK_BYTES = 64 * 1024;

/** Line n (1-based): its number, zero-padded, then padding, 100 bytes with the newline. */
export function generatedLine(n: number): string {
  return `${String(n).padStart(12, "0")} ${"x".repeat(LINE_BYTES - 14)}\n`;
}

function bytesOf(start: number, end: number): Buffer {
  const first = Math.floor(start / LINE_BYTES);
  const last = Math.ceil(end / LINE_BYTES);
  let text = "";
  for (let i = first; i < last; i++) text += generatedLine(i + 1);
  return Buffer.from(text, "latin1").subarray(start - first * LINE_BYTES, end - first * LINE_BYTES);
}

interface Progress {
  written: number;
  total: number;
  finished: boolean;
}

export async function startKitFake(): Promise<RunningFake> {
  const progress = new Map<string, Progress>();

  const generate = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const total = Number(url.searchParams.get("bytes") ?? 0);
    const id = url.searchParams.get("id") ?? "default";
    let start = 0;
    let end = total;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(total, Number(range[2]) + 1) : total;
      if (start >= total) {
        res.writeHead(416, { "content-range": `bytes */${total}`, "content-type": "application/xml" });
        res.end("<Error><Code>InvalidRange</Code></Error>");
        return;
      }
      res.writeHead(206, { "content-type": "text/plain", "content-length": String(end - start), "content-range": `bytes ${start}-${end - 1}/${total}` });
    } else {
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(total), "accept-ranges": "bytes" });
    }
    const state: Progress = { written: 0, total: end - start, finished: false };
    progress.set(id, state);
    let at = start;
    const pump = () => {
      while (at < end) {
        const next = Math.min(end, at + BLOCK_BYTES);
        const block = bytesOf(at, next);
        at = next;
        state.written += block.length;
        if (!res.write(block)) {
          res.once("drain", pump);
          return;
        }
      }
      state.finished = true;
      res.end();
    };
    res.on("close", () => res.off("drain", pump));
    pump();
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    try {
      if (req.method === "GET" && url.pathname === "/generate") return generate(req, res, url);
      if (req.method === "GET" && url.pathname === "/progress") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(progress.get(url.searchParams.get("id") ?? "default") ?? null));
        return;
      }
      const body = await readBody(req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, target: req.url, headers: lowercaseHeaders(req), body, addressedHost: addressedHost(req) }));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: String(error) }));
    }
  });
  const port = await listen(server);
  return { name: "kit", port, hosts: KIT_HOSTS, close: () => stop(server) };
}
