import { listLoaderTypes, loaderType } from "../../../connectors/registry";
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
