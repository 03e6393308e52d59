/** Reading loader rows, and their configs through the one sealed-config module. */
import { and, eq } from "drizzle-orm";
import type { JsonObject } from "../../../connectors/kit/contract";
import { loaderType } from "../../../connectors/registry";
import { loaders } from "../../db/schema";
import { notFound } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { openConfig, sealConfig, type SealedConfig } from "../sealed-config";
import type { SelectedStream } from "./validate-loader";

export type LoaderRow = typeof loaders.$inferSelect;

export async function getLoaderRow(ctx: ServiceContext, workspaceId: string, loaderId: string): Promise<LoaderRow> {
  const [row] = await ctx.db
    .select()
    .from(loaders)
    .where(and(eq(loaders.id, loaderId), eq(loaders.workspaceId, workspaceId)))
    .limit(1);
  if (!row) throw notFound("loader");
  return row;
}

export function secretPathsOf(loaderTypeName: string): string[] {
  return loaderType(loaderTypeName)?.secret_fields ?? [];
}

export function sealLoaderConfig(ctx: ServiceContext, workspaceId: string, loaderId: string, type: string, config: JsonObject): Promise<SealedConfig> {
  return sealConfig(ctx.settings.SECRETS_KEYRING, { kind: "loader", workspaceId, id: loaderId }, config, secretPathsOf(type));
}

/** The full config, secrets included: for validation on update and for the engine. Never for a response. */
export async function openLoaderConfig(
  ctx: ServiceContext,
  row: Pick<LoaderRow, "id" | "workspaceId" | "loaderType" | "config" | "configSecrets">,
): Promise<JsonObject> {
  const owner = { kind: "loader", workspaceId: row.workspaceId, id: row.id } as const;
  return (await openConfig(ctx.settings.SECRETS_KEYRING, owner, row, secretPathsOf(row.loaderType))) as JsonObject;
}

export function selectedStreamsOf(row: LoaderRow): SelectedStream[] {
  return JSON.parse(row.selectedStreams) as SelectedStream[];
}
