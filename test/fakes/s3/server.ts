/**
 * The S3 the tests run against: @20minutes/s3rver (a real S3 API server from npm: ListObjectsV2 with continuation
 * tokens, GET with Range → 206, HEAD, XML errors, objects stored on disk) in a child process, behind a front on
 * node:http that does what s3rver does not do as S3 does:
 * - checks every SigV4 signature against the production host the client addressed (X-Forwarded-Host behind
 *   HOST_OVERRIDES), with an implementation of its own (sigv4-check.ts), answering S3's 403 SignatureDoesNotMatch,
 *   InvalidAccessKeyId and AccessDenied bodies (s3rver's own check signs virtual-hosted requests over `/bucket/key`,
 *   which a correct client never does, and does not check the region);
 * - serves virtual-hosted (`<bucket>.s3.<region>.amazonaws.com`, `<bucket>.<account>.r2.cloudflarestorage.com`) and
 *   path-style addresses, checks a bucket's region, and honours If-Match (412 PreconditionFailed);
 * - logs requests and injects faults (SlowDown, 5xx, a body cut mid-transfer) for the tests.
 * Control endpoints (`/_control/...`, JSON) create buckets, write objects with a chosen LastModified, generate large
 * CSVs and Parquet files (DuckDB `COPY … TO`), and read the request log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { readFile, stat, utimes } from "node:fs/promises";
import { type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";
import type { RunningFake } from "../index";
import { listen, lowercaseHeaders, stop } from "../shared/http";
import {
  ACCESS_KEY_ID,
  GENERATED_HEADER,
  NO_ACCESS_KEY_ID,
  NO_ACCESS_SECRET,
  S3_HOSTS,
  SECRET_ACCESS_KEY,
  SESSION_KEY_ID,
  SESSION_SECRET,
  SESSION_TOKEN,
  generatedLine,
} from "./fixtures";
import { type Credential, type S3Denial, verifySigV4 } from "./sigv4-check";

const CREDENTIALS = new Map<string, Credential>([
  [ACCESS_KEY_ID, { secretAccessKey: SECRET_ACCESS_KEY }],
  [SESSION_KEY_ID, { secretAccessKey: SESSION_SECRET, sessionToken: SESSION_TOKEN }],
  [NO_ACCESS_KEY_ID, { secretAccessKey: NO_ACCESS_SECRET, buckets: [] }],
]);

export interface LoggedS3Request {
  method: string;
  host: string;
  /** Path as sent (percent-encoded) and the bucket and key it addressed. */
  path: string;
  bucket: string;
  key: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  status: number;
}

interface Fault {
  /** Which requests: list (ListObjectsV2), get, head; absent matches any. */
  op?: "list" | "get" | "head";
  key?: string;
  /** An S3 error answer… */
  status?: number;
  code?: string;
  /** …or a 200 whose body stops after this many bytes (the connection is dropped). */
  cut_after_bytes?: number;
  times: number;
}

interface Bucket {
  region: string;
  log: LoggedS3Request[];
  faults: Fault[];
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);

function errorXml(denial: S3Denial, resource: string): string {
  const extra = Object.entries(denial.extra ?? {})
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${denial.code}</Code><Message>${xmlEscape(denial.message)}</Message>${extra}<Resource>${xmlEscape(resource)}</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
}

function sendError(res: ServerResponse, denial: S3Denial, resource: string, method: string) {
  const body = errorXml(denial, resource);
  res.writeHead(denial.status, { "Content-Type": "application/xml", "Content-Length": method === "HEAD" ? "0" : String(Buffer.byteLength(body)), "x-amz-request-id": "4442587FB7D0A2F9" });
  res.end(method === "HEAD" ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function startStore(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "s3rver-process.mjs");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", script, directory], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        child.removeAllListeners("exit");
        resolve({ child, port: (JSON.parse(line) as { port: number }).port });
      }
    });
  });
}

/** One request to s3rver (unsigned: only the front reaches it), answered whole. */
function storeRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The generated CSV's text, in blocks of rows. */
function csvLines(rows: number): Readable {
  return Readable.from(
    (function* () {
      yield `${GENERATED_HEADER}\n`;
      for (let i = 1; i <= rows; i += 1000) {
        const block: string[] = [];
        for (let j = i; j < Math.min(i + 1000, rows + 1); j++) block.push(generatedLine(j));
        yield `${block.join("\n")}\n`;
      }
    })(),
  );
}

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export async function startS3Server(port = 0): Promise<RunningFake> {
  const directory = mkdtempSync(join(tmpdir(), "loaders-s3-"));
  const store = await startStore(directory);
  const buckets = new Map<string, Bucket>();

  const objectFile = (bucket: string, key: string) => {
    const parts = key.split("/");
    const last = parts.pop()!;
    return join(directory, bucket, ...parts, `${last}._S3rver_object`);
  };

  async function putObject(bucket: string, key: string, body: Buffer, headers: Record<string, string>, lastModified?: string) {
    const res = await storeRequest(store.port, "PUT", `/${bucket}/${encodeKey(key)}`, { "content-type": headers["content-type"] ?? "application/octet-stream", ...(headers["content-encoding"] ? { "content-encoding": headers["content-encoding"] } : {}) }, body);
    if (res.status !== 200) throw new Error(`store PUT ${bucket}/${key}: ${res.status} ${res.body.toString()}`);
    if (lastModified) await touch(bucket, key, lastModified);
    const head = await storeRequest(store.port, "HEAD", `/${bucket}/${encodeKey(key)}`);
    return { key, size: body.length, etag: String(head.headers.etag), last_modified: new Date(String(head.headers["last-modified"])).toISOString() };
  }

  async function putFile(bucket: string, key: string, file: string, contentType: string, lastModified?: string) {
    const size = (await stat(file)).size;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: store.port, method: "PUT", path: `/${bucket}/${encodeKey(key)}`, headers: { "content-type": contentType, "content-length": String(size) } }, (answer) => {
        answer.resume();
        answer.on("end", () => resolve(answer.statusCode ?? 0));
      });
      req.on("error", reject);
      createReadStream(file).pipe(req);
    });
    if (status !== 200) throw new Error(`store PUT ${bucket}/${key}: ${status}`);
    if (lastModified) await touch(bucket, key, lastModified);
    const head = await storeRequest(store.port, "HEAD", `/${bucket}/${encodeKey(key)}`);
    return { key, size, etag: String(head.headers.etag), last_modified: new Date(String(head.headers["last-modified"])).toISOString() };
  }

  async function touch(bucket: string, key: string, lastModified: string) {
    const at = new Date(lastModified);
    await utimes(objectFile(bucket, key), at, at);
  }

  async function parquet(bucket: string, key: string, sql: string, rowGroupSize: number, compression: string, lastModified?: string) {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const file = join(directory, `fixture-${crypto.randomUUID()}.parquet`);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await connection.run(`COPY (${sql}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize}, COMPRESSION ${compression})`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const body = await readFile(file);
    rmSync(file);
    return putObject(bucket, key, body, { "content-type": "application/vnd.apache.parquet" }, lastModified);
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL) {
    const [, , action, bucketName, ...keyParts] = url.pathname.split("/").map(decodeURIComponent);
    const key = keyParts.join("/");
    const json = async () => JSON.parse((await readBytes(req)).toString("utf8") || "{}");
    const bucketOf = (name: string | undefined) => {
      const bucket = name ? buckets.get(name) : undefined;
      if (!bucket) throw new Error(`no bucket ${name}`);
      return bucket;
    };
    switch (`${req.method} ${action}`) {
      case "PUT bucket": {
        const { region = "us-east-1" } = await json();
        const created = await storeRequest(store.port, "PUT", `/${bucketName}`);
        if (created.status !== 200) throw new Error(`store PUT bucket: ${created.status} ${created.body.toString()}`);
        buckets.set(bucketName!, { region, log: [], faults: [] });
        return sendJson(res, 201, { bucket: bucketName, region });
      }
      case "PUT object": {
        bucketOf(bucketName);
        const headers = lowercaseHeaders(req);
        let body = await readBytes(req);
        if (url.searchParams.get("gzip") === "1") body = gzipSync(body);
        const encoding = url.searchParams.get("content_encoding");
        const written = await putObject(bucketName!, key, body, { "content-type": headers["content-type"] ?? "application/octet-stream", ...(encoding ? { "content-encoding": encoding } : {}) }, url.searchParams.get("last_modified") ?? undefined);
        return sendJson(res, 201, written);
      }
      case "POST objects": {
        // Many small objects in one call (a listing test needs more than a page of them).
        bucketOf(bucketName);
        const { objects } = (await json()) as { objects: { key: string; body: string; last_modified?: string }[] };
        for (let i = 0; i < objects.length; i += 50) {
          await Promise.all(
            objects.slice(i, i + 50).map(async (o) => {
              const put = await storeRequest(store.port, "PUT", `/${bucketName}/${encodeKey(o.key)}`, { "content-type": "application/octet-stream" }, Buffer.from(o.body, "utf8"));
              if (put.status !== 200) throw new Error(`store PUT ${o.key}: ${put.status}`);
              if (o.last_modified) await touch(bucketName!, o.key, o.last_modified);
            }),
          );
        }
        return sendJson(res, 201, { written: objects.length });
      }
      case "DELETE object": {
        bucketOf(bucketName);
        await storeRequest(store.port, "DELETE", `/${bucketName}/${encodeKey(key)}`);
        return sendJson(res, 200, { deleted: key });
      }
      case "POST touch": {
        bucketOf(bucketName);
        await touch(bucketName!, key, (await json()).last_modified);
        return sendJson(res, 200, { key });
      }
      case "POST generate-csv": {
        // A large CSV made here, not sent from workerd: `rows` rows of generatedLine, optionally gzipped, written to
        // a file and streamed to the store, so a benchmark's gigabyte never sits in memory.
        bucketOf(bucketName);
        const { rows, gzip = false, last_modified } = await json();
        const file = join(directory, `generated-${crypto.randomUUID()}.csv`);
        if (gzip) await pipeline(csvLines(rows), createGzip(), createWriteStream(file));
        else await pipeline(csvLines(rows), createWriteStream(file));
        try {
          return sendJson(res, 201, await putFile(bucketName!, key, file, "text/csv", last_modified));
        } finally {
          rmSync(file, { force: true });
        }
      }
      case "POST parquet": {
        bucketOf(bucketName);
        const { sql, row_group_size = 122_880, compression = "snappy", last_modified } = await json();
        return sendJson(res, 201, await parquet(bucketName!, key, sql, row_group_size, compression, last_modified));
      }
      case "PUT faults": {
        bucketOf(bucketName).faults = (await json()).faults;
        return sendJson(res, 200, { ok: true });
      }
      case "GET requests":
        return sendJson(res, 200, bucketOf(bucketName).log);
      case "DELETE requests":
        bucketOf(bucketName).log = [];
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: `no control ${req.method} ${action}` });
    }
  }

  /** Bucket and key of a request, virtual-hosted (`<bucket>.<endpoint host>`) or path style. */
  function address(host: string, rawPath: string): { bucket: string; rawKey: string } {
    const hostname = host.replace(/:\d+$/, "").toLowerCase();
    for (const name of buckets.keys()) {
      const rest = hostname.startsWith(`${name}.`) ? hostname.slice(name.length + 1) : null;
      if (rest && rest.includes(".")) return { bucket: name, rawKey: rawPath.replace(/^\//, "") };
    }
    const [, bucket = "", ...key] = rawPath.split("/");
    return { bucket: decodeURIComponent(bucket), rawKey: key.join("/") };
  }

  async function s3(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? "GET";
    const headers = lowercaseHeaders(req);
    const host = headers["x-forwarded-host"] ?? headers["host"] ?? "";
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const rawPath = q === -1 ? target : target.slice(0, q);
    const rawQuery = q === -1 ? "" : target.slice(q + 1);
    const { bucket: bucketName, rawKey } = address(host, rawPath);
    const key = decodeURIComponent(rawKey);
    const resource = `/${bucketName}${key ? `/${key}` : ""}`;
    const query = Object.fromEntries(new URLSearchParams(rawQuery.replaceAll("+", "%2B")));
    const bucket = buckets.get(bucketName);
    const entry: LoggedS3Request = { method, host, path: rawPath, bucket: bucketName, key, query, headers, status: 0 };
    bucket?.log.push(entry);
    const fail = (denial: S3Denial) => {
      entry.status = denial.status;
      sendError(res, denial, resource, method);
    };

    const verified = verifySigV4({ method, host, rawPath, rawQuery, headers, now: new Date() }, CREDENTIALS);
    if ("code" in verified) return fail(verified);
    if (!bucket) return fail({ status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist", extra: { BucketName: bucketName } });
    if (verified.credential.buckets && !verified.credential.buckets.includes(bucketName)) return fail({ status: 403, code: "AccessDenied", message: "Access Denied" });
    if (bucket.region !== "auto" && verified.region !== bucket.region) {
      return fail({ status: 400, code: "AuthorizationHeaderMalformed", message: `The authorization header is malformed; the region '${verified.region}' is wrong; expecting '${bucket.region}'`, extra: { Region: bucket.region } });
    }
    if (method !== "GET" && method !== "HEAD") return fail({ status: 403, code: "AccessDenied", message: "Access Denied" });

    const op = key === "" ? (query["list-type"] === "2" ? "list" : "other") : method === "HEAD" ? "head" : "get";
    const fault = bucket.faults.find((f) => f.times > 0 && (!f.op || f.op === op) && (f.key === undefined || f.key === key));
    if (fault) fault.times--;
    if (fault?.code) return fail({ status: fault.status ?? 500, code: fault.code, message: fault.code === "SlowDown" ? "Please reduce your request rate." : "We encountered an internal error. Please try again." });

    const ifMatch = headers["if-match"];
    const preconditionFailed = () => fail({ status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold", extra: { Condition: "If-Match" } });
    const forwarded: Record<string, string> = {};
    for (const name of ["range", "x-amz-date", "x-amz-content-sha256", "if-none-match", "if-modified-since"]) if (headers[name]) forwarded[name] = headers[name]!;
    const upstream = httpRequest({ host: "127.0.0.1", port: store.port, method, path: `/${bucketName}${rawKey ? `/${rawKey}` : ""}${rawQuery ? `?${rawQuery}` : ""}`, headers: forwarded }, (answer) => {
      const status = answer.statusCode ?? 502;
      const etag = answer.headers.etag;
      if (ifMatch && status < 300 && etag && ifMatch !== etag && ifMatch !== "*") {
        answer.resume();
        return preconditionFailed();
      }
      // S3 evaluates If-Match before the Range (412 wins over 416); s3rver knows neither If-Match nor that order.
      if (ifMatch && ifMatch !== "*" && status === 416) {
        answer.resume();
        void storeRequest(store.port, "HEAD", `/${bucketName}/${rawKey}`).then((current) => {
          if (current.status === 200 && current.headers.etag !== ifMatch) return preconditionFailed();
          return fail({ status: 416, code: "InvalidRange", message: "The requested range is not satisfiable" });
        }, () => res.destroy());
        return;
      }
      entry.status = status;
      res.writeHead(status, answer.headers);
      if (fault?.cut_after_bytes !== undefined) {
        // The headers and the first bytes reach the client, then the connection drops mid-body.
        res.flushHeaders();
        let sent = 0;
        answer.on("data", (chunk: Buffer) => {
          if (sent >= fault.cut_after_bytes!) return;
          const piece = chunk.subarray(0, fault.cut_after_bytes! - sent);
          sent += piece.length;
          const last = sent >= fault.cut_after_bytes!;
          res.write(piece, () => {
            if (!last) return;
            answer.destroy();
            setTimeout(() => res.destroy(), 20);
          });
        });
        return;
      }
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const handle = url.pathname.startsWith("/_control/") ? control(req, res, url) : s3(req, res);
    handle.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  return {
    name: "s3",
    port: await listen(server, port),
    hosts: S3_HOSTS,
    async close() {
      await stop(server);
      store.child.stdin!.end();
      await new Promise((resolve) => (store.child.exitCode !== null ? resolve(null) : store.child.once("exit", resolve)));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
