/**
 * The s3 tests' side of test/fakes/s3/server.ts: a bucket of their own per test, objects written with a chosen
 * LastModified, large CSVs and Parquet files made by the server, the request log, faults, and configs as a user
 * writes them (AWS, R2, MinIO) reaching the server through HOST_OVERRIDES.
 */
import { expect } from "vitest";
import type { JsonObject, Page, ReadRequest, SyncMode } from "../../../connectors/kit/contract";
import { s3Connector } from "../../../connectors/s3";
import type { S3Config } from "../../../connectors/s3/spec";
import type { LoggedS3Request } from "../../fakes/s3/server";
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY } from "../../fakes/s3/fixtures";
import { connectorContext, fakeBase, readPages, records } from "../../helpers/connector";

export { records };

const control = async (method: string, path: string, body?: BodyInit | object, headers: Record<string, string> = {}) => {
  const isRaw = typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer;
  const res = await fetch(`${fakeBase("s3")}/_control/${path}`, {
    method,
    headers: isRaw ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: isRaw ? (body as BodyInit) : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`s3 control ${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
};

const path = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export interface Written {
  key: string;
  etag: string;
  size: number;
  last_modified: string;
}

export interface TestBucket {
  name: string;
  put(key: string, body: string | Uint8Array, options?: { lastModified?: string; gzip?: boolean; contentEncoding?: string }): Promise<Written>;
  putMany(objects: { key: string; body: string; last_modified?: string }[]): Promise<{ written: number }>;
  remove(key: string): Promise<void>;
  touch(key: string, lastModified: string): Promise<void>;
  generateCsv(key: string, rows: number, options?: { gzip?: boolean; lastModified?: string }): Promise<Written>;
  parquet(key: string, sql: string, options?: { rowGroupSize?: number; compression?: string; lastModified?: string }): Promise<Written>;
  requests(): Promise<LoggedS3Request[]>;
  clearRequests(): Promise<void>;
  faults(faults: Array<{ op?: "list" | "get" | "head"; key?: string; status?: number; code?: string; cut_after_bytes?: number; times: number }>): Promise<void>;
}

/** A new bucket (names are unique per test, as storage outlives a test). */
export async function testBucket(prefix = "t", region = "us-east-1"): Promise<TestBucket> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 12)}`;
  await control("PUT", `bucket/${name}`, { region });
  return {
    name,
    put: (key, body, options = {}) => {
      const query = new URLSearchParams();
      if (options.lastModified) query.set("last_modified", options.lastModified);
      if (options.gzip) query.set("gzip", "1");
      if (options.contentEncoding) query.set("content_encoding", options.contentEncoding);
      return control("PUT", `object/${name}/${path(key)}?${query}`, typeof body === "string" ? body : body, { "content-type": "application/octet-stream" });
    },
    putMany: (objects) => control("POST", `objects/${name}`, { objects }),
    remove: async (key) => void (await control("DELETE", `object/${name}/${path(key)}`)),
    touch: async (key, lastModified) => void (await control("POST", `touch/${name}/${path(key)}`, { last_modified: lastModified })),
    generateCsv: (key, rows, options = {}) => control("POST", `generate-csv/${name}/${path(key)}`, { rows, gzip: options.gzip ?? false, last_modified: options.lastModified }),
    parquet: (key, sql, options = {}) =>
      control("POST", `parquet/${name}/${path(key)}`, { sql, row_group_size: options.rowGroupSize, compression: options.compression, last_modified: options.lastModified }),
    requests: () => control("GET", `requests/${name}`),
    clearRequests: async () => void (await control("DELETE", `requests/${name}`)),
    faults: async (faults) => void (await control("PUT", `faults/${name}`, { faults })),
  };
}

type StreamInput = Partial<S3Config["streams"][number]> & { name: string; format: "csv" | "jsonl" | "parquet" };

/** A config as a user writes it for AWS (virtual-hosted by default), parsed through the spec (defaults applied). */
export function s3Config(bucket: string, streams: StreamInput[], extra: Partial<Record<keyof S3Config, unknown>> = {}): S3Config {
  return s3Connector.config.parse({ bucket, region: "us-east-1", access_key_id: ACCESS_KEY_ID, secret_access_key: SECRET_ACCESS_KEY, streams, ...extra });
}

export function streamRequest(config: S3Config, name: string, syncMode: SyncMode = "full_refresh", state: JsonObject | null = null, checkpoint: JsonObject | null = null): ReadRequest {
  const stream = s3Connector.streamsFromConfig!(config).find((s) => s.name === name)!;
  return { stream, sync_mode: syncMode, state, checkpoint };
}

export function s3Context() {
  return connectorContext();
}

export async function readAll(config: S3Config, name: string, syncMode: SyncMode = "full_refresh", state: JsonObject | null = null, checkpoint: JsonObject | null = null): Promise<Page[]> {
  const { ctx } = s3Context();
  return readPages(s3Connector, ctx, config, streamRequest(config, name, syncMode, state, checkpoint));
}

/** The data fields of records, without the three added columns. */
export function dataOf(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map(({ _s3_key, _s3_row, _s3_last_modified, ...rest }) => rest);
}

export async function expectReadFails(config: S3Config, name: string, matcher: Record<string, unknown>) {
  await expect(readAll(config, name)).rejects.toMatchObject(matcher);
}
