/**
 * S3's XML error answers (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) as the kit's kinds,
 * each configuration error naming the bucket and what to check. SlowDown (503) and 5xx stay retryable through the
 * kit's default classification.
 */
import { ConnectorError } from "../kit/errors";
import type { ErrorClassifier } from "../kit/http";
import { xmlText } from "./listing";

/** The object changed (its ETag no longer matches) or vanished while it was being read. */
export class ObjectChanged extends Error {
  override readonly name = "ObjectChanged";
}

export function s3Code(body: string): { code: string | undefined; message: string | undefined; region: string | undefined } {
  return { code: xmlText(body, "Code"), message: xmlText(body, "Message"), region: xmlText(body, "Region") };
}

const POLICY_HINT = (bucket: string) => `the key needs s3:ListBucket on arn:aws:s3:::${bucket} and s3:GetObject on arn:aws:s3:::${bucket}/*`;

export function s3ErrorClassifier(bucket: string, label: string, region: string): ErrorClassifier {
  return (status, body) => {
    const { code, message, region: expected } = s3Code(body);
    const said = message ? ` (S3: ${message})` : "";
    const configuration = (text: string) => new ConnectorError("configuration", `${label}: ${text}${said}`, { status });
    switch (code) {
      case "SignatureDoesNotMatch":
        return configuration("the signature was rejected: check that secret_access_key is the secret of access_key_id, and the region and endpoint");
      case "InvalidAccessKeyId":
        return configuration("the access key id is not known to this store: check access_key_id (and session_token for temporary credentials), and that the endpoint is the store the key belongs to");
      case "AccessDenied":
      case "AllAccessDisabled":
        return configuration(`access denied: ${POLICY_HINT(bucket)}`);
      case "InvalidToken":
      case "ExpiredToken":
      case "TokenRefreshRequired":
        return configuration("the session token is invalid or expired: temporary credentials need a fresh session_token");
      case "AuthorizationHeaderMalformed":
        return configuration(expected ? `the bucket is in region ${expected}, not ${region}: set region to ${expected}` : "the request was refused as malformed: check region and endpoint");
      case "PermanentRedirect":
      case "IncorrectEndpoint":
        return configuration(`the bucket must be reached at another endpoint${expected ? ` (region ${expected})` : ""}: check region and endpoint`);
      case "InvalidObjectState":
        return configuration("an object is in an archive storage class (Glacier, Deep Archive): restore it, or narrow prefix/glob to exclude it");
      case "NoSuchBucket":
        return configuration("no such bucket: check bucket, region and endpoint");
      case "RequestTimeTooSkewed":
        return new ConnectorError("retryable", `${label}: the request time was refused as skewed${said}`, { status });
      case "SlowDown":
        return new ConnectorError("retryable", `${label}: S3 asked to slow down (503 SlowDown)`, { status });
      default:
        return undefined;
    }
  };
}
