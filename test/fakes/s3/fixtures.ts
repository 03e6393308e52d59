/**
 * What both sides of the S3 tests know: the credentials the server accepts, the hosts it answers for, and the
 * generated CSV's rows (the server writes them, the tests check them). Plain TypeScript without Node or workerd
 * imports, so the server (Node) and the tests (workerd) share it.
 */

/** AWS's documented example key pair (https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html). */
export const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** Temporary credentials: valid only with their session token. */
export const SESSION_KEY_ID = "ASIAIOSFODNN7TEMPKEY";
export const SESSION_SECRET = "tempSecretKey/K7MDENG/bPxRfiCYTEMPKEY00";
export const SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN+/=";
/** A key whose policy grants no bucket: every request answers AccessDenied. */
export const NO_ACCESS_KEY_ID = "AKIANOACCESSEXAMPLE0";
export const NO_ACCESS_SECRET = "noAccessSecret/K7MDENG/bPxRfiCYEXAMPLE00";

/** The R2 account host the tests configure as `endpoint` (https://<account>.r2.cloudflarestorage.com). */
export const R2_ACCOUNT_HOST = "f00dfeedf00dfeedf00dfeedf00dfeed.r2.cloudflarestorage.com";
/** A self-hosted MinIO as a user would configure it. */
export const MINIO_HOST = "minio.example.net";

/** Production hosts the server answers (HOST_OVERRIDES keys): AWS in three regions, both styles, R2 and MinIO. */
export const S3_HOSTS = [
  "s3.amazonaws.com",
  "*.s3.amazonaws.com",
  ...["us-east-1", "eu-west-1", "ap-southeast-2"].flatMap((region) => [`s3.${region}.amazonaws.com`, `*.s3.${region}.amazonaws.com`]),
  R2_ACCOUNT_HOST,
  `*.${R2_ACCOUNT_HOST}`,
  MINIO_HOST,
];

/**
 * Row `i` (1-based) of the generated CSV: an integer key, text with a comma or a quote, an exact decimal, a
 * timestamp, a boolean, and every 997th row a quoted line break (so rows cross any read boundary).
 */
export function generatedRow(i: number): { id: number; label: string; amount: string; at: string; flag: boolean } {
  const label = i % 997 === 0 ? `line one\nline two ${i}` : i % 3 === 0 ? `with, comma ${i}` : i % 5 === 0 ? `say "hi" ${i}` : `plain ${i}`;
  return {
    id: i,
    label,
    amount: `${Math.floor(i / 4)}.${String((i * 25) % 100).padStart(2, "0")}`,
    at: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    flag: i % 2 === 0,
  };
}

export const GENERATED_HEADER = "id,label,amount,at,flag";

export function generatedLine(i: number): string {
  const row = generatedRow(i);
  const label = /[",\n]/.test(row.label) ? `"${row.label.replaceAll('"', '""')}"` : row.label;
  return `${row.id},${label},${row.amount},${row.at},${row.flag}`;
}
