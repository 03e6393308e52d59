/**
 * The BigQuery warehouse's config, defined once (the sources API validates with it, the adapter parses with it);
 * field names follow SignalSmith's (research/signalsmith.md §3.3). The adapter is built on src/warehouses/contract.ts.
 */
import { z } from "zod";
import type { WarehouseSpec } from "../contract";

const identifier = z.string().min(1).max(255);

export const bigqueryConfig = z
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
  .strict();

export const bigquerySpec = {
  type: "bigquery",
  title: "Google BigQuery",
  config: bigqueryConfig,
  secret_fields: ["service_account_json"],
} satisfies WarehouseSpec<z.output<typeof bigqueryConfig>>;
