/**
 * Reading one object: a GET of the whole object or of a byte range (206), always with If-Match on the ETag the
 * listing gave, so an object re-written while it is read answers 412 instead of mixing two versions' bytes.
 */
import { ConnectorError, isConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { encodeKey } from "./address";
import { ObjectChanged, s3Code } from "./errors";
import type { S3Object } from "./listing";

export interface ObjectReader {
  http: HttpClient;
  /** The bucket root (address.ts). */
  root: string;
  label: string;
}

export interface ObjectBody {
  body: ReadableStream<Uint8Array>;
  /** gzip by name or Content-Encoding: such an object is resumed by counting rows, never by a byte Range. */
  compressed: boolean;
}

function changedOrMissing(error: unknown, object: S3Object): never {
  if (isConnectorError(error) && (error.details.status === 412 || error.details.status === 404)) {
    throw new ObjectChanged(`${object.key} changed or was deleted while it was read`);
  }
  throw error;
}

/** 412 and 404 are turned into ObjectChanged by the caller; the rest of S3's errors by errors.ts. */
export function objectClassifier(status: number, body: string): ConnectorError | undefined {
  if (status === 412) return new ConnectorError("data", "PreconditionFailed", { status });
  if (status === 404 && s3Code(body).code === "NoSuchKey") return new ConnectorError("data", "NoSuchKey", { status });
  return undefined;
}

/** The object from `fromByte` (to `toByte`, exclusive, when given) as a stream. */
export async function openObject(reader: ObjectReader, object: S3Object, fromByte = 0, toByte?: number): Promise<ObjectBody> {
  const ranged = fromByte > 0 || toByte !== undefined;
  let result;
  try {
    result = await reader.http.stream({
      url: reader.root + encodeKey(object.key),
      headers: { "if-match": object.etag || undefined, ...(ranged ? { range: `bytes=${fromByte}-${toByte === undefined ? "" : toByte - 1}` } : {}), accept: "*/*" },
    });
  } catch (error) {
    changedOrMissing(error, object);
  }
  if (ranged && result.status !== 206) {
    await result.body.cancel().catch(() => undefined);
    throw new ConnectorError("retryable", `${reader.label}: a Range request for ${object.key} was answered with the whole object (HTTP ${result.status})`);
  }
  const encoding = result.headers.get("content-encoding") ?? "";
  const compressed = /\.gz$/i.test(object.key) || /gzip/i.test(encoding);
  return { body: result.body, compressed };
}

/** Bytes [start, end) of the object, for Parquet's random access. */
export async function objectRange(reader: ObjectReader, object: S3Object, start: number, end: number): Promise<ArrayBuffer> {
  if (end <= start) return new ArrayBuffer(0);
  let result;
  try {
    result = await reader.http.request({
      url: reader.root + encodeKey(object.key),
      headers: { "if-match": object.etag || undefined, range: `bytes=${start}-${end - 1}`, accept: "*/*" },
    });
  } catch (error) {
    changedOrMissing(error, object);
  }
  const bytes = result.bytes();
  if (result.status !== 206 && !(start === 0 && bytes.length === end)) {
    throw new ConnectorError("retryable", `${reader.label}: a Range request for ${object.key} was answered with HTTP ${result.status}`);
  }
  if (bytes.length !== end - start) {
    throw new ConnectorError("retryable", `${reader.label}: a Range request for ${object.key} returned ${bytes.length} bytes instead of ${end - start}`);
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Whether the bytes are gzip (magic 1f 8b), and the same stream to read from the start. Sniffed rather than trusted
 * to the name or header: a runtime may already have decoded a `Content-Encoding: gzip` answer.
 */
export async function sniffGzip(stream: ReadableStream<Uint8Array>): Promise<{ gzip: boolean; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  let head = new Uint8Array(0);
  let done = false;
  while (head.length < 2 && !done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      const joined = new Uint8Array(head.length + next.value.length);
      joined.set(head);
      joined.set(next.value, head.length);
      head = joined;
    }
  }
  const gzip = head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  let first: Uint8Array | null = head.length > 0 ? head : null;
  const replay = new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        if (first) {
          out.enqueue(first);
          first = null;
          return;
        }
        if (done) return out.close();
        try {
          const next = await reader.read();
          if (next.done) out.close();
          else out.enqueue(next.value);
        } catch (error) {
          out.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return { gzip, stream: replay };
}
