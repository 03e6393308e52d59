/**
 * A streaming CSV parser (RFC 4180, as files in the wild are written): quoted fields with doubled quotes, delimiters
 * and newlines inside quotes, LF, CRLF or lone-CR record ends, a UTF-8 BOM, and any one-character delimiter. Each
 * chunk of bytes is decoded once (a streaming decoder carries a character split across chunks) and fields are
 * slices of that text; every record still carries the exact byte offset after it, counted in UTF-8 bytes, so a reader
 * checkpoints `{byteEnd, line: lastLine}` and resumes an object with `Range: bytes=<byteEnd>-` (DESIGN §5.3).
 * Memory is one chunk and one record (bounded).
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
  /**
   * A longer record is a data error (usually an unclosed quote swallowing the file), not an unbounded buffer. Counted
   * in decoded characters (UTF-16 units): bytes for ASCII, fewer than the bytes otherwise.
   */
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

const LF = 10;
const CR = 13;
const BOM = 0xfeff;
const NON_ASCII = /[^\x00-\x7f]/;

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
  const delimiterText = options.delimiter ?? ",";
  if ([...delimiterText].length !== 1) throw new ConnectorError("configuration", `the CSV delimiter must be one character, not "${options.delimiter}"`);
  const quoteText = options.quote ?? '"';
  if (quoteText.length !== 1 || quoteText.charCodeAt(0) > 0x7f) throw new ConnectorError("configuration", `the CSV quote must be one ASCII character, not "${quoteText}"`);
  const quote = quoteText.charCodeAt(0);
  // A delimiter outside the BMP is two UTF-16 units: matched on its first, confirmed on its second.
  const delimiter = delimiterText.charCodeAt(0);
  const delimiterLow = delimiterText.length === 2 ? delimiterText.charCodeAt(1) : -1;
  const skipEmpty = options.skipEmptyLines ?? true;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true } as TextDecoderConstructorOptions);

  let physicalLine = (options.after?.line ?? 0) + 1;
  let atFileStart = (options.after?.byteEnd ?? 0) === 0;
  let state = State.FieldStart;
  // The text being parsed, the bytes it was decoded from and the file offset of their first byte. Byte offsets are
  // only needed just after a record's LF or CR, and the n-th LF or CR of a chunk's text is the chunk's n-th LF or CR
  // byte: UTF-8 never encodes them inside another character, and a malformed sequence becomes U+FFFD without taking
  // one in. So an index after a terminator maps to the byte after the matching terminator byte, exact for any input
  // (valid UTF-8 or not), and all-ASCII text (most chunks) maps index to byte one to one.
  let text = "";
  let bytes: Uint8Array = new Uint8Array(0);
  let chunkByte = options.after?.byteEnd ?? 0;
  let ascii = true;
  let mappedIndex = 0;
  let mappedByte = 0;
  const byteAfter = (end: number): number => {
    if (ascii) return chunkByte + end;
    let terminators = 0;
    for (let k = mappedIndex; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === LF || c === CR) terminators++;
    }
    let b = mappedByte;
    while (terminators > 0) {
      const byte = bytes[b++];
      if (byte === LF || byte === CR) terminators--;
    }
    mappedIndex = end;
    mappedByte = b;
    return chunkByte + b;
  };
  // The byte offset after a CR, taken when it is read: whether it ends the record is known only from the next
  // character, which may be in the next chunk.
  let afterCr = 0;
  // The field being read: what earlier runs gave, and the start of the current run of content in `text`.
  let field = "";
  let runStart = -1;
  let fields: string[] = [];
  let recordChars = 0;
  let recordLine = physicalLine;
  let quoted = false;

  const tooLong = () =>
    new ConnectorError("data", `the CSV record starting on line ${recordLine} is longer than ${maxRecordBytes} bytes (an unclosed quote?)`);
  const closeRun = (at: number) => {
    if (runStart >= 0) {
      field += text.slice(runStart, at);
      runStart = -1;
    }
  };
  const endField = (at: number) => {
    closeRun(at);
    fields.push(field);
    field = "";
  };
  const ready: CsvRow[] = [];
  /** `at` ends the last field's text, `byteEnd` is the file offset after the terminator; `lastLine` the physical line the record ended on. */
  const endRecord = (at: number, byteEnd: number, lastLine: number) => {
    endField(at);
    const empty = !quoted && fields.length === 1 && fields[0] === "";
    if (!(empty && skipEmpty)) ready.push({ fields, line: recordLine, lastLine, byteEnd });
    fields = [];
    recordChars = 0;
    quoted = false;
    state = State.FieldStart;
  };
  const isDelimiter = (c: number, i: number) => c === delimiter && (delimiterLow === -1 || text.charCodeAt(i + 1) === delimiterLow);

  const parse = (chunkText: string, chunk: Uint8Array) => {
    text = chunkText;
    bytes = chunk;
    ascii = !NON_ASCII.test(text);
    mappedIndex = 0;
    mappedByte = 0;
    // indexOf's -1 as an unsigned number is beyond any index.
    let nextLf = -1;
    let i = 0;
    if (atFileStart && text.length > 0) {
      atFileStart = false;
      // The BOM's 3 bytes count in the offsets but are not content.
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    const length = text.length;
    for (; i < length; i++) {
      // Runs of plain field characters (most of a file) are taken at once; the one that ends a run goes through the
      // state machine below.
      if (state === State.Quoted) {
        const next = text.indexOf(quoteText, i);
        const end = next === -1 ? length : next;
        if (end > i) {
          // Newlines inside quotes count as physical lines; the next one is looked up once per text position.
          if (nextLf < i) nextLf = text.indexOf("\n", i) >>> 0;
          while (nextLf < end) {
            physicalLine++;
            nextLf = text.indexOf("\n", nextLf + 1) >>> 0;
          }
          if (runStart < 0) runStart = i;
          recordChars += end - i;
          if (recordChars > maxRecordBytes) throw tooLong();
          i = end;
          if (i === length) break;
        }
      } else if (state === State.Unquoted || (state === State.FieldStart && text.charCodeAt(i) !== quote)) {
        let end = i;
        while (end < length) {
          const c = text.charCodeAt(end);
          if (c === LF || c === CR || isDelimiter(c, end)) break;
          end++;
        }
        if (end > i) {
          if (runStart < 0) runStart = i;
          recordChars += end - i;
          if (recordChars > maxRecordBytes) throw tooLong();
          state = State.Unquoted;
          i = end;
          if (i === length) break;
        }
      }
      const c = text.charCodeAt(i);
      if (++recordChars > maxRecordBytes) throw tooLong();
      switch (state) {
        case State.Quoted:
          // Only the quote reaches here (the run above took the rest).
          closeRun(i);
          state = State.QuoteInQuoted;
          continue;
        case State.QuoteInQuoted:
          if (c === quote) {
            // A doubled quote: the second one starts the next run of content.
            runStart = i;
            state = State.Quoted;
            continue;
          }
          state = State.AfterQuoted;
          break;
        case State.CarriageReturn:
          if (c === LF) {
            endRecord(i - 1, byteAfter(i + 1), physicalLine);
            physicalLine++;
            recordLine = physicalLine;
            continue;
          }
          // A lone CR (old Mac files) ended the record before this character.
          endRecord(i - 1, afterCr, physicalLine);
          physicalLine++;
          recordLine = physicalLine;
          recordChars = 1;
          break;
      }
      // FieldStart, Unquoted, AfterQuoted
      if (isDelimiter(c, i)) {
        endField(i);
        if (delimiterLow !== -1) i++;
        state = State.FieldStart;
      } else if (c === LF) {
        endRecord(i, byteAfter(i + 1), physicalLine);
        physicalLine++;
        recordLine = physicalLine;
      } else if (c === CR) {
        closeRun(i);
        afterCr = byteAfter(i + 1);
        state = State.CarriageReturn;
      } else if (c === quote && state === State.FieldStart) {
        quoted = true;
        state = State.Quoted;
      } else {
        // Text after a closing quote (`"a"b`) or a quote inside an unquoted field is not RFC 4180; both are kept as
        // written, as spreadsheet tools do.
        if (runStart < 0) runStart = i;
        state = State.Unquoted;
      }
    }
    // The text is about to be replaced: what the open field holds of it is kept.
    closeRun(length);
    chunkByte += bytes.length;
  };

  for await (const chunk of chunksOf(stream)) {
    parse(decoder.decode(chunk, { stream: true }), chunk);
    for (const row of ready) yield row;
    ready.length = 0;
  }
  // What the decoder still holds (an incomplete character at the end of the file) comes out as U+FFFD.
  parse(decoder.decode(), new Uint8Array(0));
  // (A cast: the closures above assign `state`, which TypeScript's narrowing does not see.)
  if ((state as State) === State.Quoted) {
    throw new ConnectorError("data", `the CSV ends inside a quoted field that starts on line ${recordLine}`);
  }
  if (state !== State.FieldStart || fields.length > 0) {
    endRecord(text.length, chunkByte, physicalLine);
  }
  for (const row of ready) yield row;
}
