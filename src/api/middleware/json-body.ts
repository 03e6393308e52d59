import type { MiddlewareHandler } from "hono";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../types";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Bodies are JSON, at most 1 MiB (413), with a JSON content type (415), and parse (400) — checked before any
 * validator runs so each failure has its own status. The body is read once, bounded, and handed on as text.
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async function jsonBody(c, next) {
  if (c.req.method !== "POST" && c.req.method !== "PUT" && c.req.method !== "PATCH") return next();
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new AppError("payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  const raw = await readBounded(c.req.raw);
  if (raw === null) throw new AppError("payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  if (raw.length === 0) return next();
  const contentType = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new AppError("unsupported_media_type", "request body must be JSON with Content-Type: application/json");
  }
  try {
    JSON.parse(raw);
  } catch {
    throw new AppError("invalid_json", "request body is not valid JSON");
  }
  // Hono caches the parsed body for validators; a fresh Request keeps the text we already read.
  c.req.raw = new Request(c.req.raw, { body: raw });
  return next();
};

async function readBounded(request: Request): Promise<string | null> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
