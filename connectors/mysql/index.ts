/**
 * `mysql` (MySQL and MariaDB) as a source: the config of spec.ts, streams discovered from information_schema
 * (discover.ts), read by the kit's keyset pages (kit/sql-source.ts) over one read-only session at a time
 * (connection.ts). The database itself is checked at login (error 1049).
 */
import { sqlSourceConnector } from "../kit/sql-source";
import { mysqlDialect, openSession } from "./connection";
import { discoverTables, estimateRows } from "./discover";
import { type MysqlConfig, mysqlSpec } from "./spec";

export const mysqlConnector = sqlSourceConnector<MysqlConfig>({
  spec: mysqlSpec,
  open: openSession,
  dialect: mysqlDialect,
  discover: discoverTables,
  estimateRows,
});
