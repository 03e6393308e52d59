/**
 * Warehouse ("source") types and their config schemas (DESIGN §2; SignalSmith's field names,
 * research/signalsmith.md §3.3). `d1` is the Worker's own WAREHOUSE database and takes no config.
 */
import { z } from "zod";

const identifier = z.string().min(1).max(255);

export const sourceTypes = {
  d1: {
    title: "Cloudflare D1 (embedded)",
    config: z.object({}).strict(),
    secret_fields: [] as string[],
  },
  postgresql: {
    title: "PostgreSQL",
    config: z
      .object({
        host: z.string().min(1).describe("Hostname or IP address"),
        port: z.number().int().min(1).max(65535).default(5432),
        database: identifier,
        user: identifier,
        password: z.string().min(1).describe("Secret"),
        sslmode: z.enum(["require", "verify-full", "disable"]).default("require"),
      })
      .strict(),
    secret_fields: ["password"],
  },
  snowflake: {
    title: "Snowflake",
    config: z
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
      }),
    secret_fields: ["password", "private_key", "private_key_passphrase"],
  },
  bigquery: {
    title: "Google BigQuery",
    config: z
      .object({
        project_id: identifier,
        dataset: identifier,
        service_account_json: z
          .string()
          .min(1)
          .refine((raw) => {
            try {
              const key = JSON.parse(raw) as Record<string, unknown>;
              return typeof key.client_email === "string" && typeof key.private_key === "string";
            } catch {
              return false;
            }
          }, "must be a service-account key file (JSON with client_email and private_key)"),
        location: z.string().optional(),
      })
      .strict(),
    secret_fields: ["service_account_json"],
  },
  databricks: {
    title: "Databricks SQL",
    config: z
      .object({
        host: z.string().min(1).regex(/^[^/:]+$/, "host without https:// or a path"),
        http_path: z.string().regex(/^\/sql\//, "like /sql/1.0/warehouses/<id>"),
        token: z.string().min(1),
        catalog: identifier,
        schema: identifier,
      })
      .strict(),
    secret_fields: ["token"],
  },
} as const;

export type SourceType = keyof typeof sourceTypes;
export const sourceTypeNames = Object.keys(sourceTypes) as SourceType[];

export function isSourceType(value: string): value is SourceType {
  return value in sourceTypes;
}
