/**
 * Google service-account credentials (the two-legged JWT bearer grant, RFC 7523), signed with WebCrypto because
 * google-auth-library does not run in workerd (research/connectors-data.md §1).
 */
import type { AuthProvider } from "./auth";
import { ConnectorError } from "./errors";
import { importRsaPrivateKey, signJwtRs256 } from "./jwt";
import { cachedBearerToken, requestToken } from "./oauth2";

export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Google rejects an assertion whose `exp` is more than an hour after `iat`. */
const ASSERTION_LIFETIME_SECONDS = 3600;

export interface GoogleServiceAccountOptions {
  clientEmail: string;
  /** The key file's `private_key`: a PKCS#8 PEM. */
  privateKey: string;
  scopes: string[];
  privateKeyId?: string;
  /** A Workspace user to impersonate (domain-wide delegation). */
  subject?: string;
  tokenUrl?: string;
  now?: () => number;
}

export function googleServiceAccount(options: GoogleServiceAccountOptions): AuthProvider {
  const now = options.now ?? Date.now;
  const tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
  let key: Promise<CryptoKey> | undefined;
  return cachedBearerToken(
    async (http) => {
      key ??= importRsaPrivateKey(options.privateKey, { what: "the service account private_key" });
      const iat = Math.floor(now() / 1000);
      const header = options.privateKeyId ? { kid: options.privateKeyId } : {};
      const claims = {
        iss: options.clientEmail,
        scope: options.scopes.join(" "),
        aud: tokenUrl,
        iat,
        exp: iat + ASSERTION_LIFETIME_SECONDS,
        ...(options.subject ? { sub: options.subject } : {}),
      };
      const assertion = await signJwtRs256(await key, claims, header);
      return requestToken(http, tokenUrl, { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    },
    { ...(options.now ? { now: options.now } : {}), secrets: () => [options.privateKey] },
  );
}

/** From the key file a user pastes (`service_account_json`); its shape errors are configuration errors. */
export function googleServiceAccountFromJson(json: string, scopes: string[], subject?: string): AuthProvider {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ConnectorError("configuration", "the service account key is not valid JSON");
  }
  const { client_email, private_key, private_key_id, token_uri } = parsed ?? {};
  if (typeof client_email !== "string" || typeof private_key !== "string") {
    throw new ConnectorError("configuration", "the service account key needs client_email and private_key");
  }
  return googleServiceAccount({
    clientEmail: client_email,
    privateKey: private_key,
    scopes,
    ...(typeof private_key_id === "string" ? { privateKeyId: private_key_id } : {}),
    ...(typeof token_uri === "string" ? { tokenUrl: token_uri } : {}),
    ...(subject ? { subject } : {}),
  });
}
