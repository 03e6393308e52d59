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
    http_path: z
      .string()
      .regex(/^\/sql\//, "like /sql/1.0/warehouses/<id>")
      .refine((path) => /^\/sql\/1\.0\/(warehouses|endpoints)\/[A-Za-z0-9]+\/?$/.test(path), {
        message: "must name a SQL warehouse (/sql/1.0/warehouses/<id>): the Statement Execution API does not run on clusters",
      }),
    /** A personal access token (dapi…), or client_id + client_secret of a service principal (OAuth M2M). */
    token: z.string().min(1).optional(),
    client_id: z.string().min(1).optional(),
    client_secret: z.string().min(1).optional(),
    catalog: identifier,
    schema: identifier,
  })
  .strict()
  .refine((c) => Boolean(c.token) !== Boolean(c.client_id && c.client_secret), {
    message: "give either token (a personal access token) or client_id and client_secret (OAuth M2M)",
    path: ["token"],
  });

export const databricksSpec = {
  type: "databricks",
  title: "Databricks SQL",
  config: databricksConfig,
  secret_fields: ["token", "client_secret"],
} satisfies WarehouseSpec<z.output<typeof databricksConfig>>;
