/**
 * Seeing what a loader will read before it runs (issue 15): check (network, authentication, permissions, a first
 * read), discover (the streams the config can read right now) and preview (the first page of one stream and the
 * columns it would become). All three work on an unsaved config or a saved loader, call the connector directly with
 * a one-off context, and write nothing: no row, no table, no state.
 */
import type { Connector, JsonObject, LoaderTypeSpec, Page, StreamSpec, SyncMode } from "../../../connectors/kit/contract";
import { isConnectorError } from "../../../connectors/kit/errors";
import { connectorFor } from "../../../connectors/registry";
import { AppError, notFound, validationError } from "../../lib/errors";
import { planLoad } from "../../warehouses/load-plan";
import { requireRole, type ServiceContext } from "../context";
import { oneOffConnectorContext } from "./connector-context";
import { discoverStreams } from "./discovered-streams";
import { getLoaderRow, openLoaderConfig, selectedStreamsOf } from "./loader-store";
import { requireLoaderType, requireReader } from "./loader-types";
import { draftReason, missingCredentials, syncModeProblem, validateConfig } from "./validate-loader";
import { didYouMean } from "../../lib/close-matches";

export interface CheckStep {
  step: "network" | "authentication" | "permissions" | "first_read";
  status: "success" | "failed" | "skipped";
  message: string;
}

export interface CheckResult {
  success: boolean;
  message: string;
}

export interface UnsavedLoader {
  loader_type: string;
  config: Record<string, unknown>;
  selected_streams?: Array<{ name: string; sync_mode?: SyncMode }>;
}

interface Prepared {
  spec: LoaderTypeSpec<JsonObject>;
  connector: Connector<JsonObject>;
  config: JsonObject;
  selected: Array<{ name: string; sync_mode?: SyncMode }>;
}

/** A complete config of a type with a reader: 400s here, before any event is streamed. */
function prepare(type: string, rawConfig: unknown, selected: Prepared["selected"]): Prepared {
  const spec = requireLoaderType(type);
  requireReader(spec.type);
  const config = validateConfig(spec, rawConfig);
  const missing = missingCredentials(spec, config);
  if (missing.length > 0) throw validationError(draftReason(missing), missing.map((path) => ({ path: `config.${path}`, message: "required to connect" })));
  return { spec, connector: connectorFor(spec.type)!, config, selected };
}

async function preparedSaved(ctx: ServiceContext, workspaceId: string, loaderId: string): Promise<Prepared> {
  const row = await getLoaderRow(ctx, workspaceId, loaderId);
  return prepare(row.loaderType, await openLoaderConfig(ctx, row), selectedStreamsOf(row));
}

const fail = (step: CheckStep["step"], message: string): CheckStep => ({ step, status: "failed", message });
const skip = (step: CheckStep["step"]): CheckStep => ({ step, status: "skipped", message: "skipped after an earlier failure" });

/**
 * The steps: the connector's cheap authenticated call decides network (unreachable, timeouts, 5xx are `retryable`)
 * and authentication (anything it refuses is `configuration`); permissions = every selected stream is there and can
 * be read in its mode; first_read = one page of the first selected stream (or the first stream there is).
 */
async function* runCheck(ctx: ServiceContext, p: Prepared): AsyncGenerator<CheckStep, CheckResult> {
  const connectorCtx = oneOffConnectorContext(ctx);
  const steps: CheckStep["step"][] = ["network", "authentication", "permissions", "first_read"];
  const finish = function* (from: number, failed: CheckStep): Generator<CheckStep, CheckResult> {
    for (const step of steps.slice(from)) yield skip(step);
    return { success: false, message: `${failed.step} failed: ${failed.message}` };
  };
  try {
    await p.connector.check(connectorCtx, p.config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isConnectorError(error) && error.kind === "configuration") {
      yield { step: "network", status: "success", message: "the source answered" };
      const failed = fail("authentication", message);
      yield failed;
      return yield* finish(2, failed);
    }
    const failed = fail("network", message);
    yield failed;
    return yield* finish(1, failed);
  }
  yield { step: "network", status: "success", message: "the source answered" };
  yield { step: "authentication", status: "success", message: "the credentials were accepted" };

  let streams: StreamSpec[] = [];
  try {
    streams = (await discoverStreams(ctx, p.spec, p.config)) ?? [];
  } catch (error) {
    const failed = fail("permissions", error instanceof Error ? error.message : String(error));
    yield failed;
    return yield* finish(3, failed);
  }
  const problems: string[] = [];
  for (const selected of p.selected) {
    const stream = streams.find((s) => s.name === selected.name) ?? p.spec.unlistedStream?.(selected.name);
    if (!stream) problems.push(`stream "${selected.name}" is not readable with this config${didYouMean(selected.name, streams.map((s) => s.name))}`);
    else if (selected.sync_mode) {
      const problem = syncModeProblem(stream, selected.sync_mode);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) {
    const failed = fail("permissions", problems.join("; "));
    yield failed;
    return yield* finish(3, failed);
  }
  yield { step: "permissions", status: "success", message: `${streams.length} stream(s) readable${p.selected.length ? `, the ${p.selected.length} selected among them` : ""}` };

  const first = streams.find((s) => s.name === p.selected[0]?.name) ?? (p.selected[0] ? p.spec.unlistedStream?.(p.selected[0].name) : undefined) ?? streams[0];
  if (!first) {
    yield { step: "first_read", status: "skipped", message: "the config has no stream to read" };
    return { success: true, message: "connection succeeded; no stream to read" };
  }
  try {
    const page = await firstPage(p, connectorCtx, first);
    yield { step: "first_read", status: "success", message: `read ${page?.records.length ?? 0} record(s) from "${first.name}"` };
  } catch (error) {
    const failed = fail("first_read", error instanceof Error ? error.message : String(error));
    yield failed;
    return { success: false, message: `${failed.step} failed: ${failed.message}` };
  }
  return { success: true, message: "connection succeeded" };
}

async function firstPage(p: Prepared, connectorCtx: ReturnType<typeof oneOffConnectorContext>, stream: StreamSpec): Promise<Page | undefined> {
  const pages = p.connector.read(connectorCtx, p.config, { stream, sync_mode: "full_refresh", state: null, checkpoint: null })[Symbol.asyncIterator]();
  try {
    const next = await pages.next();
    return next.done ? undefined : next.value;
  } finally {
    await pages.return?.().catch(() => undefined);
  }
}

/** POST …/loaders/check: an unsaved config (400 for a config that is not valid or not complete). */
export function checkNewLoader(ctx: ServiceContext, input: UnsavedLoader) {
  requireRole(ctx, "admin");
  return runCheck(ctx, prepare(input.loader_type, input.config, input.selected_streams ?? []));
}

/** POST …/loaders/{id}/check: the saved loader's config and selection. */
export async function checkSavedLoader(ctx: ServiceContext, workspaceId: string, loaderId: string) {
  requireRole(ctx, "admin");
  return runCheck(ctx, await preparedSaved(ctx, workspaceId, loaderId));
}

export interface DiscoveredStream {
  name: string;
  primary_key: string[];
  cursor_field: string | null;
  supported_sync_modes: SyncMode[];
  columns: Array<{ name: string; type: string | string[] }>;
  selected?: { sync_mode: SyncMode } | null;
}

function describeStream(stream: StreamSpec): DiscoveredStream {
  return {
    name: stream.name,
    primary_key: stream.primary_key,
    cursor_field: stream.cursor_field,
    supported_sync_modes: stream.supported_sync_modes,
    columns: Object.entries(stream.json_schema?.properties ?? {}).map(([name, property]) => ({ name, type: property.type })),
  };
}

async function discoverFor(ctx: ServiceContext, p: Prepared): Promise<StreamSpec[]> {
  try {
    return (await discoverStreams(ctx, p.spec, p.config)) ?? [];
  } catch (error) {
    if (isConnectorError(error) && error.kind === "configuration") throw validationError("the source refused this config", [{ path: "config", message: error.message }]);
    if (isConnectorError(error)) throw new AppError("source_unavailable", `the source could not be reached: ${error.message}`);
    throw error;
  }
}

/** POST …/loaders/discover. */
export async function discoverNewLoader(ctx: ServiceContext, input: UnsavedLoader): Promise<DiscoveredStream[]> {
  requireRole(ctx, "admin");
  return (await discoverFor(ctx, prepare(input.loader_type, input.config, []))).map(describeStream);
}

/** GET …/loaders/{id}/streams: what the saved config can read, and which of it is selected in which mode. */
export async function discoverSavedLoader(ctx: ServiceContext, workspaceId: string, loaderId: string): Promise<DiscoveredStream[]> {
  const p = await preparedSaved(ctx, workspaceId, loaderId);
  const selected = new Map(p.selected.map((s) => [s.name, s.sync_mode as SyncMode]));
  return (await discoverFor(ctx, p)).map((stream) => ({ ...describeStream(stream), selected: selected.has(stream.name) ? { sync_mode: selected.get(stream.name)! } : null }));
}

export const PREVIEW_MAX_RECORDS = 100;

/** Records as JSON can carry them: exact big integers become strings, as the warehouse stores them as text. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

/** POST …/loaders/preview: the first page of one stream, and the table it would become; nothing is written. */
export async function previewLoader(ctx: ServiceContext, input: UnsavedLoader & { stream: string }) {
  requireRole(ctx, "admin");
  const p = prepare(input.loader_type, input.config, []);
  const streams = await discoverFor(ctx, p);
  const stream = streams.find((s) => s.name === input.stream) ?? p.spec.unlistedStream?.(input.stream);
  if (!stream) throw notFound(`stream "${input.stream}"${didYouMean(input.stream, streams.map((s) => s.name))}`);
  let page: Page | undefined;
  try {
    page = await firstPage(p, oneOffConnectorContext(ctx), stream);
  } catch (error) {
    if (isConnectorError(error) && error.kind === "configuration") throw validationError("the source refused this read", [{ path: "config", message: error.message }]);
    if (isConnectorError(error)) throw new AppError("source_unavailable", `the source could not be read: ${error.message}`);
    throw error;
  }
  const records = (page?.records ?? []).slice(0, PREVIEW_MAX_RECORDS);
  const plan = planLoad(
    { schema: "preview", stream: stream.name, sync_mode: "full_refresh", primary_key: stream.primary_key, cursor_field: stream.cursor_field, json_schema: stream.json_schema, run_id: "preview" },
    records,
    null,
  );
  return {
    stream: describeStream(stream),
    records: records.map(jsonSafe) as Record<string, unknown>[],
    columns: plan.shape.map((column) => ({ name: column.name, type: column.type })),
  };
}
