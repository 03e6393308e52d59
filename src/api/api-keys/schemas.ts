import { z } from "zod";
import type { apiKeys } from "../../db/schema";
import { timestamp, uuid } from "../common";
import { examples } from "../examples";

export const apiKeyBody = z.object({
  id: uuid,
  workspace_id: uuid,
  name: z.string(),
  key_prefix: z.string(),
  role: z.enum(["owner", "admin", "member"]),
  status: z.enum(["active", "revoked"]),
  created_by: uuid.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  last_used_at: timestamp.nullable(),
}).meta({ examples: [examples.apiKey] });

export const createdApiKeyBody = apiKeyBody.extend({
  key: z.string().describe("The full key, shown only in this response"),
});

export function apiKeyResponse(row: typeof apiKeys.$inferSelect): z.infer<typeof apiKeyBody> {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    key_prefix: row.keyPrefix,
    role: row.role,
    status: row.status,
    created_by: row.createdBy,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    last_used_at: row.lastUsedAt,
  };
}
