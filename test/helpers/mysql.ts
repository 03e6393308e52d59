/**
 * MySQL/MariaDB as workers tests see it: an administrative connection (MYSQL_URL) that makes a test's source
 * databases and a SELECT-only user to read them, and drops the databases after the file's tests.
 */
import { env } from "cloudflare:workers";
import mysql from "mysql2/promise";
import { afterAll } from "vitest";

/** The user the source reads as: SELECT on the test's databases and nothing else. */
export const READER = { user: "loaders_reader", password: "reader-password-123" };

export interface MysqlAdmin {
  query<T = Record<string, any>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A fresh database, readable by READER, dropped once the file's tests are done. */
  database(prefix: string): Promise<string>;
}

/** For one test file, called at its top level: one connection, opened by the first query and ended after all tests. */
export function mysqlAdmin(): MysqlAdmin {
  let connection: Promise<mysql.Connection> | null = null;
  const databases: string[] = [];
  const query = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => {
    connection ??= mysql.createConnection({ uri: env.MYSQL_URL, disableEval: true });
    const [rows] = await (await connection).query(sql, values);
    return rows as T[];
  };
  afterAll(async () => {
    const open = await connection?.catch(() => null);
    if (!open) return;
    try {
      for (const database of databases) await open.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await open.end();
    }
  });
  return {
    query,
    async database(prefix) {
      const name = `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
      databases.push(name);
      await query(`CREATE DATABASE \`${name}\``);
      // Both host forms: MySQL matches 'localhost' for 127.0.0.1 unless name resolution is off.
      for (const host of ["%", "localhost"]) {
        await query(`CREATE USER IF NOT EXISTS '${READER.user}'@'${host}' IDENTIFIED BY '${READER.password}'`);
        await query(`GRANT SELECT ON \`${name}\`.* TO '${READER.user}'@'${host}'`);
      }
      return name;
    },
  };
}

/** A `mysql` loader config reading `database` as READER, without TLS (development mode). */
export function mysqlSourceConfig(database: string) {
  const url = new URL(env.MYSQL_URL);
  return { host: url.hostname, port: Number(url.port || 3306), database, ...READER, ssl_mode: "disabled" };
}
