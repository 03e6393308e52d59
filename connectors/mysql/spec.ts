/**
 * MySQL and MariaDB as a source, read over TCP from the Worker (research/connectors-data.md §7). Each table of the
 * database is a stream, found by discovery; incremental where the cursor column exists. DATETIME/TIMESTAMP default
 * to whole seconds, so incremental reads are inclusive and de-duplicated by key.
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import {
  cursorColumnField,
  discoveredFromConfig,
  hostField,
  portField,
  replicationMethodField,
  secretField,
} from "../kit/spec-helpers";

/** MySQL identifiers are at most 64 characters. */
const identifier = z.string().min(1).max(64);

const config = z
  .object({
    host: hostField,
    port: portField(3306),
    database: identifier.describe("Database (schema) to read."),
    user: z.string().min(1).max(80).describe("User to connect as; it needs SELECT on the tables."),
    password: secretField("Password of the user."),
    ssl_mode: z
      .enum(["disabled", "required", "verify_ca", "verify_identity"])
      .default("required")
      .describe("TLS to the server: required (default) encrypts; verify_ca/verify_identity also check the certificate; disabled only for local development."),
    tables: z.array(identifier).optional().describe("Only these tables; empty means every table of the database."),
    replication_method: replicationMethodField,
    cursor_field: cursorColumnField,
  })
  .strict();

export type MysqlConfig = z.infer<typeof config>;

export const mysqlSpec = {
  type: "mysql",
  title: "MySQL",
  category: "database",
  auth_method: "password",
  config,
  secret_fields: ["password"],
  credential_sets: [["password"]],
  streams: discoveredFromConfig(
    "One stream per table of the database (narrowed by `tables`). Tables with the cursor column sync incrementally; the others full_refresh.",
  ),
} satisfies LoaderTypeSpec<MysqlConfig>;
