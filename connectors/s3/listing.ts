/**
 * ListObjectsV2 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html): pages of up to 1,000 keys
 * in ascending UTF-8 order, continued with NextContinuationToken while IsTruncated. The answer is flat XML, read
 * with a small extractor (Workers have no DOMParser; research §5).
 */
import { ConnectorError } from "../kit/errors";
import type { HttpClient } from "../kit/http";
import { encodeRfc3986 } from "./address";

export interface S3Object {
  key: string;
  /** ISO 8601 as S3 gives it (second resolution on AWS: `2026-01-01T10:00:00.000Z`). */
  lastModified: string;
  /** Quoted, as S3 sends it: `"9b2cf535f27731c974343645a3985328"`. */
  etag: string;
  size: number;
}

/** S3's own page limit. */
export const LIST_PAGE_KEYS = 1000;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The text of the first `<tag>` in `xml`, decoded; undefined when absent. */
export function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (match) return decodeXml(match[1]!);
  return new RegExp(`<${tag}\\s*/>`).test(xml) ? "" : undefined;
}

export interface ListPage {
  objects: S3Object[];
  next: string | null;
}

export function parseListPage(xml: string, where: string): ListPage {
  if (!xml.includes("<ListBucketResult")) throw new ConnectorError("retryable", `ListObjectsV2 on ${where} answered something other than a ListBucketResult`);
  const objects: S3Object[] = [];
  for (const match of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const entry = match[1]!;
    const key = xmlText(entry, "Key");
    const lastModified = xmlText(entry, "LastModified");
    if (key === undefined || lastModified === undefined || Number.isNaN(Date.parse(lastModified))) {
      throw new ConnectorError("retryable", `ListObjectsV2 on ${where} answered an entry without Key or LastModified`);
    }
    objects.push({ key, lastModified: new Date(lastModified).toISOString(), etag: xmlText(entry, "ETag") ?? "", size: Number(xmlText(entry, "Size") ?? 0) });
  }
  const truncated = xmlText(xml, "IsTruncated") === "true";
  const next = truncated ? (xmlText(xml, "NextContinuationToken") ?? null) : null;
  if (truncated && !next) throw new ConnectorError("retryable", `ListObjectsV2 on ${where} is truncated but gave no continuation token`);
  return { objects, next };
}

/** Every object under `prefix`, page by page. */
export async function* listObjects(http: HttpClient, root: string, prefix: string, where: string, maxKeys = LIST_PAGE_KEYS): AsyncGenerator<S3Object> {
  let token: string | null = null;
  do {
    // Encoded here as SigV4 canonicalizes a query (RFC 3986, a space as %20): a form encoder's `+` for a space in a
    // prefix would be read back by S3 as a literal plus.
    const rawQuery: Record<string, string> = { "list-type": "2", "max-keys": String(maxKeys) };
    if (prefix) rawQuery.prefix = encodeRfc3986(prefix);
    if (token) rawQuery["continuation-token"] = encodeRfc3986(token);
    const result = await http.request({ url: root, rawQuery, headers: { accept: "application/xml" } });
    const page = parseListPage(result.text(), where);
    yield* page.objects;
    token = page.next;
  } while (token);
}
