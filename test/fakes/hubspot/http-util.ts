/** node:http plumbing: reading bodies, writing replies, flattening query strings for the request log. */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function readRaw(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The body as the log records it: JSON and forms parsed, anything else kept as text, nothing as null. */
export function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === "") return null;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(raw));
  if (type === "application/json") {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return out;
}

export function lowercaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function send(res: ServerResponse, reply: Reply) {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  // HubSpot answers with this exact media type, charset included.
  headers["content-type"] ??= "application/json;charset=utf-8";
  res.writeHead(reply.status, headers);
  res.end(JSON.stringify(reply.body));
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
