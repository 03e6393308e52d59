import type { IncomingMessage, ServerResponse } from "node:http";

/** A JSON error answer (`{"error": message}`) that a handler throws instead of writing the response itself. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Already-serialized JSON: item pages are assembled from cached per-item JSON, never re-stringified. */
  body: string;
}

export function jsonReply(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

export function errorReply(status: number, message: string, headers?: Record<string, string>): Reply {
  return jsonReply(status, { error: message }, headers);
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const body = Buffer.from(reply.body, "utf8");
  res.writeHead(reply.status, {
    ...reply.headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(body.length),
  });
  res.end(body);
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a control request's JSON object body; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  if (!isPlainObject(value)) throw new HttpError(400, "body must be a JSON object");
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Control bodies reject unknown keys so that a typo in a test fails loudly instead of configuring nothing. */
export function rejectUnknownKeys(body: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `unknown ${what} field(s): ${unknown.join(", ")}`);
}
