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
    password: z.string().optional().describe("Not accepted: Snowflake's SQL API authenticates with a key pair"),
    private_key: z.string().min(1).optional().describe("Unencrypted PKCS#8 PEM private key of the user's key pair (secret)"),
    private_key_passphrase: z.string().optional().describe("Not accepted: give the key unencrypted"),
    role: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.password !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["password"],
        message:
          "Snowflake's SQL API does not accept passwords; use key-pair authentication: give private_key (an unencrypted PKCS#8 PEM) and register its public key with ALTER USER … SET RSA_PUBLIC_KEY",
      });
    }
    if (c.private_key_passphrase !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["private_key_passphrase"],
        message: "encrypted private keys are not accepted; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.p8 -out key-unencrypted.p8",
      });
    }
    if (c.password === undefined && !c.private_key) {
      ctx.addIssue({ code: "custom", path: ["private_key"], message: "private_key is required (an unencrypted PKCS#8 PEM)" });
    }
    if (c.private_key && /BEGIN ENCRYPTED PRIVATE KEY/.test(c.private_key)) {
      ctx.addIssue({
        code: "custom",
        path: ["private_key"],
        message: "the private key is encrypted; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.p8 -out key-unencrypted.p8",
      });
    }
    if (c.private_key && !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(c.private_key.replace(/\\n/g, "\n"))) {
      ctx.addIssue({ code: "custom", path: ["private_key"], message: "must be a PEM private key (-----BEGIN PRIVATE KEY-----)" });
    }
  });

export const snowflakeSpec = {
  type: "snowflake",
  title: "Snowflake",
  config: snowflakeConfig,
  secret_fields: ["password", "private_key", "private_key_passphrase"],
} satisfies WarehouseSpec<z.output<typeof snowflakeConfig>>;
