/**
 * Types whose streams exist only in the source (postgresql and mysql tables, an S3 bucket's files, a sheet's tabs)
 * have no catalog to validate `selected_streams` against; when the config holds its credentials, saving a loader asks
 * the source itself (the connector's `discover`), so a misspelt table or a keyless table selected as incremental is
 * a 400 at save time rather than a failed (or, worse, duplicating) run.
 */
import type { JsonObject, LoaderTypeSpec, StreamSpec } from "../../../connectors/kit/contract";
import { isConnectorError } from "../../../connectors/kit/errors";
import { catalogFor, connectorFor } from "../../../connectors/registry";
import { validationError } from "../../lib/errors";
import { log } from "../../lib/log";
import type { ServiceContext } from "../context";
import { oneOffConnectorContext } from "./connector-context";
import { selectionIssues, type SelectedStream } from "./validate-loader";

/** The streams this config can read right now: the catalog when the type has one, else the source's discovery. */
export async function discoverStreams(ctx: ServiceContext, spec: LoaderTypeSpec<JsonObject>, config: JsonObject): Promise<StreamSpec[] | null> {
  const listed = catalogFor(spec, config);
  if (listed) return listed;
  const connector = connectorFor(spec.type);
  if (!connector?.discover) return null;
  return connector.discover(oneOffConnectorContext(ctx), config);
}

/**
 * Validates the selection against live discovery. A source that refuses the config (bad credentials, missing
 * database) is a 400 saying so; one that cannot be reached right now is not held against the save — the run
 * checks again when it starts (and fails the stream with the same message).
 */
export async function validateDiscoveredStreams(ctx: ServiceContext, spec: LoaderTypeSpec<JsonObject>, config: JsonObject, streams: SelectedStream[]): Promise<void> {
  if (catalogFor(spec, config) || !connectorFor(spec.type)?.discover) return;
  let discovered: StreamSpec[] | null;
  try {
    discovered = await discoverStreams(ctx, spec, config);
  } catch (error) {
    if (isConnectorError(error) && error.kind === "configuration") {
      throw validationError("the source refused this config while its streams were checked", [{ path: "config", message: error.message }]);
    }
    log("warn", "stream discovery at save time failed; the run will check again", { loader_type: spec.type, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  const details = selectionIssues(spec, discovered, streams);
  if (details.length > 0) throw validationError("loader is not valid", details);
}
