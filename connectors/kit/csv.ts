/**
 * A streaming CSV parser (RFC 4180, as files in the wild are written): quoted fields with doubled quotes, delimiters
 * and newlines inside quotes, LF, CRLF or lone-CR record ends, a UTF-8 BOM, and any one-character delimiter. It works
 * on bytes, so every record carries the exact byte offset after it: a reader checkpoints `{byteEnd, line: lastLine}`
 * and resumes an object with `Range: bytes=<byteEnd>-` (DESIGN §5.3). Memory is one record (bounded).
 */
import { ConnectorError } from "./errors";
import { chunksOf, type ResumePoint } from "./streams";

export interface CsvOptions {
  /** One character (`,` `;` `\t` `|`, or any other, multi-byte UTF-8 included). Default `,`. */
  delimiter?: string;
  /** One ASCII character. Default `"`. */
  quote?: string;
  /** The stream starts after this point of the file (a Range request): offsets and line numbers continue from it. */
  after?: ResumePoint;
  /** Lines with nothing on them are skipped (default), as spreadsheet exports end with them. */
  skipEmptyLines?: boolean;
  /** A longer record is a data error (usually an unclosed quote swallowing the file), not an unbounded buffer. */
  maxRecordBytes?: number;
}

export interface CsvRow {
  fields: string[];
  /** The 1-based physical line the record starts on. */
  line: number;
  /** The physical line it ends on (later than `line` when a quoted field holds newlines). */
  lastLine: number;
  /** Byte offset in the file just after the record's terminator. Resume with `after: {byteEnd, line: lastLine}`. */
  byteEnd: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

const enum State {
  /** At the start of a field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the closing one, or the first of a doubled pair. */
  QuoteInQuoted,
  /** After a quoted field's closing quote. */
  AfterQuoted,
  /** A CR outside quotes: the record ends here, with or without a following LF. */
  CarriageReturn,
}

export async function* csvRows(stream: ReadableStream<Uint8Array>, options: CsvOptions = {}): AsyncGenerator<CsvRow> {
  const delimiter = new TextEncoder().encode(options.delimiter ?? ",");
  if ([...(options.delimiter ?? ",")].length !== 1) throw new ConnectorError("configuration", `the CSV delimiter must be one character, not "${options.delimiter}"`);
  const quoteText = options.quote ?? '"';
  if (quoteText.length !== 1 || quoteText.charCodeAt(0) > 0x7f) throw new ConnectorError("configuration", `the CSV quote must be one ASCII character, not "${quoteText}"`);
  const quote = quoteText.charCodeAt(0);
  const single = delimiter.length === 1 ? delimiter[0]! : -1;
  const last = delimiter[delimiter.length - 1]!;
  const skipEmpty = options.skipEmptyLines ?? true;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true } as TextDecoderConstructorOptions);

  let position = options.after?.byteEnd ?? 0;
  let physicalLine = (options.after?.line ?? 0) + 1;
  let bomAt = position === 0 ? 0 : BOM.length;
  let state = State.FieldStart;
  // The record's field contents, back to back, and each field's [start, end) in it: one decode per record.
  let content = new Uint8Array(4096);
  let contentLength = 0;
  let fieldStart = 0;
  const bounds: number[] = [];
  let recordBytes = 0;
  let recordLine = physicalLine;
  let quoted = false;

  const push = (byte: number) => {
    if (contentLength === content.length) {
      const grown = new Uint8Array(content.length * 2);
      grown.set(content);
      content = grown;
    }
    content[contentLength++] = byte;
  };
  const tooLong = () =>
    new ConnectorError("data", `the CSV record starting on line ${recordLine} is longer than ${maxRecordBytes} bytes (an unclosed quote?)`);
  const takeRun = (chunk: Uint8Array, from: number, to: number) => {
    recordBytes += to - from;
    if (recordBytes > maxRecordBytes) throw tooLong();
    if (contentLength + (to - from) > content.length) {
      const grown = new Uint8Array(Math.max(content.length * 2, contentLength + (to - from)));
      grown.set(content.subarray(0, contentLength));
      content = grown;
    }
    content.set(chunk.subarray(from, to), contentLength);
    contentLength += to - from;
  };
  const endField = () => {
    bounds.push(fieldStart, contentLength);
    fieldStart = contentLength;
  };
  const ready: CsvRow[] = [];
  /** `end` is the absolute offset after the terminator; `lastLine` the physical line the record ended on. */
  const endRecord = (end: number, lastLine: number) => {
    endField();
    const empty = !quoted && bounds.length === 2 && contentLength === 0;
    if (!(empty && skipEmpty)) ready.push({ fields: decodeFields(), line: recordLine, lastLine, byteEnd: end });
    bounds.length = 0;
    contentLength = 0;
    fieldStart = 0;
    recordBytes = 0;
    quoted = false;
    state = State.FieldStart;
  };
  const decodeFields = (): string[] => {
    const text = decoder.decode(content.subarray(0, contentLength));
    const fields: string[] = new Array(bounds.length / 2);
    // One UTF-16 unit per byte (ASCII, the usual case): the byte bounds are string bounds. Otherwise field by field.
    const sameOffsets = text.length === contentLength;
    for (let i = 0; i < bounds.length; i += 2) {
      fields[i / 2] = sameOffsets ? text.slice(bounds[i], bounds[i + 1]) : decoder.decode(content.subarray(bounds[i]!, bounds[i + 1]!));
    }
    return fields;
  };
  /** A byte of field content outside quotes; ends the field when it completes a multi-byte delimiter. */
  const unquotedByte = (byte: number) => {
    push(byte);
    state = State.Unquoted;
    if (single === -1 && byte === last && contentLength - fieldStart >= delimiter.length) {
      const from = contentLength - delimiter.length;
      for (let i = 0; i < delimiter.length; i++) if (content[from + i] !== delimiter[i]) return;
      contentLength = from;
      endField();
      state = State.FieldStart;
    }
  };

  for await (const chunk of chunksOf(stream)) {
    let i = 0;
    while (bomAt < BOM.length && i < chunk.length) {
      if (chunk[i] !== BOM[bomAt]) {
        // Not a BOM after all: the bytes matched so far are content.
        for (let k = 0; k < bomAt; k++) unquotedByte(BOM[k]!);
        bomAt = BOM.length;
        break;
      }
      bomAt++;
      i++;
      if (bomAt === BOM.length) recordBytes = 0;
    }
    for (; i < chunk.length; i++) {
      // Runs of plain field bytes (most of a file) are copied at once; the byte that ends a run goes through the
      // state machine below.
      if (state === State.Quoted) {
        const next = chunk.indexOf(quote, i);
        const end = next === -1 ? chunk.length : next;
        if (end > i) {
          for (let k = i; k < end; k++) if (chunk[k] === LF) physicalLine++;
          takeRun(chunk, i, end);
          i = end;
          if (i === chunk.length) break;
        }
      } else if (single !== -1 && (state === State.Unquoted || (state === State.FieldStart && chunk[i] !== quote))) {
        let end = i;
        while (end < chunk.length) {
          const b = chunk[end];
          if (b === single || b === LF || b === CR) break;
          end++;
        }
        if (end > i) {
          takeRun(chunk, i, end);
          state = State.Unquoted;
          i = end;
          if (i === chunk.length) break;
        }
      }
      const byte = chunk[i]!;
      const offset = position + i;
      if (++recordBytes > maxRecordBytes) throw tooLong();
      switch (state) {
        case State.Quoted:
          if (byte === quote) state = State.QuoteInQuoted;
          else {
            if (byte === LF) physicalLine++;
            push(byte);
          }
          continue;
        case State.QuoteInQuoted:
          if (byte === quote) {
            push(quote);
            state = State.Quoted;
            continue;
          }
          state = State.AfterQuoted;
          break;
        case State.CarriageReturn:
          if (byte === LF) {
            endRecord(offset + 1, physicalLine);
            physicalLine++;
            recordLine = physicalLine;
            continue;
          }
          // A lone CR (old Mac files) ended the record before this byte.
          endRecord(offset, physicalLine);
          physicalLine++;
          recordLine = physicalLine;
          recordBytes = 1;
          break;
      }
      // FieldStart, Unquoted, AfterQuoted
      if (byte === single) {
        endField();
        state = State.FieldStart;
      } else if (byte === LF) {
        endRecord(offset + 1, physicalLine);
        physicalLine++;
        recordLine = physicalLine;
      } else if (byte === CR) {
        state = State.CarriageReturn;
      } else if (byte === quote && state === State.FieldStart) {
        quoted = true;
        state = State.Quoted;
      } else {
        // Text after a closing quote (`"a"b`) or a quote inside an unquoted field is not RFC 4180; both are kept as
        // written, as spreadsheet tools do.
        unquotedByte(byte);
      }
    }
    position += chunk.length;
    for (const row of ready) yield row;
    ready.length = 0;
  }
  if (bomAt > 0 && bomAt < BOM.length) for (let k = 0; k < bomAt; k++) unquotedByte(BOM[k]!);
  if (state === State.Quoted) {
    throw new ConnectorError("data", `the CSV ends inside a quoted field that starts on line ${recordLine}`);
  }
  if (state !== State.FieldStart || bounds.length > 0) {
    endRecord(position, physicalLine);
  }
  for (const row of ready) yield row;
}
