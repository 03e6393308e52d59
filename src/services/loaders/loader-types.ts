import { connectorFor, listLoaderTypes, loaderType } from "../../../connectors/registry";
import { validationError } from "../../lib/errors";

export function requireLoaderType(type: string) {
  const spec = loaderType(type);
  if (!spec) {
    throw validationError(`unknown loader_type "${type}"`, [
      { path: "loader_type", message: `must be one of: ${listLoaderTypes().map((t) => t.type).join(", ")}` },
    ]);
  }
  return spec;
}

/** Types whose reader is built: the only ones a loader can be active with (issue 15). */
export function readerAvailable(type: string): boolean {
  return connectorFor(type) !== undefined;
}

/**
 * An active loader is one the scheduler runs: of a type without a reader, every run would fail. Such a loader can be
 * saved as a draft (its config is kept) and activated once a version of Loaders with its reader is deployed.
 */
export function requireReader(type: string): void {
  if (readerAvailable(type)) return;
  const available = listLoaderTypes().filter((t) => readerAvailable(t.type)).map((t) => t.type);
  throw validationError(`the ${type} reader is not available in this version of Loaders`, [
    { path: "loader_type", message: `a ${type} loader cannot be active until its reader is built (it can be saved as a draft, without credentials); types with a reader: ${available.join(", ")}` },
  ]);
}
