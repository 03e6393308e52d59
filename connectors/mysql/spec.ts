/**
 * MySQL and MariaDB as a source, read over TCP from the Worker (research/connectors-data.md §7). Each table of the
 * database is a stream, found by discovery; incremental where the cursor column exists. DATETIME/TIMESTAMP default
 * to whole seconds, so incremental reads are inclusive and de-duplicated by key.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { databaseReplicationFields, databaseServerFields, databaseSourceSpec } from "../kit/spec-helpers";

/** MySQL identifiers are at most 64 characters. */
const identifier = z.string().min(1).max(64);

const config = z
  .object({
    ...databaseServerFields(3306, {
      database: identifier.describe("Database (schema) to read."),
      user: z.string().min(1).max(80).describe("User to connect as; it needs SELECT on the tables."),
      password: "Password of the user.",
    }),
    ssl_mode: z
      .enum(["disabled", "required", "verify_ca", "verify_identity"])
      .default("required")
      .describe("TLS to the server. From Workers every TLS mode (required, the default, verify_ca, verify_identity) checks the certificate against public CAs and the host name; disabled only for local development."),
    tables: z.array(identifier).optional().describe("Only these tables; empty means every table of the database."),
    ...databaseReplicationFields,
  })
  .strict();

export type MysqlConfig = z.infer<typeof config>;

export const mysqlSpec = {
  type: "mysql",
  title: "MySQL",
  config,
  ...databaseSourceSpec(
    "One stream per table of the database (narrowed by `tables`). Tables with the cursor column sync incrementally; the others full_refresh.",
  ),
} satisfies LoaderTypeSpec<MysqlConfig>;
