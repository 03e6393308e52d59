/**
 * The Databricks warehouse's config, defined once (the sources API validates with it, the adapter parses with it);
 * field names follow SignalSmith's (research/signalsmith.md §3.3). The adapter is built on src/warehouses/contract.ts.
 */
import { z } from "zod";
import type { WarehouseSpec } from "../contract";

const identifier = z.string().min(1).max(255);

export const databricksConfig = z
  .object({
    host: z.string().min(1).regex(/^[^/:]+$/, "host without https:// or a path"),
    http_path: z.string().regex(/^\/sql\//, "like /sql/1.0/warehouses/<id>"),
    token: z.string().min(1),
    catalog: identifier,
    schema: identifier,
  })
  .strict();

export const databricksSpec = {
  type: "databricks",
  title: "Databricks SQL",
  config: databricksConfig,
  secret_fields: ["token"],
} satisfies WarehouseSpec<z.output<typeof databricksConfig>>;
