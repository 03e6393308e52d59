/**
 * Snowflake key-pair authentication for the SQL API (https://docs.snowflake.com/en/developer-guide/sql-api/authenticating):
 * an RS256 JWT signed with the user's private key, `iss` = `ACCOUNT.USER.SHA256:<fingerprint of the public key>`,
 * `sub` = `ACCOUNT.USER`, at most one hour long. ACCOUNT is the account identifier without region or cloud
 * (`xy12345.us-east-1` → `XY12345`; `myorg-myaccount` stays), both upper case (research/warehouses.md §1).
 */
import type { AuthProvider } from "../../../connectors/kit/auth";
import { importRsaPrivateKey, rsaPublicKeyFingerprint, signJwtRs256 } from "../../../connectors/kit/jwt";

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
