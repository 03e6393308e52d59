/**
 * Warehouse failures, classified once here the way the connector kit classifies source failures (DESIGN §3), so the
 * engine can decide: retry the chunk (`retryable`), fail the stream and put the loader in `error` (`configuration`),
 * or fail the stream and keep the loader active (`data`). Messages never carry credentials.
 */
import { isConnectorError } from "../../connectors/kit/errors";
import { redact } from "../../connectors/kit/http-errors";

export type WarehouseErrorKind = "retryable" | "configuration" | "data";

export interface WarehouseErrorDetails {
  /** PostgreSQL's five-character code; also Snowflake's and Databricks' SQLSTATE where their answers carry one. */
  sqlstate?: string;
  /** HTTP status of a REST warehouse's answer. */
  status?: number;
  /** The wait the warehouse asked for (Retry-After); the engine's retry delay honours it. */
  retryAfterSeconds?: number;
}

export class WarehouseError extends Error {
  override readonly name: string = "WarehouseError";
  constructor(
    readonly kind: WarehouseErrorKind,
    message: string,
    readonly details: WarehouseErrorDetails = {},
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

/** The kit's one redaction: a driver message that echoes a connection detail cannot leak it. */
export { redact };

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The hook REST warehouses classify through (Snowflake, BigQuery, Databricks): the kit's http client has already
 * classified the transport (429/5xx/network retryable, 401/403/404 configuration, HTTP_DATE Retry-After); a
 * warehouse-specific rule sees the failure first (a SQLSTATE or error code in the body) and may answer a kind.
 * Whatever it was, it leaves as a WarehouseError whose message names the warehouse and carries no secret.
 */
export interface WarehouseErrorSource {
  /** "Snowflake", "BigQuery", "Databricks": the message's prefix. */
  warehouse: string;
  secrets?: Array<string | undefined>;
  /** A warehouse-specific rule, asked first; undefined falls back to the transport's classification. */
  classify?: (error: unknown) => { kind: WarehouseErrorKind; message?: string; details?: WarehouseErrorDetails } | undefined;
}

export function warehouseErrorFrom(error: unknown, source: WarehouseErrorSource): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const said = redact(errorMessage(error), source.secrets ?? []);
  const specific = source.classify?.(error);
  if (specific) {
    return new WarehouseError(specific.kind, `${source.warehouse}: ${redact(specific.message ?? said, source.secrets ?? [])}`, specific.details ?? {});
  }
  if (isConnectorError(error)) {
    const { status, retryAfterSeconds } = error.details;
    return new WarehouseError(error.kind, `${source.warehouse}: ${said}`, {
      ...(status === undefined ? {} : { status }),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  // An exception from neither the transport nor the warehouse (a dropped socket, a runtime hiccup): try again.
  return new WarehouseError("retryable", `${source.warehouse}: ${said}`);
}
