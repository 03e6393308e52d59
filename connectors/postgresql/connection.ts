/**
 * One read-only session on the source database (research/connectors-data.md §6): `pg` over workerd's TCP socket,
 * values decoded so that nothing loses precision on its way to the warehouse, failures mapped to the kit's kinds.
 */
import { Client, type ClientConfig, types } from "pg";
import { ConnectorError } from "../kit/errors";
import { redact } from "../kit/http-errors";
import { SQLSTATE_HINTS, postgresClientConfig, postgresFailureKind, sqlstate } from "../kit/postgres";
import { SAFETY_WINDOW_MINUTES, type SourceSession, type SqlDialect, isoTimestamp } from "../kit/sql-source";
import type { CopyCellKind } from "../kit/contract";
import { type CopyFieldType, type Parser, copyPage } from "./copy";
import type { PostgresqlConfig } from "./spec";

/** Hyperdrive cuts statements at 60 s (research §6); a page is sized to take far less, this bounds a stuck one. */
const STATEMENT_TIMEOUT_MS = 55_000;

/** Type OIDs (pg_type.oid, stable across PostgreSQL versions) whose default `pg` decoding would lose something. */
const OID = { bytea: 17, int8: 20, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

/** bytea in hex output (`\x0102…`, the default since 9.0) as base64, the form JSON and warehouses carry. */
function byteaBase64(text: string): string {
  const hex = text.startsWith("\\x") ? text.slice(2) : text;
  let binary = "";
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
}

const parsers: Record<number, (text: string) => unknown> = {
  // int8 beyond 2^53 would round as a number; BigInt keeps it (the warehouse widens to big_integer when needed).
  [OID.int8]: (text) => BigInt(text),
  // `pg` makes a local-midnight Date of a date; the calendar day is what the column means.
  [OID.date]: (text) => text,
  // TimeZone=UTC and DateStyle=ISO: `2024-05-01 10:00:00.123456+00` (timestamptz), without the offset (timestamp).
  [OID.timestamp]: isoTimestamp,
  [OID.timestamptz]: isoTimestamp,
  [OID.bytea]: byteaBase64,
};

const typeParsers = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    parsers[oid] ?? types.getTypeParser(oid, format ?? "text")) as typeof types.getTypeParser,
};

/** pg's parser of a type it has none for (text, varchar, numeric, …): the text itself. */
const noParse = types.getTypeParser(0 as never, "text");

/** Types whose COPY text is a literal of a known form (kit/contract.ts CopyCellKind); a date's value is its text. */
const KINDS: Record<number, CopyCellKind> = {
  21: "integer",
  23: "integer",
  [OID.int8]: "integer",
  16: "boolean",
  [OID.date]: "text",
  [OID.timestamp]: "timestamp",
  [OID.timestamptz]: "timestamp",
  3802: "jsonb",
};

/** What a page read runs a field of type `oid` through (none where the text is the value, as pg gives it). */
function fieldTypeOf(oid: number): CopyFieldType {
  const parse = typeParsers.getTypeParser(oid, "text") as Parser;
  if (parse === noParse) return { parse: undefined, kind: "text" };
  return { parse, kind: KINDS[oid] ?? "other" };
}

export function connectionError(error: unknown, config: PostgresqlConfig): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = sqlstate(error);
  const message = redact(error instanceof Error ? error.message : String(error), [config.password]);
  if (code === null) return new ConnectorError(postgresFailureKind(error), `PostgreSQL ${config.host}:${config.port}: connection failed: ${message}`);
  // A table or column dropped since discovery: the selection no longer matches the database.
  const kind = code === "42P01" || code === "42703" ? "configuration" : postgresFailureKind(error);
  const hint = SQLSTATE_HINTS[code];
  return new ConnectorError(kind, `PostgreSQL: ${hint ? `${hint} (${message})` : message} [SQLSTATE ${code}]`);
}

export async function openSession(config: PostgresqlConfig, development: boolean): Promise<SourceSession> {
  if (config.sslmode === "disable" && !development) {
    throw new ConnectorError("configuration", `postgresql: sslmode "disable" is allowed only in development mode; use require or verify-full`);
  }
  const settings: ClientConfig = {
    ...postgresClientConfig(config, {
      TimeZone: "UTC",
      DateStyle: "ISO",
      // Both the DataRow and the COPY paths decode UTF-8, whatever the database's own encoding.
      client_encoding: "UTF8",
      // Read-only by default: a source session can never change the customer's data, whatever its role may do.
      default_transaction_read_only: "on",
      statement_timeout: STATEMENT_TIMEOUT_MS,
    }),
    types: typeParsers,
  };
  const client = new Client(settings);
  // A dropped connection is reported as an 'error' event; without a listener the event itself would throw.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(error, config);
  }
  return {
    async query(text, values = []) {
      try {
        return (await client.query(text, values)).rows;
      } catch (error) {
        throw connectionError(error, config);
      }
    },
    async queryArrays(text, values = []) {
      try {
        return await copyPage(client as never, text, values, fieldTypeOf);
      } catch (error) {
        throw connectionError(error, config);
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

const TIME_TYPES = /^(timestamp|date)/;

export const postgresDialect: SqlDialect = {
  // PostgreSQL doubles an embedded quote.
  quote: (identifier) => `"${identifier.replaceAll('"', '""')}"`,
  param: (position, columnType) => `$${position}::${columnType}`,
  text: (expression) => `${expression}::text`,
  minusWindow: (value, columnType) => (TIME_TYPES.test(columnType) ? `${value} - interval '${SAFETY_WINDOW_MINUTES} minutes'` : value),
  // ctid, the row's physical address, orders the rows of tables and materialized views; views and partitioned
  // tables (whose partitions each number their own) have none.
  locator: (kind) => (kind === "r" || kind === "m" ? { expression: "t.ctid", type: "tid", start: "(0,0)" } : null),
  // The whole row as text: a total order over any row type, json columns included (json has no ordering).
  keylessOrder: () => "t::text",
};
