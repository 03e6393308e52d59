import { asc, eq } from "drizzle-orm";
import { workspaces } from "../../db/schema";
import type { ServiceContext } from "../context";

/** An API key belongs to one workspace; the bootstrap token sees all of them. */
export async function listWorkspaces(ctx: ServiceContext) {
  const query = ctx.db.select().from(workspaces);
  if (ctx.actor.kind === "api_key") return query.where(eq(workspaces.id, ctx.actor.workspaceId));
  return query.orderBy(asc(workspaces.createdAt));
}
