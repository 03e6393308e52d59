/**
 * The names a loader's rows will land under, checked when the loader is saved with the very functions the adapters
 * call at write time, so a target_schema or stream the warehouse would refuse (`"_"`, `pg_x` on PostgreSQL, a D1
 * name SQLite reserves) is a 400 on save instead of a failed run.
 */
import { d1TableName } from "./d1";
import { errorMessage, isWarehouseError } from "./errors";
import { schemaName, tableName } from "./naming";
import { postgresSchemaName } from "./postgresql";

export interface TargetNameProblem {
  /** `target_schema`, or `selected_streams.<index>.name`. */
  path: string;
  message: string;
}

type Namer = { schema(targetSchema: string): unknown; table(targetSchema: string, stream: string): unknown };

const NAMERS: Readonly<Record<string, Namer>> = {
  d1: { schema: (schema) => schemaName(schema), table: (schema, stream) => d1TableName(schema, stream) },
  postgresql: { schema: (schema) => postgresSchemaName(schema), table: (_schema, stream) => tableName(stream) },
};

/**
 * Snowflake, BigQuery and Databricks name through the same schemaName/tableName (staged-warehouse.ts), only cased and
 * fitted to their own lengths afterwards, which never refuses a name: the shared rule is theirs too.
 */
const DEFAULT_NAMER: Namer = { schema: (schema) => schemaName(schema), table: (_schema, stream) => tableName(stream) };

export function checkTargetNames(sourceType: string, targetSchema: string, streams: readonly string[]): TargetNameProblem[] {
  const namer = NAMERS[sourceType] ?? DEFAULT_NAMER;
  const problems: TargetNameProblem[] = [];
  const attempt = (path: string, name: () => unknown) => {
    try {
      name();
      return true;
    } catch (error) {
      if (!isWarehouseError(error)) throw error;
      problems.push({ path, message: errorMessage(error) });
      return false;
    }
  };
  if (!attempt("target_schema", () => namer.schema(targetSchema))) return problems;
  streams.forEach((stream, index) => {
    attempt(`selected_streams.${index}.name`, () => namer.table(targetSchema, stream));
  });
  return problems;
}
