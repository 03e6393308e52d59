/** Every warehouse type's config spec, by type name: the one table the sources API and createWarehouse read. */
import type { WarehouseSpec } from "./contract";
import { bigquerySpec } from "./bigquery/spec";
import { d1Spec } from "./d1/spec";
import { databricksSpec } from "./databricks/spec";
import { postgresqlSpec } from "./postgresql/spec";
import { snowflakeSpec } from "./snowflake/spec";
import { WarehouseError } from "./errors";

export const warehouseSpecs = {
  d1: d1Spec,
  postgresql: postgresqlSpec,
  snowflake: snowflakeSpec,
  bigquery: bigquerySpec,
  databricks: databricksSpec,
} as const satisfies Record<string, WarehouseSpec>;

export type WarehouseType = keyof typeof warehouseSpecs;

/**
 * The stored config parsed with its spec, for an adapter: the API validated it on save, so a failure here means a
 * config that changed under us (an older version's row) and is a configuration error naming the field.
 */
export function parseWarehouseConfig<C>(spec: WarehouseSpec<C>, config: unknown, development: boolean): C {
  const parsed = spec.config.safeParse(config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `"${issue.path.join(".")}"` : "config";
    throw new WarehouseError("configuration", `${spec.type} config: ${path} ${issue?.message ?? "is not valid"}`);
  }
  const problem = spec.check?.(parsed.data, { development })[0];
  if (problem) throw new WarehouseError("configuration", `${spec.type} config: ${problem.message}`);
  return parsed.data;
}
