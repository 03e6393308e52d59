import { z } from "zod";
import type { SourceRow } from "../../services/sources/source-store";
import { sourceTypeNames } from "../../services/sources/source-types";
import { timestamp, uuid } from "../common";
import { examples } from "../examples";

export const sourceBody = z.object({
  id: uuid,
  workspace_id: uuid,
  name: z.string(),
  source_type: z.enum(sourceTypeNames as [string, ...string[]]),
  config: z.record(z.string(), z.unknown()).describe("Secret fields are never returned"),
  status: z.enum(["connected", "untested", "error"]),
  status_error: z.string(),
  created_by: uuid.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ examples: [examples.source] });

export const sourceWriteBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    source_type: z.string(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .meta({ examples: [examples.sourceWrite] });

export const sourceTestBody = z
  .object({ source_type: z.string(), config: z.record(z.string(), z.unknown()).optional() })
  .strict();

export function sourceResponse(row: SourceRow): z.infer<typeof sourceBody> {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    source_type: row.sourceType,
    config: JSON.parse(row.config) as Record<string, unknown>,
    status: row.status as "connected" | "untested" | "error",
    status_error: row.statusError,
    created_by: row.createdBy,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
