/**
 * PostgreSQL as a source, read over TCP from the Worker (research/connectors-data.md §6). Each table or view of the
 * selected schemas is a stream named `schema.table`, found by discovery: its primary key from the catalog, and
 * incremental when it has the cursor column (keyset reads on (cursor, key), re-reading a safety window because
 * transactions commit out of timestamp order).
 */
import { z } from "zod";
import type { LoaderTypeSpec } from "../kit/contract";
import { databaseReplicationFields, databaseServerFields, databaseSourceSpec } from "../kit/spec-helpers";

/** PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1). */
const identifier = z.string().min(1).max(63);

const config = z
  .object({
    ...databaseServerFields(5432, {
      database: identifier.describe("Database to read."),
      user: identifier.describe("Role to connect as; it needs USAGE on the schemas and SELECT on the tables."),
      password: "Password of the role.",
    }),
    sslmode: z
      .enum(["disable", "require", "verify-ca", "verify-full"])
      .default("require")
      .describe("TLS to the server. From Workers every TLS mode (require, the default, verify-ca, verify-full) checks the certificate against public CAs and the host name; disable only for local development."),
    schemas: z.array(identifier).min(1).default(["public"]).describe("Schemas whose tables and views become streams."),
    tables: z
      .array(z.string().regex(/^[^.\s]+(\.[^.\s]+)?$/, "must be table or schema.table"))
      .optional()
      .describe("Only these tables (table or schema.table); empty means every table of the schemas."),
    ...databaseReplicationFields,
  })
  .strict();

export type PostgresqlConfig = z.infer<typeof config>;

export const postgresqlSpec = {
  type: "postgresql",
  title: "PostgreSQL",
  config,
  ...databaseSourceSpec(
    "One stream per table or view of the configured schemas (narrowed by `tables`), named schema.table. Tables with the cursor column sync incrementally; the others full_refresh.",
  ),
} satisfies LoaderTypeSpec<PostgresqlConfig>;
