/**
 * Amazon S3 and S3-compatible stores (R2, MinIO) via ListObjectsV2 + GetObject signed with SigV4
 * (research/connectors-data.md §5). The user defines the streams: each is the files under `prefix` matching a
 * glob, in one format. Every record carries the file it came from and its row number, which key the rows, and the
 * file's LastModified, the cursor: an incremental run reads only files changed since the last one.
 */
import { z } from "zod";
import type { LoaderTypeSpec, StreamSpec } from "../kit/contract";
import {
  credentialField,
  customStreamsField,
  discoveredFromConfig,
  recordSchema,
  secretField,
  streamName,
} from "../kit/spec-helpers";
import { globProblem } from "./glob";

/** Columns the connector adds to every record. */
export const S3_FILE_KEY = "_s3_key";
export const S3_ROW_NUMBER = "_s3_row";
export const S3_LAST_MODIFIED = "_s3_last_modified";

const fileStream = z
  .object({
    name: streamName.describe("Stream name (lower snake_case); becomes the warehouse table."),
    glob: z
      .string()
      .min(1)
      .refine((glob) => globProblem(glob) === null, { error: (issue) => globProblem(String(issue.input)) ?? "invalid glob" })
      .default("**")
      .describe("Glob matched against object keys below the prefix: * within one path segment, ** across segments, ? one character, {a,b} either (e.g. orders/**/*.{csv,csv.gz})."),
    format: z.enum(["csv", "jsonl", "parquet"]).describe("File format. csv and jsonl may be gzip-compressed (.gz)."),
    primary_key: z
      .array(z.string().min(1))
      .default([])
      .describe("Columns that identify a row across files, to merge re-sent rows; empty keys rows by file and row number."),
    csv_delimiter: z.string().length(1).default(",").describe("Field delimiter for csv files."),
    csv_types: z
      .enum(["infer", "text"])
      .default("infer")
      .describe("infer: csv values are typed from the first rows of each file (integer, number, boolean, timestamp, else text) and widened if later rows disagree; text: every csv column is text."),
    on_bad_row: z
      .enum(["fail", "skip"])
      .default("fail")
      .describe("A row that cannot be parsed (malformed JSON, a csv row with more fields than the header): fail the stream naming file, line and reason, or skip it and count it on the run."),
  })
  .strict();

const config = z
  .object({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3–63 lower-case letters, digits, dots or hyphens")
      .describe("Bucket name."),
    region: z
      .string()
      .regex(/^[a-z0-9-]+$/, "must be a region code such as us-east-1 (auto for R2)")
      .default("us-east-1")
      .describe("Region of the bucket, used in the signature (us-east-1; auto for Cloudflare R2)."),
    prefix: z.string().default("").describe("Only keys starting with this prefix are listed (e.g. exports/2026/)."),
    endpoint: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL of an S3-compatible endpoint" })
      .optional()
      .describe(
        "Endpoint of an S3-compatible store (https://<account>.r2.cloudflarestorage.com, a MinIO URL); empty uses AWS. Production runs accept only public https endpoints.",
      ),
    force_path_style: z
      .boolean()
      .default(false)
      .describe("Address the bucket as <endpoint>/<bucket> instead of <bucket>.<endpoint> (MinIO and most self-hosted stores need this)."),
    access_key_id: credentialField("Access key id of an IAM user or role with s3:ListBucket and s3:GetObject on the bucket."),
    secret_access_key: secretField("Secret access key paired with the access key id."),
    session_token: secretField("Session token, only for temporary (STS) credentials."),
    streams: customStreamsField(fileStream, [])
      .min(1, "define at least one stream")
      .describe("The streams to load: each is a set of files of one format."),
  })
  .strict();

export type S3Config = z.infer<typeof config>;

export function fileStreamSpec(definition: S3Config["streams"][number]): StreamSpec {
  const primaryKey = definition.primary_key.length > 0 ? definition.primary_key : [S3_FILE_KEY, S3_ROW_NUMBER];
  // Data columns, user key columns included, are typed from the files; the catalog types only the added columns.
  const added = recordSchema(
    { [S3_FILE_KEY]: "string", [S3_ROW_NUMBER]: "integer", [S3_LAST_MODIFIED]: "date-time" },
    new Set([S3_FILE_KEY, S3_ROW_NUMBER, S3_LAST_MODIFIED]),
  );
  return {
    name: definition.name,
    primary_key: primaryKey,
    cursor_field: S3_LAST_MODIFIED,
    supported_sync_modes: ["full_refresh", "incremental"],
    json_schema: added,
    // Under file + row keys, the rows an object re-written shorter no longer has arrive as soft deletes (read.ts).
    ...(definition.primary_key.length === 0 ? { reports_deletes: true } : {}),
  };
}

export const s3Spec = {
  type: "s3",
  title: "Amazon S3",
  category: "files",
  auth_method: "aws_sigv4",
  config,
  secret_fields: ["secret_access_key", "session_token"],
  credential_sets: [["access_key_id", "secret_access_key"]],
  streams: discoveredFromConfig(
    "One stream per entry of the config's `streams`: the files matching its glob, in its format. Columns come from the files.",
  ),
  // `?? []`: callers may hold a stored config that predates the field's default.
  streamsFromConfig: (cfg: S3Config) => (cfg.streams ?? []).map(fileStreamSpec),
} satisfies LoaderTypeSpec<S3Config>;
