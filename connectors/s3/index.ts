/**
 * `s3`: files from Amazon S3, Cloudflare R2, MinIO or any S3-compatible store (spec.ts), every request signed with
 * SigV4 by the kit (kit/sigv4.ts) over the kit's http client. Listing and ordering in read.ts, formats in formats.ts
 * and parquet.ts; discovery reads the first file of each stream to show its columns.
 */
import type { Connector, ConnectorContext, JsonSchemaType, RecordSchema, StreamSpec } from "../kit/contract";
import { awsSigV4 } from "../kit/sigv4";
import { ConnectorError } from "../kit/errors";
import { bucketAddress } from "./address";
import { s3ErrorClassifier } from "./errors";
import { type CsvType, INFER_ROWS } from "./csv-types";
import { rowsOf } from "./formats";
import { listObjects } from "./listing";
import { type ObjectReader, objectClassifier } from "./object-body";
import { readParquetMetadata } from "./parquet";
import { type FileStream, listStream, readFileStream } from "./read";
import { type S3Config, fileStreamSpec, s3Spec } from "./spec";

function s3Reader(ctx: ConnectorContext, config: S3Config): ObjectReader {
  if (!config.access_key_id || !config.secret_access_key) {
    throw new ConnectorError("configuration", "s3: access_key_id and secret_access_key are required");
  }
  if (config.region === "auto" && !config.endpoint) {
    throw new ConnectorError("configuration", `s3: region "auto" is for Cloudflare R2 and needs its endpoint (https://<account id>.r2.cloudflarestorage.com); AWS buckets need their region`);
  }
  const address = bucketAddress(config);
  const classify = s3ErrorClassifier(config.bucket, address.label, config.region);
  const http = ctx.http.extend({
    auth: awsSigV4({
      accessKeyId: config.access_key_id,
      secretAccessKey: config.secret_access_key,
      sessionToken: config.session_token || undefined,
      region: config.region,
      service: "s3",
    }),
    classifyError: (status, body, headers) => objectClassifier(status, body) ?? classify(status, body, headers),
    defaultHeaders: { accept: "*/*" },
  });
  return { http, root: address.root, label: address.label };
}

function definitionOf(config: S3Config, name: string): FileStream {
  const found = (config.streams ?? []).find((s) => s.name === name);
  if (!found) throw new ConnectorError("configuration", `s3: no stream named "${name}" in the config`);
  return found;
}

const CSV_SCHEMA: Record<CsvType, RecordSchema["properties"][string]> = {
  "?": { type: ["string", "null"] },
  i: { type: ["integer", "null"] },
  n: { type: ["number", "null"] },
  b: { type: ["boolean", "null"] },
  t: { type: ["string", "null"], format: "date-time" },
  s: { type: ["string", "null"] },
};

function valueSchema(value: unknown): RecordSchema["properties"][string] {
  if (value instanceof Date) return { type: ["string", "null"], format: "date-time" };
  const type: JsonSchemaType =
    typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))
      ? "integer"
      : typeof value === "number"
        ? "number"
        : typeof value === "boolean"
          ? "boolean"
          : Array.isArray(value)
            ? "array"
            : value !== null && typeof value === "object"
              ? "object"
              : "string";
  return { type: [type, "null"] };
}

/** Columns of the stream's first file (in (LastModified, key) order): its header and inferred types, keys, or schema. */
async function columnsOf(reader: ObjectReader, config: S3Config, stream: FileStream): Promise<RecordSchema["properties"]> {
  const [first] = await listStream(reader, config, stream);
  if (!first) return {};
  const properties: RecordSchema["properties"] = {};
  const rows = rowsOf(reader, first, null, { format: stream.format, delimiter: stream.csv_delimiter, csvTypes: stream.csv_types });
  const seen: Record<string, unknown>[] = [];
  let csvTypes: string | undefined;
  try {
    for await (const row of rows) {
      csvTypes = row.resume.types;
      if (row.values) seen.push(row.values);
      if (seen.length >= INFER_ROWS) break;
    }
  } finally {
    await rows.return(undefined);
  }
  if (stream.format === "parquet" && seen.length === 0) {
    for (const element of (await readParquetMetadata(reader, first)).schema.slice(1)) properties[element.name] = { type: ["string", "null"] };
    return properties;
  }
  if (stream.format === "csv" && csvTypes !== undefined) {
    Object.keys(seen[0] ?? {}).forEach((name, i) => (properties[name] = CSV_SCHEMA[(csvTypes![i] ?? "s") as CsvType]));
    return properties;
  }
  for (const record of seen) for (const [name, value] of Object.entries(record)) if (!(name in properties) && value !== null) properties[name] = valueSchema(value);
  return properties;
}

export const s3Connector: Connector<S3Config> = {
  ...s3Spec,

  async check(ctx, config) {
    const reader = s3Reader(ctx, config);
    // One key is enough to prove the credentials, the bucket, its region and s3:ListBucket.
    for await (const _ of listObjects(reader.http, reader.root, config.prefix, reader.label, 1)) break;
  },

  async discover(ctx, config) {
    const reader = s3Reader(ctx, config);
    const streams: StreamSpec[] = [];
    for (const definition of config.streams ?? []) {
      const spec = fileStreamSpec(definition);
      const columns = await columnsOf(reader, config, definition);
      spec.json_schema = { type: "object", properties: { ...columns, ...spec.json_schema!.properties } };
      streams.push(spec);
    }
    return streams;
  },

  read(ctx, config, request) {
    return readFileStream(ctx, s3Reader(ctx, config), config, definitionOf(config, request.stream.name), request);
  },
};
