/**
 * node:http plumbing every fake server shares: starting and stopping on loopback, reading a request's body, and the
 * flat header and query shapes their request logs record. Erasable TypeScript only: the rest-api fake also runs
 * under plain Node 24 (test/fakes/rest-api/cli.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on `port` (0: any free one) and answers the port it got. */
export function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting and drops open keep-alive connections, which would otherwise hold `close` open. */
export function stop(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** The whole body as UTF-8 text ("" when there is none). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Header name → value, repeated headers joined with ", " as HTTP allows. */
export function lowercaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Query parameters in first-seen order: one value as a string, a repeated one (`types[]=a&types[]=b`) as a list. */
export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return out;
}

type Handler = (request: IncomingMessage, url: URL, response: ServerResponse) => Promise<void>;

/**
 * A fake's server: `/_fake/…` goes to its control routes (handed the path's parts after `_fake`), the rest to its API;
 * a handler that throws answers 500 with the error's text (a bug in the fake shows in the test, not as a hang).
 */
export async function serveFake(options: { name: string; hosts: string[]; port?: number; control: (request: IncomingMessage, parts: string[], response: ServerResponse) => Promise<void>; api: Handler }) {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", `http://${options.hosts[0]}`);
    const handle = url.pathname.startsWith("/_fake/") ? options.control(request, url.pathname.slice(7).split("/"), response) : options.api(request, url, response);
    handle.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  const port = await listen(server, options.port ?? 0);
  return { name: options.name, port, hosts: options.hosts, close: () => stop(server) };
}
