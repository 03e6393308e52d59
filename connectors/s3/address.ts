/**
 * Where a bucket and its objects live (research/connectors-data.md §5): AWS virtual-hosted
 * `https://<bucket>.s3.<region>.amazonaws.com/<key>` unless path style is asked for, or the bucket name has a dot (its
 * virtual host would not match S3's wildcard certificate); an `endpoint` (R2, MinIO, any S3-compatible store) the same
 * two ways, `<bucket>.<endpoint host>` or `<endpoint>/<bucket>`.
 */
import type { S3Config } from "./spec";

export interface BucketAddress {
  /** The bucket's root, ending in `/`: objects are `root + encodeKey(key)`, listings `root + ?list-type=2…`. */
  root: string;
  /** `my-bucket` as messages name it, with the host it was reached on. */
  label: string;
}

/** Percent-encoding as SigV4 canonicalizes (RFC 3986: only A-Z a-z 0-9 - . _ ~ stay). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a URL path: each segment encoded, `/` kept. */
export function encodeKey(key: string): string {
  return key.split("/").map(encodeRfc3986).join("/");
}

export function bucketAddress(config: Pick<S3Config, "bucket" | "region" | "endpoint" | "force_path_style">): BucketAddress {
  const pathStyle = config.force_path_style || config.bucket.includes(".");
  if (config.endpoint) {
    const endpoint = new URL(config.endpoint);
    const base = endpoint.pathname.replace(/\/+$/, "");
    const root = pathStyle
      ? `${endpoint.protocol}//${endpoint.host}${base}/${config.bucket}/`
      : `${endpoint.protocol}//${config.bucket}.${endpoint.host}${base}/`;
    return { root, label: `bucket "${config.bucket}" at ${endpoint.host}` };
  }
  // us-east-1 answers on its regional name too; one form for every region keeps signing and overrides uniform.
  const host = `s3.${config.region}.amazonaws.com`;
  const root = pathStyle ? `https://${host}/${config.bucket}/` : `https://${config.bucket}.${host}/`;
  return { root, label: `bucket "${config.bucket}" (${config.region})` };
}
