/**
 * One read-only session on a MySQL or MariaDB source (research/connectors-data.md §7): `mysql2` over workerd's
 * node:net, with the eval-generated row parsers off (workerd forbids code generation from strings), plain text
 * queries only (no protocol-level prepared statements, which Hyperdrive does not carry), values decoded so that
 * nothing loses precision, failures mapped to the kit's kinds.
 */
import { Buffer } from "node:buffer";
import { type TypeCast, createConnection as createCoreConnection } from "mysql2";
import { ConnectorError, type ConnectorErrorKind, TLS_REFUSED_HINT } from "../kit/errors";
import { redact } from "../kit/http-errors";
import { type ArrayRows, SAFETY_WINDOW_MINUTES, type SourceSession, type SqlDialect, isoTimestamp } from "../kit/sql-source";
import type { CopyCellKind } from "../kit/contract";
import { escapeCopyText, withoutNulEscapes } from "../kit/copy-text";
import { UpgradableSocket } from "../kit/upgradable-socket";
import type { MysqlConfig } from "./spec";

const CONNECT_TIMEOUT_MS = 15_000;
/** Hyperdrive cuts statements at 60 s (research §6/§7); a page takes far less, this bounds a stuck one. */
const STATEMENT_TIMEOUT_SECONDS = 55;

/**
 * BIGINT beyond 2^53 as BigInt, DECIMAL as exact text, DATETIME/TIMESTAMP as RFC 3339 UTC with their fraction
 * (the session runs in UTC), DATE as `YYYY-MM-DD`, TINYINT(1) — MySQL's BOOLEAN — as a boolean, bytes as base64.
 */
const typeCast: TypeCast = (field, next) => {
  switch (field.type) {
    case "LONGLONG": {
      const text = field.string();
      return text === null ? null : BigInt(text);
    }
    case "NEWDECIMAL":
    case "DECIMAL":
      return field.string();
    case "DATETIME":
    case "TIMESTAMP": {
      const text = field.string();
      return text === null ? null : isoTimestamp(text);
    }
    case "DATE":
    case "NEWDATE":
      return field.string();
    case "TINY":
      if (field.length === 1) {
        const text = field.string();
        return text === null ? null : text !== "0";
      }
      return next();
    default: {
      // Binary strings (BINARY, VARBINARY, BLOB) come back from mysql2 as bytes; text columns as strings.
      const value = next();
      return value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value;
    }
  }
};

/** Column type codes of the protocol (https://dev.mysql.com/doc/dev/mysql-server/latest/field__types_8h.html). */
const TYPE = { decimal: 0, tiny: 1, timestamp: 7, longlong: 8, date: 10, datetime: 12, newdate: 14, newdecimal: 246 } as const;

/**
 * What `typeCast` does to one cell, for a value mysql2 already decoded with supportBigNumbers, bigNumberStrings and
 * dateStrings (BIGINT and DECIMAL as text, dates as text, TINYINT as a number, binary as bytes); undefined where the
 * decoded value is already the record's.
 */
function columnConverter(type: number, length: number): ((value: unknown) => unknown) | undefined {
  switch (type) {
    case TYPE.longlong:
      return (value) => BigInt(value as string);
    case TYPE.datetime:
    case TYPE.timestamp:
      return (value) => isoTimestamp(value as string);
    case TYPE.tiny:
      return length === 1 ? (value) => value !== 0 : undefined;
    case TYPE.decimal:
    case TYPE.newdecimal:
    case TYPE.date:
    case TYPE.newdate:
      return undefined;
    default:
      return (value) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value);
  }
}

/**
 * How a column's cells are written as PostgreSQL COPY text (kit/contract.ts CopyTextRows), from the value mysql2
 * decoded (before columnConverter): the kind of text, the cell, and the record value a cell's text stands for — the
 * value columnConverter would make. Null for a type with no such form here (geometry, vectors): the page then has
 * no COPY text and goes the records' way.
 */
interface CopyColumn {
  kind: CopyCellKind;
  cell(value: unknown): string;
  parse(text: string): unknown;
}

const identity = (text: string) => text;
const asString = (value: unknown) => value as string;

/** Protocol type codes beyond TYPE (field__types.h): the integer, float, time and string families. */
const INTEGER_TYPES = new Set([1, 2, 3, 9, 13]);
const FLOAT_TYPES = new Set([4, 5]);
const STRING_TYPES = new Set([11, 15, 247, 248, 249, 250, 251, 252, 253, 254, 16]);
const JSON_TYPE = 245;

function copyColumn(field: { columnType?: number; columnLength?: number; extendedFormat?: string }): CopyColumn | null {
  const type = field.columnType ?? -1;
  if (type === JSON_TYPE || field.extendedFormat === "json") {
    return { kind: "json", cell: (value) => escapeCopyText(withoutNulEscapes(JSON.stringify(value))), parse: (text) => JSON.parse(text) };
  }
  switch (type) {
    case TYPE.longlong:
      return { kind: "integer", cell: asString, parse: (text) => BigInt(text) };
    case TYPE.tiny:
      if (field.columnLength === 1) return { kind: "boolean", cell: (value) => (value !== 0 ? "t" : "f"), parse: (text) => text === "t" };
      return { kind: "integer", cell: (value) => String(value), parse: Number };
    case TYPE.datetime:
    case TYPE.timestamp:
      return { kind: "timestamp", cell: asString, parse: isoTimestamp };
    case TYPE.decimal:
    case TYPE.newdecimal:
    case TYPE.date:
    case TYPE.newdate:
      return { kind: "text", cell: asString, parse: identity };
  }
  if (INTEGER_TYPES.has(type)) return { kind: "integer", cell: (value) => String(value), parse: Number };
  if (FLOAT_TYPES.has(type)) return { kind: "other", cell: (value) => String(value), parse: Number };
  if (STRING_TYPES.has(type)) {
    // Binary strings and BIT come as bytes, which records carry as base64 (columnConverter).
    return {
      kind: "text",
      cell: (value) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : escapeCopyText(value as string)),
      parse: identity,
    };
  }
  return null;
}

/**
 * A page's rows: the values mysql2 decoded, converted to records' values only where something reads them, and
 * their COPY text where every column has a form (copyColumn), built when a warehouse asks for it.
 */
function arrayRows(columns: string[], raw: unknown[][], converters: (((value: unknown) => unknown) | undefined)[], copy: (CopyColumn | null)[]): ArrayRows {
  const convert = (values: unknown[]) => {
    for (let i = 0; i < values.length; i++) {
      const converter = converters[i];
      if (converter && values[i] !== null) values[i] = converter(values[i]);
    }
    return values;
  };
  // Converted copies, so that mysql2's values stay for the COPY text whatever was read first.
  let rows: unknown[][] | null = null;
  const page: ArrayRows = {
    columns,
    count: raw.length,
    row: (index) => (rows ? rows[index]! : convert([...raw[index]!])),
    get rows() {
      rows ??= raw.map((values) => convert([...values]));
      return rows;
    },
  };
  if (copy.every((column) => column !== null)) {
    page.copyText = (width) => {
      const forms = copy.slice(0, width) as CopyColumn[];
      let text = "";
      for (const values of raw) {
        for (let i = 0; i < width; i++) {
          if (i > 0) text += "\t";
          const value = values[i];
          text += value === null || value === undefined ? "\\N" : forms[i]!.cell(value);
        }
        text += "\n";
      }
      return { text, count: raw.length, columns: columns.slice(0, width), kinds: forms.map((form) => form.kind), values: forms.map((form) => form.parse) };
    };
  }
  return page;
}

/** MySQL and MariaDB error numbers (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html). */
const KIND_BY_ERRNO: Record<number, ConnectorErrorKind> = {
  1044: "configuration", // ER_DBACCESS_DENIED_ERROR
  1045: "configuration", // ER_ACCESS_DENIED_ERROR
  1049: "configuration", // ER_BAD_DB_ERROR
  1054: "configuration", // ER_BAD_FIELD_ERROR: a column dropped since discovery
  1142: "configuration", // ER_TABLEACCESS_DENIED_ERROR
  1146: "configuration", // ER_NO_SUCH_TABLE: a table dropped since discovery
  1040: "retryable", // ER_CON_COUNT_ERROR
  1205: "retryable", // ER_LOCK_WAIT_TIMEOUT
  1213: "retryable", // ER_LOCK_DEADLOCK
  1969: "retryable", // MariaDB ER_STATEMENT_TIMEOUT
  3024: "retryable", // MySQL ER_QUERY_TIMEOUT
};

const HINTS: Record<number, string> = {
  1045: "Access denied: check the user and password",
  1049: "The database does not exist",
};

export function connectionError(error: unknown, config: MysqlConfig): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const errno = (error as { errno?: unknown } | null)?.errno;
  const sqlState = (error as { sqlState?: unknown } | null)?.sqlState;
  const message = redact(error instanceof Error ? error.message : String(error), [config.password]);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "HANDSHAKE_NO_SSL_SUPPORT") {
    return new ConnectorError("configuration", `MySQL ${config.host}:${config.port} does not offer TLS; enable TLS on the server (ssl_mode "disabled" is for development only)`);
  }
  if (code === "HANDSHAKE_SSL_ERROR") {
    return new ConnectorError(
      "configuration",
      `MySQL ${config.host}:${config.port}: TLS handshake failed (${message}); ${TLS_REFUSED_HINT}`,
    );
  }
  // No server error number (or a negative one from Node): the socket failed — refused, reset, timed out.
  if (typeof errno !== "number" || errno <= 0 || typeof sqlState !== "string") {
    return new ConnectorError("retryable", `MySQL ${config.host}:${config.port}: connection failed: ${message}`);
  }
  const hint = HINTS[errno];
  return new ConnectorError(KIND_BY_ERRNO[errno] ?? "data", `MySQL: ${hint ? `${hint} (${message})` : message} [error ${errno}]`);
}

/**
 * The server's greeting (its first packet: 3-byte little-endian payload length, sequence number, payload) is all it
 * sends before the client asks for TLS (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html).
 */
function greetingReceived(received: Uint8Array): boolean {
  return received.length >= 4 && received.length >= 4 + (received[0]! | (received[1]! << 8) | (received[2]! << 16));
}

export async function openSession(config: MysqlConfig, development: boolean): Promise<SourceSession> {
  const { host, port, database, user, password, ssl_mode } = config;
  if (ssl_mode === "disabled" && !development) {
    throw new ConnectorError("configuration", `mysql: ssl_mode "disabled" is allowed only in development mode; use required or verify_identity`);
  }
  const tls = ssl_mode !== "disabled";
  // mysql2's own TLS upgrade passes node:tls options workerd does not implement (rejectUnauthorized,
  // checkServerIdentity: tried against a TLS MariaDB), so the connection runs on a socket that switches to TLS
  // itself, and the driver's upgrade step is pointed at it.
  const socket = new UpgradableSocket(host, port, tls ? greetingReceived : undefined);
  const core = createCoreConnection({
    host,
    port,
    database,
    user,
    password,
    stream: socket as never,
    ssl: tls ? {} : undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
    disableEval: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: "Z",
    typeCast,
  });
  (core as unknown as { startTLS(onSecure: (error?: unknown) => void): void }).startTLS = (onSecure) => {
    socket.startTls().then(() => onSecure(), onSecure);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      core.once("connect", () => resolve());
      core.once("error", reject);
    });
  } catch (error) {
    socket.destroy();
    throw connectionError(error, config);
  }
  const connection = core.promise();
  // A dropped connection is reported as an 'error' event; without a listener the event itself would throw.
  connection.on("error", () => undefined);
  const session: SourceSession = {
    async query(text, values = []) {
      try {
        const [rows] = await connection.query(text, values);
        return rows as never;
      } catch (error) {
        throw connectionError(error, config);
      }
    },
    async queryArrays(text, values = []) {
      try {
        // mysql2's default decoding, then one converter per column: a typeCast function makes mysql2 build a field
        // wrapper with three closures per cell, which the bundle's keep-names helper then renames one by one
        // (Object.defineProperty each): over half the isolate's CPU in bench/db-sources.mjs's profile.
        const [rows, fields] = await connection.query({ sql: text, values, rowsAsArray: true, typeCast: true as never });
        const columns = (fields ?? []).map((field) => field.name);
        const converters = (fields ?? []).map((field) => columnConverter(field.columnType ?? -1, field.columnLength ?? 0));
        return arrayRows(columns, rows as unknown as unknown[][], converters, (fields ?? []).map(copyColumn));
      } catch (error) {
        throw connectionError(error, config);
      }
    },
    close: () => connection.end().catch(() => undefined),
  };
  try {
    const [row] = await session.query<{ version: string }>("SELECT VERSION() AS version");
    // Read-only: a source session can never change the customer's data, whatever its grants allow.
    await session.query("SET SESSION TRANSACTION READ ONLY");
    await session.query(
      /mariadb/i.test(row?.version ?? "")
        ? `SET SESSION time_zone = '+00:00', SESSION max_statement_time = ${STATEMENT_TIMEOUT_SECONDS}`
        : `SET SESSION time_zone = '+00:00', SESSION max_execution_time = ${STATEMENT_TIMEOUT_SECONDS * 1000}`,
    );
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

const TIME_TYPES = /^(datetime|timestamp|date)/;

export const mysqlDialect: SqlDialect = {
  // MySQL doubles an embedded backtick.
  quote: (identifier) => `\`${identifier.replaceAll("`", "``")}\``,
  // A string compared with an integer column is compared as a double (exact only to 2^53), so key values are cast
  // back to their column's kind; date-times and strings compare as the column's type by MySQL's own rules.
  param: (_position, columnType) =>
    /^(tinyint|smallint|mediumint|int|integer|bigint)\b/.test(columnType)
      ? `CAST(? AS ${/unsigned/.test(columnType) ? "UNSIGNED" : "SIGNED"})`
      : /^(decimal|numeric)\b/.test(columnType)
        ? "CAST(? AS DECIMAL(65,30))"
        : "?",
  text: (expression) => `CAST(${expression} AS CHAR)`,
  minusWindow: (value, columnType) => (TIME_TYPES.test(columnType) ? `${value} - INTERVAL ${SAFETY_WINDOW_MINUTES} MINUTE` : value),
  locator: () => null,
  keylessOrder: (table) => Object.keys(table.columnTypes).map((name) => `t.${mysqlDialect.quote(name)}`).join(", "),
};
