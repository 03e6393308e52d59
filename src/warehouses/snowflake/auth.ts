/**
 * Snowflake authentication for the SQL API: key pair, or OAuth (snowflakeOAuth below). Key pair (https://docs.snowflake.com/en/developer-guide/sql-api/authenticating):
 * an RS256 JWT signed with the user's private key, `iss` = `ACCOUNT.USER.SHA256:<fingerprint of the public key>`,
 * `sub` = `ACCOUNT.USER`, at most one hour long. ACCOUNT is the account identifier without region or cloud
 * (`xy12345.us-east-1` → `XY12345`; `myorg-myaccount` stays), both upper case (research/warehouses.md §1).
 */
import type { AuthProvider } from "../../../connectors/kit/auth";
import { importRsaPrivateKey, rsaPublicKeyFingerprint, signJwtRs256 } from "../../../connectors/kit/jwt";
import { ConnectorError, isConnectorError } from "../../../connectors/kit/errors";
import { oauth2RefreshToken } from "../../../connectors/kit/oauth2";

/** Snowflake refuses a JWT that lives longer than an hour; a fresh one is signed five minutes before it ends. */
const LIFETIME_SECONDS = 59 * 60;
const RENEW_BEFORE_SECONDS = 5 * 60;

export function snowflakeAccountName(account: string): string {
  return (account.trim().split(".")[0] as string).toUpperCase();
}

export interface KeyPairOptions {
  account: string;
  user: string;
  privateKey: string;
  now?: () => number;
}

export interface KeyPairAuth extends AuthProvider {
  /** `SHA256:<base64>`, as `DESCRIBE USER` shows RSA_PUBLIC_KEY_FP: for messages that say which key to register. */
  fingerprint(): Promise<string>;
}

export function snowflakeKeyPair(options: KeyPairOptions): KeyPairAuth {
  const now = options.now ?? Date.now;
  const account = snowflakeAccountName(options.account);
  const user = options.user.toUpperCase();
  let key: Promise<CryptoKey> | undefined;
  let fingerprint: Promise<string> | undefined;
  let token: { value: string; renewAt: number } | undefined;
  const what = "the Snowflake private_key";
  const fp = () => (fingerprint ??= rsaPublicKeyFingerprint(options.privateKey, { what }).then((f) => `SHA256:${f}`));

  const sign = async () => {
    key ??= importRsaPrivateKey(options.privateKey, { what });
    const iat = Math.floor(now() / 1000);
    const value = await signJwtRs256(await key, { iss: `${account}.${user}.${await fp()}`, sub: `${account}.${user}`, iat, exp: iat + LIFETIME_SECONDS });
    token = { value, renewAt: (iat + LIFETIME_SECONDS - RENEW_BEFORE_SECONDS) * 1000 };
    return value;
  };

  return {
    async apply({ headers }) {
      const value = token && now() < token.renewAt ? token.value : await sign();
      headers.set("authorization", `Bearer ${value}`);
      headers.set("x-snowflake-authorization-token-type", "KEYPAIR_JWT");
    },
    async refresh() {
      token = undefined;
    },
    secretValues: () => [options.privateKey, ...(token ? [token.value] : [])],
    fingerprint: fp,
  };
}

export interface OAuthOptions {
  account: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** The account's own OAuth server (Snowflake OAuth, a custom security integration): `/oauth/token-request`. */
export function snowflakeTokenUrl(account: string): string {
  return `https://${account.trim().toLowerCase()}.snowflakecomputing.com/oauth/token-request`;
}

/**
 * Snowflake OAuth for the SQL API (https://docs.snowflake.com/en/developer-guide/sql-api/authenticating): access
 * tokens (ten minutes) from the refresh-token grant, the integration's client id and secret in a Basic header as
 * Snowflake's token endpoint takes them, sent as `Authorization: Bearer` with the token type OAUTH. A new access token
 * is fetched a minute before the old one ends and again on a 401 (the kit's cachedBearerToken).
 */
export function snowflakeOAuth(options: OAuthOptions): AuthProvider {
  const tokens = oauth2RefreshToken({
    tokenUrl: snowflakeTokenUrl(options.account),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    refreshToken: options.refreshToken,
    clientAuth: "basic",
  });
  // A refused refresh token does not heal by retrying: say what to do about it.
  const fix = (error: unknown): never => {
    if (isConnectorError(error) && error.kind === "configuration") {
      throw new ConnectorError(
        "configuration",
        `${error.message} (Snowflake OAuth, client_id "${options.clientId}"): the refresh token was revoked or is past the integration's OAUTH_REFRESH_TOKEN_VALIDITY, or the client secret changed; ` +
          "authorize the loading user through the security integration again and save the new refresh_token (and client_secret)",
        error.details,
      );
    }
    throw error;
  };
  return {
    async apply(request, http) {
      await tokens.apply(request, http).catch(fix);
      request.headers.set("x-snowflake-authorization-token-type", "OAUTH");
    },
    refresh: async (http) => {
      await tokens.refresh?.(http).catch(fix);
    },
    secretValues: () => tokens.secretValues(),
  };
}
