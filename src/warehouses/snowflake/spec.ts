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
    password: z.string().min(1).optional().describe("Secret; or use private_key"),
    private_key: z.string().min(1).optional().describe("PEM private key for key-pair auth (secret)"),
    private_key_passphrase: z.string().optional(),
    role: z.string().optional(),
  })
  .strict()
  .refine((c) => Boolean(c.password) !== Boolean(c.private_key), {
    message: "give exactly one of password or private_key",
    path: ["password"],
  });

export const snowflakeSpec = {
  type: "snowflake",
  title: "Snowflake",
  config: snowflakeConfig,
  secret_fields: ["password", "private_key", "private_key_passphrase"],
} satisfies WarehouseSpec<z.output<typeof snowflakeConfig>>;
