import { and, eq } from "drizzle-orm";
import { sources } from "../../db/schema";
import { mergeSecrets, splitSecrets } from "../../lib/config-paths";
import { AppError, notFound, validationError, zodDetails } from "../../lib/errors";
import { openJson, sealJson } from "../../lib/secrets";
import type { ServiceContext } from "../context";
import { isSourceType, sourceTypeNames, sourceTypes, type SourceType } from "./source-types";

export type SourceRow = typeof sources.$inferSelect;
type Obj = Record<string, unknown>;

const aad = (workspaceId: string, sourceId: string) => `source:${workspaceId}:${sourceId}`;

/** `field` set: the source is referenced from a body (a loader's source_id), so a miss is a 400 on that field. */
export async function requireSource(ctx: ServiceContext, workspaceId: string, sourceId: string, field?: string): Promise<SourceRow> {
  const [row] = await ctx.db
    .select()
    .from(sources)
    .where(and(eq(sources.id, sourceId), eq(sources.workspaceId, workspaceId)))
    .limit(1);
  if (row) return row;
  if (field) throw validationError("source not found", [{ path: field, message: "no source with this id in the workspace" }]);
  throw notFound("source");
}

export function requireSourceType(type: string): SourceType {
  if (!isSourceType(type)) {
    throw validationError(`unknown source_type "${type}"`, [{ path: "source_type", message: `must be one of: ${sourceTypeNames.join(", ")}` }]);
  }
  return type;
}

export function validateSourceConfig(type: SourceType, config: unknown, development: boolean): Obj {
  const parsed = sourceTypes[type].config.safeParse(config ?? {});
  if (!parsed.success) throw validationError(`config is not valid for source type ${type}`, zodDetails(parsed.error.issues, "config"));
  const value = parsed.data as Obj;
  // Unencrypted warehouse connections carry the password in clear; only a local database may need that.
  if (value.sslmode === "disable" && !development) {
    throw new AppError("validation_failed", "sslmode disable is only allowed in development mode", [
      { path: "config.sslmode", message: "use require or verify-full" },
    ]);
  }
  return value;
}

export async function sealSourceConfig(ctx: ServiceContext, workspaceId: string, sourceId: string, type: SourceType, config: Obj) {
  const { plain, secrets } = splitSecrets(config, [...sourceTypes[type].secret_fields]);
  const sealed = Object.keys(secrets).length > 0 ? await sealJson(ctx.settings.SECRETS_KEYRING, secrets, aad(workspaceId, sourceId)) : null;
  return { config: JSON.stringify(plain), configSecrets: sealed };
}

export async function openSourceConfig(ctx: ServiceContext, row: SourceRow): Promise<Obj> {
  const plain = JSON.parse(row.config) as Obj;
  if (!row.configSecrets) return plain;
  const secrets = await openJson<Obj>(ctx.settings.SECRETS_KEYRING, row.configSecrets, aad(row.workspaceId, row.id));
  return mergeSecrets(plain, secrets, [...sourceTypes[requireSourceType(row.sourceType)].secret_fields]);
}
