/**
 * The tests' S3 server (test/fakes/s3) driven by AWS's official client, @aws-sdk/client-s3, with its own signer:
 * listing with continuation tokens, ranged and conditional GETs, and a wrong secret refused with S3's error code.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFake } from "../fakes/index";
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY } from "../fakes/s3/fixtures";
import { startS3Server } from "../fakes/s3/server";

let fake: RunningFake;
let base: string;
const bucket = "sdk-bucket";

beforeAll(async () => {
  fake = await startS3Server();
  base = `http://127.0.0.1:${fake.port}`;
  const control = (method: string, path: string, body: unknown) => fetch(`${base}/_control/${path}`, { method, body: JSON.stringify(body) }).then((r) => expect(r.status).toBeLessThan(300));
  await control("PUT", `bucket/${bucket}`, {});
  await control("POST", `objects/${bucket}`, { objects: Array.from({ length: 1003 }, (_, i) => ({ key: `k/${String(i).padStart(4, "0")}.txt`, body: `body ${i}` })) });
}, 60_000);

afterAll(async () => {
  await fake.close();
});

const client = (secretAccessKey = SECRET_ACCESS_KEY) =>
  new S3Client({ endpoint: base, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey }, maxAttempts: 1 });

describe("S3 server with @aws-sdk/client-s3", () => {
  it("lists every key across pages and reads a byte range", async () => {
    const s3 = client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "k/", ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toHaveLength(1003);
    expect(keys[1002]).toBe("k/1002.txt");
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k/0007.txt", Range: "bytes=5-5" }));
    expect(object.ContentRange).toBe("bytes 5-5/6");
    expect(await object.Body!.transformToString()).toBe("7");
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k/0007.txt", IfMatch: '"0000"' }))).rejects.toMatchObject({ name: "PreconditionFailed" });
  });

  it("refuses a wrong secret with SignatureDoesNotMatch", async () => {
    const failure = await client("wrong").send(new ListObjectsV2Command({ Bucket: bucket })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(S3ServiceException);
    expect(failure).toMatchObject({ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } });
  });
});
