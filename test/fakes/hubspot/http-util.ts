/** HubSpot's side of the node:http plumbing: how bodies are logged and replies written (the rest is ../shared/http). */
import type { ServerResponse } from "node:http";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
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
