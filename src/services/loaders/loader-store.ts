/** Reading and sealing loader rows: the only place that knows a loader's config is split into plain + sealed. */
import { and, eq } from "drizzle-orm";
import type { JsonObject } from "../../../connectors/kit/contract";
import { loaderType } from "../../../connectors/registry";
import { loaders } from "../../db/schema";
import { mergeSecrets, splitSecrets } from "../../lib/config-paths";
import { notFound } from "../../lib/errors";
import { openJson, sealJson } from "../../lib/secrets";
import type { ServiceContext } from "../context";
import type { SelectedStream } from "./validate-loader";

export type LoaderRow = typeof loaders.$inferSelect;

const aad = (workspaceId: string, loaderId: string) => `loader:${workspaceId}:${loaderId}`;

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

export async function sealLoaderConfig(ctx: ServiceContext, workspaceId: string, loaderId: string, type: string, config: JsonObject) {
  const { plain, secrets } = splitSecrets(config, secretPathsOf(type));
  const sealed = Object.keys(secrets).length > 0 ? await sealJson(ctx.settings.SECRETS_KEYRING, secrets, aad(workspaceId, loaderId)) : null;
  return { config: JSON.stringify(plain), configSecrets: sealed };
}

/** The full config, secrets included: for validation on update and for the engine. Never for a response. */
export async function openLoaderConfig(ctx: ServiceContext, row: LoaderRow): Promise<JsonObject> {
  const plain = JSON.parse(row.config) as JsonObject;
  if (!row.configSecrets) return plain;
  const secrets = await openJson<JsonObject>(ctx.settings.SECRETS_KEYRING, row.configSecrets, aad(row.workspaceId, row.id));
  return mergeSecrets(plain, secrets, secretPathsOf(row.loaderType)) as JsonObject;
}

export function selectedStreamsOf(row: LoaderRow): SelectedStream[] {
  return JSON.parse(row.selectedStreams) as SelectedStream[];
}
