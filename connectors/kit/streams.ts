/**
 * Readers over streamed bodies (DESIGN §5.2, §5.3): gunzip, lines with their byte offsets, and JSON Lines with exact
 * big integers. Each pulls one chunk at a time from its source and holds at most one line (bounded by
 * `maxLineBytes`), so a 2 GB export is read in the memory of its longest line; a reader that stops early cancels
 * the source, which ends the download.
 */
import { createGunzip } from "node:zlib";
import { ConnectorError, isConnectorError } from "./errors";

/** Where a previous read stopped: the `byteEnd` and `line` of the last line (or CSV record) it consumed. */
export interface ResumePoint {
  /** Bytes of the file before the resumed stream's first byte: a `Range: bytes=<byteEnd>-` request starts there. */
  byteEnd: number;
  /** Lines of the file before it (physical lines, for CSV). */
  line: number;
}

export interface Line {
  /** Without its terminator (LF or CRLF). */
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset in the file just after this line's terminator: resume from here with a Range request. */
  byteEnd: number;
}

export interface LineOptions {
  /** The stream starts after this point of the file (a Range request from `byteEnd`); offsets and numbers continue. */
  after?: ResumePoint;
  /** A longer line is a data error rather than an unbounded buffer (a file with no newlines, or binary). */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Gzip, through the runtime's zlib (node:zlib, native in workerd). Not DecompressionStream: workerd's refuses a
 * file of several gzip members ("Trailing bytes after end of compressed data"), which RFC 1952 §2.2 allows and
 * `cat a.gz b.gz` or log shippers produce; zlib reads them all. Pulled on demand: a source chunk is written only
 * once the previous one is consumed and the output read, so memory stays at zlib's own buffers. A corrupt or
 * truncated stream errors with a data error; the source's own error (a dropped connection) passes unchanged.
 */
export function gunzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const inflater = createGunzip({ chunkSize: 64 * 1024 });
  const reader = stream.getReader();
  let writing = false;
  let sourceDone = false;
  let ended = false;
  let failure: unknown;
  let signalled = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    signalled = true;
    wake?.();
  };
  inflater.on("readable", signal);
  inflater.on("end", () => {
    ended = true;
    signal();
  });
  inflater.on("error", (error: unknown) => {
    failure ??= isConnectorError(error) ? error : new ConnectorError("data", `the gzip data is corrupt or truncated: ${error instanceof Error ? error.message : String(error)}`);
    signal();
  });
  const nextSignal = () =>
    new Promise<void>((resolve) => {
      if (signalled) return resolve();
      wake = resolve;
    }).then(() => {
      signalled = false;
      wake = undefined;
    });

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const out = inflater.read() as Uint8Array | null;
          if (out !== null) {
            controller.enqueue(new Uint8Array(out));
            return;
          }
          if (failure !== undefined) {
            controller.error(failure);
            return;
          }
          if (ended) {
            controller.close();
            return;
          }
          if (!writing && !sourceDone) {
            let next: ReadableStreamReadResult<Uint8Array>;
            try {
              next = await reader.read();
            } catch (error) {
              failure = error;
              inflater.destroy();
              continue;
            }
            if (next.done) {
              sourceDone = true;
              inflater.end();
            } else {
              writing = true;
              inflater.write(next.value, () => {
                writing = false;
                signal();
              });
            }
            continue;
          }
          await nextSignal();
        }
      },
      async cancel(reason) {
        inflater.destroy();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The lines of a UTF-8 stream. Lines are split on LF bytes (never inside a multi-byte character, since UTF-8 never
 * uses 0x0A in one), a CR before the LF is dropped, a final line without a newline is a line, and a BOM at the start
 * of the file is skipped (its 3 bytes still count in `byteEnd`).
 */
export async function* lines(stream: ReadableStream<Uint8Array>, options: LineOptions = {}): AsyncGenerator<Line> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true } as TextDecoderConstructorOptions);
  let offset = options.after?.byteEnd ?? 0;
  let line = options.after?.line ?? 0;
  let atFileStart = offset === 0;
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;

  const decode = (bytes: Uint8Array): string => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    let text = decoder.decode(bytes.subarray(0, end));
    if (atFileStart) {
      atFileStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  };
  const tooLong = () => new ConnectorError("data", `line ${line + 1} is longer than ${maxLineBytes} bytes`);

  for await (const chunk of chunksOf(stream)) {
    let start = 0;
    for (let newline = chunk.indexOf(LF, start); newline !== -1; newline = chunk.indexOf(LF, start)) {
      const piece = chunk.subarray(start, newline);
      const bytes = pendingBytes === 0 ? piece : concat([...pending, piece], pendingBytes + piece.length);
      if (bytes.length > maxLineBytes) throw tooLong();
      pending.length = 0;
      pendingBytes = 0;
      offset += bytes.length + 1;
      line++;
      yield { text: decode(bytes), line, byteEnd: offset };
      start = newline + 1;
    }
    if (start < chunk.length) {
      // A copy: the source may reuse its chunk buffers.
      pending.push(chunk.slice(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw tooLong();
    }
  }
  if (pendingBytes > 0) {
    const bytes = concat(pending, pendingBytes);
    offset += bytes.length;
    line++;
    yield { text: decode(bytes), line, byteEnd: offset };
  }
}

export interface JsonLine {
  value: unknown;
  line: number;
  byteEnd: number;
}

/** JSON Lines (one value per line; blank lines skipped), integers beyond 2^53 as exact BigInts. */
export async function* jsonLines(stream: ReadableStream<Uint8Array>, options: LineOptions = {}): AsyncGenerator<JsonLine> {
  for await (const { text, line, byteEnd } of lines(stream, options)) {
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (error) {
      throw new ConnectorError("data", `line ${line} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    yield { value, line, byteEnd };
  }
}

/**
 * JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact as BigInt (ids, amounts in minor units), using
 * the reviver's source text (ES2025 JSON.parse source text access). A text without a run of 16 digits cannot hold
 * such an integer and takes the plain, faster parse. Decimals and exponent forms stay numbers.
 */
export function parseJsonExact(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(text, exactIntegers as Parameters<typeof JSON.parse>[1]);
}

function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * The chunks of a stream, read one at a time; stopping early (break, throw, return) cancels the stream so the
 * connection behind it is released.
 */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      if (next.value.length > 0) yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export interface JsonArrayItem {
  value: unknown;
  /** 0-based position in the array. */
  index: number;
}

/**
 * The elements of a top-level JSON array as they arrive (Google Ads searchStream answers one array of batches in one
 * body, which can be far larger than a Worker should hold): each element is parsed once its closing bracket is in,
 * with parseJsonExact. A body that ends inside the array (a dropped connection) is an error after the elements
 * already yielded, never a silent end.
 */
export async function* jsonArrayItems(stream: ReadableStream<Uint8Array>): AsyncGenerator<JsonArrayItem> {
  const decoder = new TextDecoder();
  let started = false;
  let ended = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let item = "";
  let index = 0;
  const emit = function* (): Generator<JsonArrayItem> {
    const text = item.trim();
    item = "";
    if (!text) return;
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (error) {
      throw new ConnectorError("data", `element ${index} of the JSON array is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    yield { value, index: index++ };
  };
  const scan = function* (text: string): Generator<JsonArrayItem> {
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ended) {
        if (!/\s/.test(ch)) throw new ConnectorError("data", "unexpected text after the JSON array");
        continue;
      }
      if (!started) {
        if (/\s/.test(ch) || ch === "\ufeff") continue;
        if (ch !== "[") throw new ConnectorError("data", "the body is not a JSON array");
        started = true;
        from = i + 1;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === "\\") escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}") depth--;
      else if (ch === "]") {
        if (depth === 0) {
          item += text.slice(from, i);
          yield* emit();
          ended = true;
          from = i + 1;
          continue;
        }
        depth--;
      } else if (ch === "," && depth === 0) {
        item += text.slice(from, i);
        yield* emit();
        from = i + 1;
      }
    }
    if (started && !ended) item += text.slice(from);
  };
  for await (const chunk of chunksOf(stream)) yield* scan(decoder.decode(chunk, { stream: true }));
  yield* scan(decoder.decode());
  if (!ended) throw new ConnectorError("retryable", started ? "the JSON array ended before its closing bracket (the connection was cut)" : "the body was empty where a JSON array was expected");
}
