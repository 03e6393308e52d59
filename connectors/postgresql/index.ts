/**
 * `postgresql` as a source: the config of spec.ts, streams discovered from the database's catalog (discover.ts),
 * read by the kit's keyset pages (kit/sql-source.ts) over one read-only session per read (connection.ts).
 */
import type { Connector } from "../kit/contract";
import { ConnectorError } from "../kit/errors";
import { type SourceSession, readKeyset } from "../kit/sql-source";
import { openSession, postgresDialect } from "./connection";
import { discoverTables } from "./discover";
import { type PostgresqlConfig, postgresqlSpec } from "./spec";

async function withSession<T>(config: PostgresqlConfig, development: boolean, use: (session: SourceSession) => Promise<T>): Promise<T> {
  const session = await openSession(config, development);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

export const postgresqlConnector = {
  ...postgresqlSpec,

  /** Logs in read-only and finds every configured schema, so a typo fails here rather than as an empty catalog. */
  async check(ctx, config) {
    await withSession(config, ctx.development === true, async (session) => {
      const found = await session.query<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1::text[])", [config.schemas]);
      const missing = config.schemas.filter((schema) => !found.some((row) => row.name === schema));
      if (missing.length > 0) throw new ConnectorError("configuration", `PostgreSQL: no schema named ${missing.map((s) => `"${s}"`).join(", ")} in database "${config.database}"`);
    });
  },

  async discover(ctx, config) {
    return withSession(config, ctx.development === true, (session) => discoverTables(session, config));
  },

  async *read(ctx, config, request) {
    const session = await openSession(config, ctx.development === true);
    try {
      yield* readKeyset(session, postgresDialect, request, ctx.signal);
    } finally {
      await session.close();
    }
  },
} satisfies Connector<PostgresqlConfig>;
