/** The embedded default warehouse: the Worker's own WAREHOUSE database, which takes no config (DESIGN §2). */
import { z } from "zod";
import type { WarehouseSpec } from "../contract";

export const d1Spec = {
  type: "d1",
  title: "Cloudflare D1 (embedded)",
  config: z.object({}).strict(),
  secret_fields: [],
} satisfies WarehouseSpec;
