import { describe, expect, it } from "vitest";
import { type CsvOptions, type CsvRow, csvRows } from "../../connectors/kit/csv";
import { failure } from "./fake-fetch";

const encoder = new TextEncoder();

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function rows(text: string | Uint8Array, options: CsvOptions = {}, size = 1 << 16): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  for await (const row of csvRows(chunked(typeof text === "string" ? encoder.encode(text) : text, size), options)) out.push(row);
  return out;
}

/** Every quoting case RFC 4180 allows, and the ones files in the wild add (BOM, CRLF, lone CR, ragged rows). */
const FILE =
  "\uFEFF" +
  [
    "id,name,note,amount\r\n",
    '1,plain,"quoted, with delimiter",10\r\n',
    '2,"doubled ""quotes"" inside","line one\r\nline two\nline three",20\r\n',
    '3,"",,""\r\n',
    '4,"ünïcödé €😀","""starts and ends with quotes""",\r\n',
    "\r\n",
    '5,trailing empty,"",\n',
    "6,quote\"in middle,x,y\n",
    '7,"a"b after close,",",\n',
    "8,last line,no newline,80",
  ].join("");

const EXPECTED: Array<Pick<CsvRow, "fields" | "line" | "lastLine">> = [
  { fields: ["id", "name", "note", "amount"], line: 1, lastLine: 1 },
  { fields: ["1", "plain", "quoted, with delimiter", "10"], line: 2, lastLine: 2 },
  { fields: ["2", 'doubled "quotes" inside', "line one\r\nline two\nline three", "20"], line: 3, lastLine: 5 },
  { fields: ["3", "", "", ""], line: 6, lastLine: 6 },
  { fields: ["4", "ünïcödé €😀", '"starts and ends with quotes"', ""], line: 7, lastLine: 7 },
  // line 8 is empty and skipped
  { fields: ["5", "trailing empty", "", ""], line: 9, lastLine: 9 },
  { fields: ["6", 'quote"in middle', "x", "y"], line: 10, lastLine: 10 },
  { fields: ["7", "ab after close", ",", ""], line: 11, lastLine: 11 },
  { fields: ["8", "last line", "no newline", "80"], line: 12, lastLine: 12 },
];

describe("csvRows", () => {
  it("parses every quoting case, whatever the chunk boundaries", async () => {
    for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
      const parsed = await rows(FILE, {}, size);
      expect(parsed.map(({ fields, line, lastLine }) => ({ fields, line, lastLine }))).toEqual(EXPECTED);
    }
  });

  it("ends each record at the exact byte after its terminator, so a Range request from byteEnd resumes it", async () => {
    const bytes = encoder.encode(FILE);
    const whole = await rows(bytes);
    expect(whole.at(-1)?.byteEnd).toBe(bytes.length);
    // The bytes just before each byteEnd are the record's terminator (or the end of the file).
    for (const row of whole.slice(0, -1)) expect(bytes[row.byteEnd - 1]).toBe(0x0a);
    for (let k = 0; k < whole.length - 1; k++) {
      const after = { byteEnd: whole[k]!.byteEnd, line: whole[k]!.lastLine };
      expect(await rows(bytes.slice(after.byteEnd), { after }, 5)).toEqual(whole.slice(k + 1));
    }
  });

  it("counts byte offsets in UTF-8 bytes wherever a chunk boundary falls, inside a multi-byte character or a BOM included", async () => {
    const bytes = encoder.encode(FILE);
    const whole = await rows(bytes);
    for (const size of [1, 2, 3, 5, 7]) expect(await rows(bytes, {}, size)).toEqual(whole);
    // The offsets agree with the bytes: the text up to a byteEnd, re-encoded (its BOM kept), is exactly byteEnd long.
    const keepBom = new TextDecoder("utf-8", { ignoreBOM: true } as TextDecoderConstructorOptions);
    const text = keepBom.decode(bytes.subarray(0, whole[4]!.byteEnd));
    expect(encoder.encode(text).length).toBe(whole[4]!.byteEnd);
    expect(keepBom.decode(bytes.subarray(whole[3]!.byteEnd, whole[4]!.byteEnd))).toBe('4,"ünïcödé €😀","""starts and ends with quotes""",\r\n');
    // A delimiter outside the BMP (two UTF-16 units, four bytes), split by every chunk size.
    for (const size of [1, 2, 3, 64]) {
      const parsed = await rows('a😀"b😀c"😀d\nx😀😀é\n', { delimiter: "😀" }, size);
      expect(parsed.map((r) => [r.fields, r.byteEnd])).toEqual([
        [["a", "b😀c", "d"], 19],
        [["x", "", "é"], 31],
      ]);
    }
    // Bytes that are not UTF-8 (a Latin-1 file, a truncated character) read as U+FFFD; the offsets stay exact bytes.
    const latin1 = new Uint8Array([0x61, 0xe9, 0x2c, 0x62, 0x0a, 0xe2, 0x82, 0x0d, 0x0a, 0x63, 0xf0, 0x9f, 0x0a, 0x64, 0xe2]);
    for (const size of [1, 2, 3, 4, 64]) {
      const parsed = await rows(latin1, {}, size);
      expect(parsed.map((r) => [r.fields, r.byteEnd])).toEqual([
        [["a\uFFFD", "b"], 5],
        [["\uFFFD"], 9],
        [["c\uFFFD"], 13],
        [["d\uFFFD"], 15],
      ]);
      // Resuming from each byteEnd reads the same rest.
      for (let k = 0; k < parsed.length - 1; k++) {
        const after = { byteEnd: parsed[k]!.byteEnd, line: parsed[k]!.lastLine };
        expect(await rows(latin1.slice(after.byteEnd), { after }, size)).toEqual(parsed.slice(k + 1));
      }
    }
  });

  it("takes any one-character delimiter, multi-byte ones included, and a lone CR as a record end", async () => {
    expect((await rows('a;"b;c";d\nx;;"y"\n', { delimiter: ";" })).map((r) => r.fields)).toEqual([
      ["a", "b;c", "d"],
      ["x", "", "y"],
    ]);
    expect((await rows("a\tb\t\"c\td\"\r", { delimiter: "\t" })).map((r) => r.fields)).toEqual([["a", "b", "c\td"]]);
    for (const size of [1, 2, 5]) {
      expect((await rows('a§"b§c"§d\rx§§y', { delimiter: "§" }, size)).map((r) => [r.fields, r.line])).toEqual([
        [["a", "b§c", "d"], 1],
        [["x", "", "y"], 2],
      ]);
    }
    expect((await rows("'it''s',b\n", { quote: "'" })).map((r) => r.fields)).toEqual([["it's", "b"]]);
  });

  it("keeps empty lines when asked, and a quoted empty field is never an empty line", async () => {
    expect((await rows('a\n\n""\n', { skipEmptyLines: false })).map((r) => r.fields)).toEqual([["a"], [""], [""]]);
    expect((await rows('a\n\n""\n')).map((r) => r.fields)).toEqual([["a"], [""]]);
  });

  it("fails an unterminated quote with the line it starts on, and a record beyond the size bound", async () => {
    const open = await failure(rows('a,b\n1,"never closed\n2,3\n'));
    expect(open.kind).toBe("data");
    expect(open.message).toBe("the CSV ends inside a quoted field that starts on line 2");
    const huge = await failure(rows(`a,"${"z".repeat(10_000)}`, { maxRecordBytes: 4096 }, 512));
    expect(huge.kind).toBe("data");
    expect(huge.message).toMatch(/starting on line 1 is longer than 4096 bytes/);
  });

  it("refuses a delimiter of more than one character", async () => {
    expect((await failure(rows("a,b", { delimiter: ",," }))).kind).toBe("configuration");
  });
});
