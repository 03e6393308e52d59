/**
 * The rules a loader must satisfy to be stored (DESIGN §2): known type, config valid for the type, target schema
 * an identifier, selected streams known and supporting their sync mode, schedule a 5-field cron. Every failure is
 * collected into one 400 so a user fixes everything in one round trip.
 */
import type { JsonObject, LoaderTypeSpec, StreamSpec, SyncMode } from "../../../connectors/kit/contract";
import { catalogFor } from "../../../connectors/registry";
import { didYouMean } from "../../lib/close-matches";
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

  const streams = input.selected_streams.map((selected) => ({ name: selected.name, sync_mode: selected.sync_mode ?? input.sync_mode }));
  const catalog = catalogFor(spec, config);
  details.push(...selectionIssues(spec, catalog, streams));
  if (details.length > 0) throw validationError("loader is not valid", details);
  return streams;
}

/**
 * Why a stream cannot be read in `mode`, or null. A stream with neither a primary key nor a cursor read
 * incrementally would append the whole table again on every run (nothing to merge by, nothing to resume from).
 */
export function syncModeProblem(stream: StreamSpec, mode: SyncMode): string | null {
  if (stream.supported_sync_modes.includes(mode)) return null;
  if (mode === "incremental" && stream.primary_key.length === 0 && !stream.cursor_field) {
    return `stream "${stream.name}" has no primary key and no cursor field, so an incremental read would append every row again on each run; select it as full_refresh`;
  }
  if (mode === "incremental" && !stream.cursor_field) return `stream "${stream.name}" has no cursor field, so it supports only full_refresh`;
  return `stream "${stream.name}" supports ${stream.supported_sync_modes.join(", ")}`;
}

/** Duplicates, unknown names (with close matches) and unsupported sync modes, against a catalog when there is one. */
export function selectionIssues(spec: LoaderTypeSpec<JsonObject>, catalog: StreamSpec[] | null, streams: SelectedStream[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  streams.forEach((selected, index) => {
    const path = `selected_streams.${index}`;
    if (seen.has(selected.name)) details.push({ path: `${path}.name`, message: `stream "${selected.name}" is selected twice` });
    seen.add(selected.name);
    if (!catalog) return;
    const stream = catalog.find((s) => s.name === selected.name) ?? spec.unlistedStream?.(selected.name) ?? undefined;
    if (!stream) {
      const names = catalog.map((s) => s.name);
      const hint = didYouMean(selected.name, names);
      details.push({
        path: `${path}.name`,
        message: `unknown stream "${selected.name}" for ${spec.type}${hint}; available: ${names.slice(0, 50).join(", ")}${names.length > 50 ? ", …" : ""}`,
      });
      return;
    }
    const problem = syncModeProblem(stream, selected.sync_mode);
    if (problem) details.push({ path: `${path}.sync_mode`, message: problem });
  });
  return details;
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
