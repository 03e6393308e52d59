import { and, eq, sql, type SQL } from "drizzle-orm";
import { sources } from "../../db/schema";
import { AppError, notFound, validationError, zodDetails } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { openConfig, sealConfig, type SealedConfig } from "../sealed-config";
import type { WarehouseSpec } from "../../warehouses/contract";
import { isSourceType, sourceTypeNames, sourceTypes, type SourceType } from "./source-types";

export type SourceRow = typeof sources.$inferSelect;
type Obj = Record<string, unknown>;

/** `field` set: the source is referenced from a body (a loader's source_id), so a miss is a 400 on that field. */
export async function requireSource(ctx: ServiceContext, workspaceId: string, sourceId: string, field?: string): Promise<SourceRow> {
  const [row] = await ctx.db
    .select()
    .from(sources)
    .where(and(eq(sources.id, sourceId), eq(sources.workspaceId, workspaceId)))
    .limit(1);
  if (row) return row;
  if (field) throw sourceNotFound(field);
  throw notFound("source");
}

/** As SQL, for writes conditional on the source still existing (a loader pointing at it): one atomic statement. */
export function sourceExistsSql(workspaceId: string, sourceId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${sources} WHERE ${sources.id} = ${sourceId} AND ${sources.workspaceId} = ${workspaceId})`;
}

/** The 400 for a body whose source_id names no source of the workspace (or one deleted while the request ran). */
export function sourceNotFound(field: string) {
  return validationError("source not found", [{ path: field, message: "no source with this id in the workspace" }]);
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
  // The spec's deployment rules (PostgreSQL: sslmode disable only in development), the same the adapter applies.
  const spec: WarehouseSpec = sourceTypes[type];
  const problems = spec.check?.(value, { development }) ?? [];
  if (problems.length > 0) {
    throw new AppError("validation_failed", problems[0]!.message, problems.map((p) => ({ path: `config.${p.path}`, message: p.message })));
  }
  return value;
}

export function sealSourceConfig(ctx: ServiceContext, workspaceId: string, sourceId: string, type: SourceType, config: Obj): Promise<SealedConfig> {
  return sealConfig(ctx.settings.SECRETS_KEYRING, { kind: "source", workspaceId, id: sourceId }, config, sourceTypes[type].secret_fields);
}

export function openSourceConfig(ctx: ServiceContext, row: Pick<SourceRow, "id" | "workspaceId" | "sourceType" | "config" | "configSecrets">): Promise<Obj> {
  const owner = { kind: "source", workspaceId: row.workspaceId, id: row.id } as const;
  return openConfig(ctx.settings.SECRETS_KEYRING, owner, row, sourceTypes[requireSourceType(row.sourceType)].secret_fields);
}
