/**
 * What every service verb receives: the database, settings, and who is acting. HTTP, cron, queue and DO code
 * all build one of these, so the same verbs serve every entrypoint (DESIGN §1).
 */
import { database, type Database } from "../db/client";
import { settings, type Env, type Settings } from "../env";
import { AppError } from "../lib/errors";

export type Role = "owner" | "admin" | "member";

export type Actor =
  | { kind: "api_key"; workspaceId: string; keyId: string; role: Role }
  | { kind: "admin_token" }
  | { kind: "system"; reason: "schedule" | "engine" };

export interface ServiceContext {
  env: Env;
  db: Database;
  settings: Settings;
  actor: Actor;
}

export function serviceContext(env: Env, actor: Actor): ServiceContext {
  return { env, db: database(env.DB), settings: settings(env), actor };
}

const rank: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

/** Members read and trigger; admins and owners also create, update and delete (DESIGN §2). */
export function requireRole(ctx: ServiceContext, role: Role): void {
  if (ctx.actor.kind !== "api_key") return;
  if (rank[ctx.actor.role] < rank[role]) {
    throw new AppError("forbidden", `this action needs the ${role} role; the API key has ${ctx.actor.role}`);
  }
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return rank[have] >= rank[need];
}

/** The id recorded as `created_by`/`triggered_by`: the API key that acted (keys are the accounts of this API). */
export function actorId(ctx: ServiceContext): string | null {
  return ctx.actor.kind === "api_key" ? ctx.actor.keyId : null;
}
