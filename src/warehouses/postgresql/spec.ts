/**
 * The PostgreSQL warehouse's config, defined once: the sources API validates a saved config with it, and the
 * adapter parses the stored config with it again (the config crosses a boundary: D1, sealed secrets).
 */
import { z } from "zod";
import type { WarehouseSpec } from "../contract";

const identifier = z.string().min(1).max(255);

export const postgresqlConfig = z
  .object({
    host: z.string().min(1).describe("Hostname or IP address"),
    port: z.number().int().min(1).max(65535).default(5432),
    database: identifier,
    user: identifier,
    password: z.string().min(1).describe("Secret"),
    sslmode: z.enum(["require", "verify-full", "disable"]).default("require"),
  })
  .strict();

export type PostgresqlConfig = z.infer<typeof postgresqlConfig>;

export const postgresqlSpec = {
  type: "postgresql",
  title: "PostgreSQL",
  config: postgresqlConfig,
  secret_fields: ["password"],
  // An unencrypted connection carries the password in clear; only a local database may need that (DESIGN §2).
  check: (config, { development }) =>
    config.sslmode === "disable" && !development
      ? [{ path: "sslmode", message: 'sslmode "disable" is only allowed in development mode; use require or verify-full' }]
      : [],
} satisfies WarehouseSpec<z.output<typeof postgresqlConfig>>;
