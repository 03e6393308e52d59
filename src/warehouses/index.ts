/**
 * The warehouse a source names, as an adapter (DESIGN §4). `d1` is the Worker's own WAREHOUSE database;
 * `postgresql` connects over TCP. Snowflake, BigQuery and Databricks are API types without an adapter in this build.
 */
import type { WarehouseAdapter, WarehouseDeps } from "./contract";
import { D1Warehouse, d1TableName } from "./d1";
import { WarehouseNotSupportedError } from "./errors";
import { tableName } from "./naming";
import { PostgresWarehouse, parsePostgresConfig, postgresSchemaName } from "./postgresql";
import { createSnowflakeWarehouse } from "./snowflake/snowflake";
import { createBigQueryWarehouse } from "./bigquery/bigquery";
import { createDatabricksWarehouse } from "./databricks/databricks";
import { type TransferUsage, createHttpClient } from "../../connectors/kit/http";
import type { StatementObserver } from "./sql";

export type { ChunkCommit, CommitScope, ConnectionTestStep, StreamTarget, WarehouseAdapter, WarehouseDeps, WarehouseSpec, WriteBatch } from "./contract";
export { batchIdFor, chunkIdFor } from "./contract";
export { WarehouseError, WarehouseNotSupportedError, isWarehouseError, warehouseErrorFrom, type WarehouseErrorKind } from "./errors";
export { type WarehouseType, parseWarehouseConfig, warehouseSpecs } from "./specs";
export { type TargetNameProblem, checkTargetNames } from "./target-names";

export interface WarehouseSource {
  source_type: string;
  config: Record<string, unknown>;
}

const PLANNED = new Set<string>();

/**
 * The deps a call site passes: REST warehouses (Snowflake, BigQuery, Databricks) reach their APIs through the kit's
 * http client, with HOST_OVERRIDES applied in development as for every connector.
 */
export function warehouseDeps(options: {
  warehouseDb: D1Database;
  development: boolean;
  hostOverrides?: Record<string, string>;
  signal?: AbortSignal;
  /** The engine's usage counters: statements sent, and the REST warehouses' requests and bytes. */
  onStatement?: StatementObserver;
  transfer?: TransferUsage;
}): WarehouseDeps {
  const http = createHttpClient({
    development: options.development,
    hostOverrides: options.hostOverrides ?? {},
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.transfer ? { transfer: options.transfer } : {}),
  });
  return {
    warehouseDb: options.warehouseDb,
    development: options.development,
    http,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStatement ? { onStatement: options.onStatement } : {}),
  };
}

/** Throws WarehouseError (`configuration`) for a bad config, WarehouseNotSupportedError for a type without adapter. */
export function createWarehouse(source: WarehouseSource, deps: WarehouseDeps): WarehouseAdapter {
  switch (source.source_type) {
    case "d1":
      return new D1Warehouse(deps.warehouseDb, deps.onStatement ? { onStatement: deps.onStatement } : {});
    case "postgresql":
      return new PostgresWarehouse(parsePostgresConfig(source.config, deps.development), {
        development: deps.development,
        ...(deps.onStatement ? { onStatement: deps.onStatement } : {}),
      });
    case "snowflake":
      return createSnowflakeWarehouse(source.config, deps);
    case "bigquery":
      return createBigQueryWarehouse(source.config, deps);
    case "databricks":
      return createDatabricksWarehouse(source.config, deps);
    default:
      throw new WarehouseNotSupportedError(source.source_type, PLANNED.has(source.source_type));
  }
}

/**
 * Where a stream's rows land, spelled as a user queries it: `salesforce_raw.contact` on PostgreSQL,
 * `salesforce_raw__contact` on D1 (no schemas). For the README, the API's run details and tests.
 */
export function loadedTableName(sourceType: string, targetSchema: string, stream: string): string {
  return sourceType === "d1" ? d1TableName(targetSchema, stream) : `${postgresSchemaName(targetSchema)}.${tableName(stream)}`;
}
