/**
 * The rules a loader must satisfy to be stored (DESIGN §2): known type, config valid for the type, target schema
 * an identifier, selected streams known and supporting their sync mode, schedule a 5-field cron. Every failure is
 * collected into one 400 so a user fixes everything in one round trip.
 */
import type { JsonObject, LoaderTypeSpec, SyncMode } from "../../../connectors/kit/contract";
import { catalogFor } from "../../../connectors/registry";
import { hasValue } from "../../lib/config-paths";
import { type ErrorDetail, validationError, zodDetails } from "../../lib/errors";
import { scheduleError } from "../../scheduler/cron";

import { checkTargetNames } from "../../warehouses/target-names";
export interface SelectedStream {
  name: string;
  sync_mode: SyncMode;
}

export const TARGET_SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function validateConfig(spec: LoaderTypeSpec<JsonObject>, config: unknown): JsonObject {
  const parsed = spec.config.safeParse(config);
  if (!parsed.success) throw validationError(`config is not valid for loader type ${spec.type}`, zodDetails(parsed.error.issues, "config"));
  return parsed.data;
}

export function validateLoaderShape(
  spec: LoaderTypeSpec<JsonObject>,
  config: JsonObject,
  input: { target_schema: string; selected_streams: Array<{ name: string; sync_mode?: SyncMode }>; sync_mode: SyncMode; schedule: string | null },
): SelectedStream[] {
  const details: ErrorDetail[] = [];
  if (!TARGET_SCHEMA_PATTERN.test(input.target_schema)) {
    details.push({
      path: "target_schema",
      message: "must be an identifier: a letter or underscore, then letters, digits or underscores (at most 63)",
    });
  }
  if (input.schedule !== null) {
    const error = scheduleError(input.schedule);
    if (error) details.push({ path: "schedule", message: error });
  }

  const catalog = catalogFor(spec, config);
  const seen = new Set<string>();
  const streams = input.selected_streams.map((selected, index) => {
    const resolved: SelectedStream = { name: selected.name, sync_mode: selected.sync_mode ?? input.sync_mode };
    const path = `selected_streams.${index}`;
    if (seen.has(selected.name)) details.push({ path: `${path}.name`, message: `stream "${selected.name}" is selected twice` });
    seen.add(selected.name);
    if (catalog) {
      const stream = catalog.find((s) => s.name === selected.name) ?? spec.unlistedStream?.(selected.name) ?? undefined;
      if (!stream) {
        details.push({
          path: `${path}.name`,
          message: `unknown stream "${selected.name}" for ${spec.type}; available: ${catalog.map((s) => s.name).join(", ")}`,
        });
      } else if (!stream.supported_sync_modes.includes(resolved.sync_mode)) {
        details.push({
          path: `${path}.sync_mode`,
          message:
            resolved.sync_mode === "incremental" && !stream.cursor_field
              ? `stream "${stream.name}" has no cursor field, so it supports only full_refresh`
              : `stream "${stream.name}" supports ${stream.supported_sync_modes.join(", ")}`,
        });
      }
    }
    return resolved;
  });
  if (details.length > 0) throw validationError("loader is not valid", details);
  return streams;
}

/** The credential paths still missing, or [] when at least one credential set is complete. */
export function missingCredentials(spec: LoaderTypeSpec<JsonObject>, config: JsonObject): string[] {
  const declared = spec.credentialSetsFor?.(config) ?? spec.credential_sets;
  const sets = declared.length > 0 ? declared : [[]];
  let best: string[] | null = null;
  for (const set of sets) {
    const missing = set.filter((path) => !hasValue(config, path));
    if (missing.length === 0) return [];
    if (!best || missing.length < best.length) best = missing;
  }
  return best ?? [];
}

export function draftReason(missing: string[]): string {
  return `config is missing credentials: ${missing.join(", ")}`;
}

/**
 * The target schema and stream-derived table names, checked with the naming code the warehouse writes with
 * (src/warehouses/target-names.ts): a name it would refuse (`"_"`, `pg_…` on PostgreSQL) is a 400 now, not a failed run.
 */
export function validateTargetForSource(sourceType: string, targetSchema: string, streams: readonly string[] = []): void {
  const problems = checkTargetNames(sourceType, targetSchema, streams);
  if (problems.length > 0) throw validationError("loader is not valid", problems);
}
