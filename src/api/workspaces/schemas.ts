import { z } from "zod";
import { timestamp, uuid } from "../common";
import type { workspaces } from "../../db/schema";
import { examples } from "../examples";

export const workspaceBody = z.object({
  id: uuid,
  name: z.string(),
  slug: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ examples: [examples.workspace] });

export function workspaceResponse(row: typeof workspaces.$inferSelect): z.infer<typeof workspaceBody> {
  return { id: row.id, name: row.name, slug: row.slug, created_at: row.createdAt, updated_at: row.updatedAt };
}
