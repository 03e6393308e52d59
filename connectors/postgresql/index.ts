/**
 * `postgresql` as a source: the config of spec.ts, streams discovered from the database's catalog (discover.ts),
 * read by the kit's keyset pages (kit/sql-source.ts) over one read-only session at a time (connection.ts).
 */
import { ConnectorError } from "../kit/errors";
import { sqlSourceConnector } from "../kit/sql-source";
import { openSession, postgresDialect } from "./connection";
import { discoverTables, estimateRows } from "./discover";
import { type PostgresqlConfig, postgresqlSpec } from "./spec";

export const postgresqlConnector = sqlSourceConnector<PostgresqlConfig>({
  spec: postgresqlSpec,
  open: openSession,
  dialect: postgresDialect,
  discover: discoverTables,
  estimateRows,
  // A schema name with a typo would otherwise show as an empty catalog.
  async verify(session, config) {
    const found = await session.query<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1::text[])", [config.schemas]);
    const missing = config.schemas.filter((schema) => !found.some((row) => row.name === schema));
    if (missing.length > 0) throw new ConnectorError("configuration", `PostgreSQL: no schema named ${missing.map((s) => `"${s}"`).join(", ")} in database "${config.database}"`);
  },
});
