/**
 * Parquet through hyparquet (pure JS; research §5) over ranged GETs: the footer first, then one row group at a time,
 * so memory holds one row group's columns, never the file. Values keep their types: int64 as BigInt (exact beyond
 * 2^53), timestamps as Dates, dates as `YYYY-MM-DD`, decimals as exact text. hyparquet turns DECIMAL into a float
 * (src/convert.js), so decimal columns are read with their logical type removed and formatted here from the unscaled
 * integer and the scale.
 */
import { type AsyncBuffer, type FileMetaData, type SchemaElement, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
// Deep imports: the package index also builds its snappy codec from inlined wasm at import time, which workerd
// forbids ("Wasm code generation disallowed by embedder"); hyparquet's own snappy is pure JS.
import { decompressBrotli } from "hyparquet-compressors/src/brotli.js";
import { gunzip } from "hyparquet-compressors/src/gzip.js";
import { decompressLz4, decompressLz4Raw } from "hyparquet-compressors/src/lz4.js";
import { decompress as decompressZstd } from "fzstd";
import { ConnectorError } from "../kit/errors";
import type { FileResume, FileRow } from "./formats";
import type { S3Object } from "./listing";
import { type ObjectReader, objectRange } from "./object-body";

const compressors = {
  GZIP: (input: Uint8Array, length: number) => gunzip(input, new Uint8Array(length)),
  BROTLI: decompressBrotli,
  ZSTD: (input: Uint8Array) => decompressZstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
};

const DAY_MS = 86_400_000;

/** One decoder for every string and JSON value (a TextDecoder per value was a native object per cell). */
const utf8 = new TextDecoder();

const parsers = {
  timestampFromMilliseconds: (millis: bigint) => new Date(Number(millis)),
  timestampFromMicroseconds: (micros: bigint) => new Date(Number(micros / 1000n)),
  timestampFromNanoseconds: (nanos: bigint) => new Date(Number(nanos / 1_000_000n)),
  dateFromDays: (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10),
  stringFromBytes: (bytes: Uint8Array) => bytes && utf8.decode(bytes),
  jsonFromBytes: (bytes: Uint8Array) => bytes && JSON.parse(utf8.decode(bytes)),
  geometryFromBytes: (bytes: Uint8Array) => bytes && base64(bytes),
  geographyFromBytes: (bytes: Uint8Array) => bytes && base64(bytes),
  uuidFromBytes: (bytes: Uint8Array) => {
    if (!bytes) return undefined;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
};

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The footer is usually small; hyparquet fetches more itself when it is not. */
const FOOTER_FETCH_BYTES = 64 * 1024;

export function objectBuffer(reader: ObjectReader, object: S3Object): AsyncBuffer {
  return { byteLength: object.size, slice: (start, end) => objectRange(reader, object, start, end ?? object.size) };
}

interface DecimalColumn {
  name: string;
  scale: number;
}

/** Metadata with DECIMAL logical/converted types removed from top-level columns, and those columns' scales. */
export function withRawDecimals(metadata: FileMetaData): { metadata: FileMetaData; decimals: DecimalColumn[] } {
  const decimals: DecimalColumn[] = [];
  const schema = metadata.schema.map((element: SchemaElement, index) => {
    const isDecimal = element.converted_type === "DECIMAL" || element.logical_type?.type === "DECIMAL";
    if (!isDecimal || index === 0) return element;
    const logical = element.logical_type as { type: string; scale?: number } | undefined;
    decimals.push({ name: element.name, scale: element.scale ?? logical?.scale ?? 0 });
    const { converted_type: _c, logical_type: _l, ...raw } = element;
    return raw as SchemaElement;
  });
  return { metadata: { ...metadata, schema }, decimals };
}

/** An unscaled integer as decimal text: `12345`, scale 2 → `123.45`. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** A FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimal: big-endian two's complement. */
function unscaledOf(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(value);
  if (value instanceof Uint8Array) {
    let result = 0n;
    for (const byte of value) result = (result << 8n) | BigInt(byte);
    if (value.length > 0 && value[0]! & 0x80) result -= 1n << BigInt(value.length * 8);
    return result;
  }
  throw new Error(`unexpected decimal value ${String(value)}`);
}

export async function readParquetMetadata(reader: ObjectReader, object: S3Object): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(objectBuffer(reader, object), { initialFetchSize: Math.min(FOOTER_FETCH_BYTES, object.size) });
  } catch (error) {
    if (error instanceof Error && !(error instanceof ConnectorError) && error.name !== "ObjectChanged") {
      throw new ConnectorError("data", `${object.key}: not a readable Parquet file (${error.message})`);
    }
    throw error;
  }
}

/**
 * Rows decoded at once. A row group is what a Parquet writer chose (Spark and parquet-mr: 128 MB), and decoded into
 * JS objects it can be many times that, past a Worker's 128 MB: a group is decoded in slices of this many rows,
 * its compressed bytes fetched once and kept only while the group is read (groupBuffer).
 */
export const PARQUET_SLICE_ROWS = 50_000;

/** The object's bytes, each range fetched once while `clear` is not called (hyparquet asks a slice's ranges again). */
function groupBuffer(base: AsyncBuffer): { file: AsyncBuffer; clear(): void; fetches(): number } {
  const cache = new Map<string, Promise<ArrayBuffer>>();
  let fetched = 0;
  return {
    file: {
      byteLength: base.byteLength,
      slice(start, end) {
        const key = `${start}-${end ?? base.byteLength}`;
        let bytes = cache.get(key);
        if (!bytes) {
          fetched++;
          bytes = Promise.resolve(base.slice(start, end));
          cache.set(key, bytes);
          // A failed fetch is asked again, not remembered.
          bytes.catch(() => cache.delete(key));
        }
        return bytes;
      },
    },
    clear: () => cache.clear(),
    fetches: () => fetched,
  };
}

export async function* parquetRows(reader: ObjectReader, object: S3Object, resume: FileResume | null): AsyncGenerator<FileRow> {
  if (object.size === 0) return;
  const buffer = groupBuffer(objectBuffer(reader, object));
  const { metadata, decimals } = withRawDecimals(await readParquetMetadata(reader, object));
  let groupStart = 0;
  const startRow = resume?.row ?? 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const groupEnd = groupStart + groupRows;
    if (groupEnd <= startRow) {
      groupStart = groupEnd;
      continue;
    }
    buffer.clear();
    for (let sliceStart = Math.max(groupStart, startRow); sliceStart < groupEnd; sliceStart += PARQUET_SLICE_ROWS) {
      const sliceEnd = Math.min(sliceStart + PARQUET_SLICE_ROWS, groupEnd);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({ file: buffer.file, metadata, rowStart: sliceStart, rowEnd: sliceEnd, compressors, parsers, utf8: true });
      } catch (error) {
        if (error instanceof ConnectorError || (error instanceof Error && error.name === "ObjectChanged")) throw error;
        throw new ConnectorError("data", `${object.key}: row group at row ${groupStart} could not be decoded (${error instanceof Error ? error.message : String(error)})`);
      }
      let row = sliceStart;
      for (const values of rows) {
        for (const { name, scale } of decimals) {
          const raw = values[name];
          if (raw !== null && raw !== undefined) values[name] = decimalText(unscaledOf(raw), scale);
        }
        row++;
        yield { values, resume: { row } };
      }
    }
    groupStart = groupEnd;
  }
  buffer.clear();
}
