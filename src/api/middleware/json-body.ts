import type { MiddlewareHandler } from "hono";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../types";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The one rule for which bodies are JSON: `application/json` and any `application/<subtype>+json` (RFC 6838 §4.2.8
 * structured-syntax suffix, e.g. `application/merge-patch+json`, `application/a+b+json`), case-insensitive, with
 * parameters (`; charset=utf-8`). The body check below and the route validators both go by what this middleware
 * parsed, so a body is either read or refused — never silently taken as `{}`.
 */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9][a-z0-9!#$&^_.+-]*\+)?json[ \t]*(?:;.*)?$/i;

export function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(contentType.trim());
}

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
  if (!isJsonMediaType(c.req.header("content-type"))) {
    throw new AppError("unsupported_media_type", "request body must be JSON with Content-Type: application/json (or application/*+json)");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError("invalid_json", "request body is not valid JSON");
  }
  c.set("jsonBody", parsed);
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
