/**
 * Warehouse failures, classified once here the way the connector kit classifies source failures (DESIGN §3), so the
 * engine can decide: retry the chunk (`retryable`), fail the stream and put the loader in `error` (`configuration`),
 * or fail the stream and keep the loader active (`data`). Messages never carry credentials.
 */
export type WarehouseErrorKind = "retryable" | "configuration" | "data";

export class WarehouseError extends Error {
  override readonly name: string = "WarehouseError";
  constructor(
    readonly kind: WarehouseErrorKind,
    message: string,
    readonly details: { sqlstate?: string } = {},
  ) {
    super(message);
  }
}

/** A source type the API knows (or does not know) but for which no adapter exists in this build. */
export class WarehouseNotSupportedError extends WarehouseError {
  override readonly name = "WarehouseNotSupportedError";
  constructor(
    readonly source_type: string,
    planned: boolean,
  ) {
    super(
      "configuration",
      planned
        ? `The ${source_type} warehouse adapter is not built yet; use a d1 or postgresql source`
        : `Unknown warehouse type "${source_type}"`,
    );
  }
}

export function isWarehouseError(error: unknown): error is WarehouseError {
  return error instanceof WarehouseError;
}

/** Replaces every occurrence of each secret, so a driver message that echoes a connection detail cannot leak it. */
export function redact(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const secret of secrets) if (secret) out = out.split(secret).join("***");
  return out;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
