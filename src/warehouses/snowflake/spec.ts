/**
 * The Snowflake warehouse's config, defined once (the sources API validates with it, the adapter parses with it);
 * field names follow SignalSmith's (research/signalsmith.md §3.3). The adapter is built on src/warehouses/contract.ts.
 */
import { z } from "zod";
import type { WarehouseSpec } from "../contract";

const identifier = z.string().min(1).max(255);

export const snowflakeConfig = z
  .object({
    account: z.string().min(1).describe("Account identifier, e.g. xy12345.us-east-1 or myorg-myaccount"),
    warehouse: identifier,
    database: identifier,
    schema: identifier,
    username: identifier,
    // Kept in the schema only to answer it with the reason: the SQL API takes no password (DESIGN §4.1).
    password: z.string().optional().describe("Not accepted: Snowflake's SQL API authenticates with a key pair or OAuth"),
    // The SQL API takes a key-pair JWT or an OAuth access token (research/warehouses.md §1); one of the two per source.
    auth_type: z.enum(["key_pair", "oauth"]).default("key_pair").describe("key_pair (private_key) or oauth (client_id, client_secret, refresh_token)"),
    private_key: z.string().min(1).optional().describe("auth_type key_pair: unencrypted PKCS#8 PEM private key of the user's key pair (secret)"),
    client_id: z.string().min(1).optional().describe("auth_type oauth: OAUTH_CLIENT_ID of the Snowflake OAuth security integration"),
    client_secret: z.string().min(1).optional().describe("auth_type oauth: OAUTH_CLIENT_SECRET of the integration (secret)"),
    refresh_token: z.string().min(1).optional().describe("auth_type oauth: a refresh token issued to the loading user by the integration (secret)"),
    private_key_passphrase: z.string().optional().describe("Not accepted: give the key unencrypted"),
    role: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (c.password !== undefined) {
      issue(
        "password",
        "Snowflake's SQL API does not accept passwords; use key-pair authentication (auth_type key_pair: give private_key, an unencrypted PKCS#8 PEM, and register its public key with ALTER USER … SET RSA_PUBLIC_KEY) or auth_type oauth",
      );
    }
    if (c.private_key_passphrase !== undefined) {
      issue("private_key_passphrase", "encrypted private keys are not accepted; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.p8 -out key-unencrypted.p8");
    }
    if (c.auth_type === "oauth") {
      if (c.private_key !== undefined) issue("private_key", "auth_type oauth takes no private_key; drop it, or use auth_type key_pair");
      for (const field of ["client_id", "client_secret", "refresh_token"] as const) {
        if (!c[field]) issue(field, `${field} is required with auth_type oauth (from the Snowflake OAuth security integration)`);
      }
      return;
    }
    for (const field of ["client_id", "client_secret", "refresh_token"] as const) {
      if (c[field] !== undefined) issue(field, `${field} is for auth_type oauth; set auth_type to oauth, or drop it and give private_key`);
    }
    if (c.password === undefined && !c.private_key) issue("private_key", "private_key is required (an unencrypted PKCS#8 PEM), or set auth_type to oauth");
    if (c.private_key && /BEGIN ENCRYPTED PRIVATE KEY/.test(c.private_key)) {
      issue("private_key", "the private key is encrypted; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.p8 -out key-unencrypted.p8");
    }
    if (c.private_key && !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(c.private_key.replace(/\\n/g, "\n"))) {
      issue("private_key", "must be a PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
  });

export const snowflakeSpec = {
  type: "snowflake",
  title: "Snowflake",
  config: snowflakeConfig,
  secret_fields: ["password", "private_key", "private_key_passphrase", "client_secret", "refresh_token"],
} satisfies WarehouseSpec<z.output<typeof snowflakeConfig>>;
