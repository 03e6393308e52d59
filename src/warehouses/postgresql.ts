/**
 * PostgreSQL over `pg` (TCP through workerd's `cloudflare:sockets`, nodejs_compat), one connection per adapter
 * instance, ended in close(). A group's rows go by `COPY … FROM STDIN` (text format) into a session temp table,
 * then ONE set-based upsert moves them into the write table: the upsert is the commit point, as the jsonb
 * parameter form it replaced was (research/warehouses.md §4: no 65,535-parameter cap), and the same statement keeps
 * the merge and replace rules. COPY text is the server's cheapest input (no JSON to parse and pick apart per
 * cell; the CPU profile of bench/db-sources.mjs showed the jsonb form's cost on both sides). A full_refresh's groups
 * skip the temp table while their keys are new to the run's staging table (copiesStraight). Schema changes go in
 * one multi-statement query, which PostgreSQL runs as one transaction.
 */
import { connect } from "cloudflare:sockets";
import { Client, Query, type QueryResult } from "pg";
import { type ChunkCommit, type CommitScope, type ConnectionTestStep, type StreamTarget, type WarehouseAdapter, type WriteBatch, batchIdRange } from "./contract";
import { runConnectionChecks } from "./connection-test";
import { WarehouseError, type WarehouseErrorKind, errorMessage, redact } from "./errors";
import { type Cell, type ColumnChange, type LoadPlan, type TableShape, planLoad } from "./load-plan";
import { CONNECT_TIMEOUT_MS, SQLSTATE_HINTS, postgresClientConfig, postgresFailureKind, sqlstate } from "../../connectors/kit/postgres";
import { META, indexName, quoteIdentifier, schemaName, stableHash, stagingTableName, tableName } from "./naming";
import { type LoadDialect, type StatementObserver, columnList, insertStatement } from "./sql";
import { type ColumnSpec, type ColumnType, POSTGRES_TYPES, postgresColumnType } from "./types";
import { postgresqlSpec } from "./postgresql/spec";
import { copyInMessages, copyText, copyThrough, firstRecordOf } from "./postgresql/copy-text";
import { StageLock } from "./stage-lock";
import type { SchemaChange } from "./schema-changes";
import type { CopyTextRows, SourceRecord } from "../../connectors/kit/contract";
import { parseWarehouseConfig } from "./specs";

export type SslMode = "disable" | "require" | "verify-full";

export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  sslmode: SslMode;
}

export interface PostgresWarehouseOptions {
  /** `sslmode: disable` is refused outside development mode (DESIGN §2). */
  development: boolean;
  /** Sees every statement with its bound values (tests, debugging). */
  onStatement?: StatementObserver;
}

/** The stored config, parsed with the one PostgreSQL spec the sources API validated it with (postgresql/spec.ts). */
export function parsePostgresConfig(config: Record<string, unknown>, development: boolean): PostgresConfig {
  return parseWarehouseConfig(postgresqlSpec, config, development);
}

/**
 * The upsert reads the temp table the group was copied into: cell i is its column `c<i>`, typed as the target's. The
 * rows need no parameter, so run id, synced_at and batch id are $1–$3 (the shared statement numbers them from 2).
 */
function copyDialect(copyTable: string): LoadDialect {
  return {
    cell: (index) => `e.c${index}`,
    param: (position, type) => `$${position - 1}::${POSTGRES_TYPES[type]}`,
    rows: `${copyTable} AS e`,
    // Byte order, as D1 and JavaScript compare text; a locale collation could order ISO strings differently.
    cursorNotOlder: (newer, older, type) =>
      type === "string" ? `${newer} COLLATE "C" >= ${older} COLLATE "C"` : `${newer} >= ${older}`,
  };
}

export class PostgresWarehouse implements WarehouseAdapter {
  /** Each stage is one atomic upsert into the write table: the commit point is every group. A getter, so tests can stage aside. */
  get commitScope(): CommitScope {
    return "batch";
  }
  /** Two straight copies at once (contract.ts), of COPY text or of records: the server writes two groups about 1.6x as fast as one. */
  readonly stageConcurrency = 2;
  /** A database source's pages go as their COPY text where they can (copyThroughStraight). */
  readonly loadsCopyText = true;
  private connecting: Promise<Client> | null = null;
  private client: Client | null = null;
  /** The second connection, opened when a copy is wanted while one is in flight on the first (writer). */
  private spare: Promise<Client> | null = null;
  private readonly copying = new Set<Client>();
  private readonly lock = new StageLock();
  private readonly shapes = new Map<string, TableShape | null>();
  /** Tables whose indexes this instance has already ensured. */
  private readonly indexed = new Set<string>();
  /** Temp tables of this connection that groups are copied into (copyTable). */
  private readonly copyTables = new Set<string>();
  /** Staging tables where a group met keys already there: their groups upsert (copiesStraight). */
  private readonly keysMet = new Set<string>();

  constructor(
    private readonly config: PostgresConfig,
    private readonly options: PostgresWarehouseOptions,
  ) {
    if (config.sslmode === "disable" && !options.development) {
      throw new WarehouseError("configuration", `postgresql config: sslmode "disable" is only allowed in development mode`);
    }
  }

  testConnection(): AsyncIterable<ConnectionTestStep> {
    const { host, port, database, user } = this.config;
    return runConnectionChecks(
      [
        {
          step: "network",
          run: async () => {
            await probeTcp(host, port);
            return `Reached ${host}:${port}`;
          },
        },
        {
          step: "authentication",
          run: async () => {
            await this.connection();
            const tls = this.config.sslmode === "disable" ? "without TLS" : "over TLS";
            return `Logged in to database "${database}" as "${user}" ${tls}`;
          },
        },
        { step: "authorization", run: () => this.checkPrivileges() },
        {
          step: "query",
          run: async () => {
            const result = await this.query<{ ok: number }>("SELECT 1 AS ok");
            if (result.rows[0]?.ok !== 1) throw new Error("SELECT 1 returned no row");
            return "SELECT 1 succeeded";
          },
        },
      ],
      [this.config.password],
    );
  }

  async prepareStream(target: StreamTarget): Promise<void> {
    const table = this.writeTable(target);
    const plan = planLoad(target, [], await this.shape(table), { live: await this.liveShape(target), sameStorage });
    await this.applySchemaChanges(table, plan);
  }

  /** Writes straight into the write table: one atomic, idempotent upsert per group is the commit (commitScope "batch"). */
  async stage(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }> {
    if (batch.copy_text) {
      const copied = await this.lock.shared(() => this.copyThroughStraight(target, batch, batch.copy_text!));
      if (copied !== null) return { rows_staged: copied };
    }
    if (batch.records.length === 0) return { rows_staged: 0 };
    const copied = await this.lock.shared(() => this.stageStraight(target, batch));
    if (copied !== null) return { rows_staged: copied };
    return this.lock.exclusive(() => this.stageRecords(target, batch));
  }

  /**
   * A full_refresh group of records copied straight (copiesStraight) beside another group's copy, where its table
   * needs no DDL first; null where the group must go alone (DDL, or a key already there: the upsert).
   */
  private async stageStraight(target: StreamTarget, batch: WriteBatch): Promise<number | null> {
    const table = this.writeTable(target);
    if (!this.mayCopyStraight(target, table)) return null;
    const { plan, report } = await this.planHeld(target, table, batch.records);
    if (needsDdl(plan) || !this.copiesStraight(target, table, plan)) return null;
    report();
    return this.onWriter((client) => this.copyStraight(table, plan, target, batch, client));
  }

  /**
   * The plan of `records` with its schema changes held until `report`: a way that gives the group up (to the
   * exclusive way, which plans it again) must not have them seen twice. A blocked change fails the plan, and is
   * reported with the failure as planLoad reports it.
   */
  private async planHeld(target: StreamTarget, table: QualifiedName, records: SourceRecord[]): Promise<{ plan: LoadPlan; report: () => void }> {
    const held: SchemaChange[] = [];
    const watch = target.schema_watch;
    const report = () => held.length > 0 && watch!.observe(held.splice(0));
    const holding = watch ? { ...target, schema_watch: { policy: watch.policy, observe: (changes: SchemaChange[]) => held.push(...changes) } } : target;
    const options = { live: await this.liveShape(target), sameStorage };
    try {
      return { plan: planLoad(holding, records, await this.shape(table), options), report };
    } catch (error) {
      report();
      throw error;
    }
  }

  private async stageRecords(target: StreamTarget, batch: WriteBatch): Promise<{ rows_staged: number }> {
    if (batch.records.length === 0) return { rows_staged: 0 };
    const table = this.writeTable(target);
    const plan = planLoad(target, batch.records, await this.shape(table), { live: await this.liveShape(target), sameStorage });
    await this.applySchemaChanges(table, plan);
    const qualified = qualify(table);
    if (this.copiesStraight(target, table, plan)) {
      const copied = await this.copyStraight(table, plan, target, batch);
      if (copied !== null) return { rows_staged: copied };
    }
    const copyTable = await this.copyTable(plan);
    let sql = insertStatement(qualified, plan, copyDialect(copyTable));
    const params: unknown[] = [target.run_id, batch.synced_at, batch.batch_id];
    if (plan.primaryKey.length === 0) {
      // Idempotent per batch: the rows of an earlier attempt go in the same statement that writes them again — from
      // `replaces_from` on, whatever batches that attempt cut (contract.ts).
      const batchId = quoteIdentifier(META.batchId);
      let earlier = `${batchId} = $3::text`;
      if (batch.replaces_from !== undefined) {
        const { low, high } = batchIdRange(target.run_id, target.stream);
        // CASE, because PostgreSQL does not promise to test the range before it casts a row's suffix.
        const sequence = `substr(${batchId}, length($4::text) + 1)`;
        earlier += ` OR (${batchId} >= $4::text AND ${batchId} < $5::text AND CASE WHEN ${sequence} ~ '^[0-9]{1,18}$' THEN ${sequence}::bigint END >= $6::bigint)`;
        params.push(low, high, batch.replaces_from);
      }
      sql = `WITH cleared AS (DELETE FROM ${qualified} WHERE ${earlier}) ${sql}`;
    }
    try {
      // What an earlier, failed group left in the temp table goes first; then the group, then the one upsert.
      await this.copyIn(`TRUNCATE ${copyTable}; COPY ${copyTable} FROM STDIN`, copyText(plan));
      // A named statement is parsed and planned once per connection, not per page: about 3x faster at 100 rows a
      // page here. Its SQL changes with the column set and types, and so does its name.
      const name = `loaders_${stableHash(sql)}_${sql.length}`;
      const result = await this.query(sql, params, name);
      return { rows_staged: result.rowCount ?? 0 };
    } catch (error) {
      this.forget(table);
      throw error;
    }
  }

  /**
   * A full_refresh writes a staging table of its own run, where a key already present means a redelivered group
   * (or a superseded chunk's): its groups go by one `COPY … FROM STDIN` straight into the table, with the metadata
   * as constant columns, instead of a copy into a temp table and the upsert. That is the same result the upsert
   * gives for keys it does not find — the merge and cursor rules only decide between two versions of a key, and
   * planLoad already kept one per key — at about half the server's CPU per row and one round trip instead of two
   * (bench/db-sources.mjs). The table's unique index on the key refuses the whole COPY at the first key already
   * there (SQLSTATE 23505), nothing written; the group then goes the upsert's way, and so does every later group of
   * this instance (a chunk), since a redelivery repeats more than one. Only once the index is ensured.
   */
  private copiesStraight(target: StreamTarget, table: QualifiedName, plan: LoadPlan): boolean {
    return plan.primaryKeyReady && this.mayCopyStraight(target, table);
  }

  /** What copiesStraight asks before any plan: a way that plans only to copy straight asks it first. */
  private mayCopyStraight(target: StreamTarget, table: QualifiedName): boolean {
    const key = qualify(table);
    return target.sync_mode === "full_refresh" && this.indexed.has(key) && !this.keysMet.has(key);
  }

  /**
   * A straight copy of a PostgreSQL source's COPY text, cells as they came where they are the same values
   * (postgresql/copy-text.ts copyThrough): no record is built and no row planned, the isolate's largest costs
   * in bench/db-sources.mjs's profile. Planned from the group's first record, decoded alone; null where the group
   * must go the records' way (not a straight copy, a cell its column's type would widen for, a key already there,
   * a table to create or alter first). It runs beside another group's (stageConcurrency), on a connection of its own.
   */
  private async copyThroughStraight(target: StreamTarget, batch: WriteBatch, pages: CopyTextRows[]): Promise<number | null> {
    const table = this.writeTable(target);
    const firstRecord = this.mayCopyStraight(target, table) ? firstRecordOf(pages) : null;
    if (!firstRecord) return null;
    // Every other cell fits the types the first record gives, or copyThrough gives the group up.
    const { plan, report } = await this.planHeld(target, table, [firstRecord]);
    if (needsDdl(plan) || !this.copiesStraight(target, table, plan)) return null;
    const through = copyThrough(plan, pages, plan.primaryKey, [target.run_id, batch.synced_at, batch.batch_id]);
    if (!through) return null;
    report();
    return this.onWriter((client) => this.straightCopy(table, through.columns, through.text, client));
  }

  /** Runs a copy on a connection no other copy is using at the time (writer). */
  private async onWriter<T>(copy: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.writer();
    this.copying.add(client);
    try {
      return await copy(client);
    } finally {
      this.copying.delete(client);
    }
  }

  /** A connection with no copy in flight: the adapter's own, else a second one opened for side-by-side copies. */
  private async writer(): Promise<Client> {
    const main = await this.connection();
    if (!this.copying.has(main)) return main;
    this.spare ??= this.open(() => {
      this.spare = null;
    });
    try {
      return await this.spare;
    } catch (error) {
      this.spare = null;
      throw error;
    }
  }

  /** The rows copied, or null where a key was already there (the caller upserts the group instead). */
  private copyStraight(table: QualifiedName, plan: LoadPlan, target: StreamTarget, batch: WriteBatch, on?: Client): Promise<number | null> {
    const columns = plan.columns.map((column) => column.name);
    return this.straightCopy(table, columns, copyText(plan, [target.run_id, batch.synced_at, batch.batch_id]), on);
  }

  /**
   * One `COPY … FROM STDIN` of lines holding `columns` and then the metadata (deletion, run, sync time, batch): the rows
   * copied, or null where the unique index met a key already there, nothing written.
   */
  private async straightCopy(table: QualifiedName, columns: string[], text: string, on?: Client): Promise<number | null> {
    const all = [...columns, META.deletedAt, META.runId, META.syncedAt, META.batchId];
    try {
      return await this.copyIn(`COPY ${qualify(table)} (${columnList(all)}) FROM STDIN`, text, on);
    } catch (error) {
      if (error instanceof WarehouseError && error.details.sqlstate === "23505") {
        this.keysMet.add(qualify(table));
        return null;
      }
      this.forget(table);
      throw error;
    }
  }

  /**
   * The session's temp table for groups of this column-type list (c0 … cN, then the deletion time), created once per
   * connection. Temp tables live in the session's own schema, so concurrent chunks on other connections never meet.
   */
  private async copyTable(plan: LoadPlan): Promise<string> {
    const types = [...plan.columns.map((column) => POSTGRES_TYPES[column.type]), POSTGRES_TYPES.timestamp];
    const name = `loaders_copy_${stableHash(types.join(","))}_${types.length}`;
    if (!this.copyTables.has(name)) {
      await this.query(`CREATE TEMP TABLE IF NOT EXISTS ${quoteIdentifier(name)} (${types.map((type, i) => `c${i} ${type}`).join(", ")})`);
      this.copyTables.add(name);
    }
    return `pg_temp.${quoteIdentifier(name)}`;
  }

  /** Runs `sql` (simple protocol, ending in a COPY … FROM STDIN), sends `data` as the copy's input: the rows copied. */
  private async copyIn(sql: string, data: string, on?: Client): Promise<number> {
    const client = on ?? (await this.connection());
    this.options.onStatement?.(sql, [data]);
    const copy = new Query(sql) as Query & { handleCopyInResponse(connection: CopyConnection): void };
    copy.handleCopyInResponse = (connection) => {
      connection.stream.write(copyInMessages(data));
    };
    try {
      const results = await new Promise<QueryResult | QueryResult[]>((resolve, reject) => {
        copy.once("end", resolve);
        copy.once("error", reject);
        client.query(copy);
      });
      const last = Array.isArray(results) ? results[results.length - 1] : results;
      return last?.rowCount ?? 0;
    } catch (error) {
      throw classifyPostgresError(error, this.config);
    }
  }

  /** Every group was committed by its own stage. */
  async commit(_target: StreamTarget, _chunk: ChunkCommit): Promise<void> {}

  async finalizeStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    const table = { schema: postgresSchemaName(target.schema), name: tableName(target.stream) };
    const staging = this.writeTable(target);
    const present = async () =>
      (await this.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [qualify(staging)])).rows[0]?.found === true;
    if (!(await present())) return;
    const rename = (purpose: "pk" | "batch") =>
      `ALTER INDEX IF EXISTS ${quoteIdentifier(table.schema)}.${quoteIdentifier(indexName(staging.name, purpose))} ` +
      `RENAME TO ${quoteIdentifier(indexName(table.name, purpose))}`;
    // One transaction: readers see the old table until COMMIT, then the new one — never an empty or half one.
    const swap = [
      "BEGIN",
      `DROP TABLE IF EXISTS ${qualify(table)}`,
      `ALTER TABLE ${qualify(staging)} RENAME TO ${quoteIdentifier(table.name)}`,
      rename("pk"),
      rename("batch"),
      "COMMIT",
    ].join(";\n");
    try {
      await this.query(swap);
    } catch (error) {
      await this.query("ROLLBACK").catch(() => undefined);
      // A concurrent finalize may have swapped it in first (our transaction rolled back); the result is the same.
      if (await present()) throw error;
    }
    this.forget(staging);
    this.forget(table);
  }

  async abortStream(target: StreamTarget): Promise<void> {
    if (target.sync_mode !== "full_refresh") return;
    const staging = this.writeTable(target);
    await this.query(`DROP TABLE IF EXISTS ${qualify(staging)}`);
    this.forget(staging);
  }

  async close(): Promise<void> {
    const pending = [this.connecting, this.spare];
    this.connecting = null;
    this.spare = null;
    this.client = null;
    this.copyTables.clear();
    for (const connecting of pending) {
      const client = await connecting?.catch(() => null);
      // An unended client leaves its socket to be torn down by the runtime, which surfaces as an unhandled error.
      await client?.end().catch(() => undefined);
    }
  }

  private writeTable(target: StreamTarget): QualifiedName {
    const schema = postgresSchemaName(target.schema);
    const table = tableName(target.stream);
    return { schema, name: target.sync_mode === "full_refresh" ? stagingTableName(table, target.run_id) : table };
  }

  /** A full_refresh's schema changes are judged against the table its run will replace (schema-changes.ts). */
  private async liveShape(target: StreamTarget): Promise<TableShape | null | undefined> {
    if (target.sync_mode !== "full_refresh" || !target.schema_watch) return undefined;
    return this.shape({ schema: postgresSchemaName(target.schema), name: tableName(target.stream) });
  }

  private async shape(table: QualifiedName): Promise<TableShape | null> {
    const key = qualify(table);
    if (this.shapes.has(key)) return this.shapes.get(key) ?? null;
    const { rows } = await this.query<{ name: string; type: string }>(
      "SELECT column_name AS name, data_type AS type FROM information_schema.columns " +
        "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
      [table.schema, table.name],
    );
    const shape = rows.length ? rows.map((row) => ({ name: row.name, type: postgresColumnType(row.type) })) : null;
    this.shapes.set(key, shape);
    return shape;
  }

  private forget(table: QualifiedName): void {
    this.shapes.delete(qualify(table));
    this.indexed.delete(qualify(table));
  }

  private async applySchemaChanges(table: QualifiedName, plan: LoadPlan): Promise<void> {
    const key = qualify(table);
    const statements: string[] = [];
    if (plan.create) {
      if (!(await this.schemaExists(table.schema))) {
        // Only when missing: CREATE SCHEMA checks the database CREATE privilege even with IF NOT EXISTS.
        statements.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(table.schema)}`);
      }
      statements.push(`CREATE TABLE IF NOT EXISTS ${key} (${definitions(plan.shape)})`);
    } else if (plan.add.length > 0 || plan.widen.some(changesStorage)) {
      const changes = [
        ...plan.add.map((column) => `ADD COLUMN IF NOT EXISTS ${definitions([column])}`),
        ...plan.widen.filter(changesStorage).map((change) => {
          const column = quoteIdentifier(change.name);
          return `ALTER COLUMN ${column} TYPE ${POSTGRES_TYPES[change.to]} USING ${convert(column, change.to)}`;
        }),
      ];
      statements.push(`ALTER TABLE ${key} ${changes.join(", ")}`);
    }
    const schemaChanged = statements.length > 0;
    if (schemaChanged || !this.indexed.has(key)) {
      if (plan.primaryKey.length === 0) {
        statements.push(
          `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(table.name, "batch"))} ON ${key} (${quoteIdentifier(META.batchId)})`,
        );
      } else if (plan.primaryKeyReady) {
        statements.push(
          `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(table.name, "pk"))} ON ${key} (${columnList(plan.primaryKey)})`,
        );
      }
    }
    if (statements.length === 0) return;
    try {
      await this.ddl(statements.join(";\n"));
    } catch (error) {
      this.forget(table);
      throw error;
    }
    this.shapes.set(key, plan.shape);
    if (plan.primaryKey.length === 0 || plan.primaryKeyReady) this.indexed.add(key);
  }

  /** Concurrent streams may create the same schema at once; IF NOT EXISTS still races in the catalog (23505). */
  private async ddl(sql: string): Promise<void> {
    try {
      await this.query(sql);
    } catch (error) {
      const state = error instanceof WarehouseError ? error.details.sqlstate : undefined;
      if (state !== "23505" && state !== "42P06" && state !== "42P07") throw error;
      await this.query(sql);
    }
  }

  private async schemaExists(schema: string): Promise<boolean> {
    const { rows } = await this.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    return rows.length > 0;
  }

  private async checkPrivileges(): Promise<string> {
    const { rows } = await this.query<{ database: string; user: string; create_schema: boolean; writable_schemas: number }>(
      `SELECT current_database() AS database, current_user AS "user",
              has_database_privilege(current_database(), 'CREATE') AS create_schema,
              (SELECT count(*)::int FROM pg_namespace
                WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
                  AND has_schema_privilege(oid, 'CREATE')) AS writable_schemas`,
    );
    const row = rows[0];
    if (!row) throw new Error("The privilege check returned no row");
    if (row.create_schema) return `User "${row.user}" may create schemas in database "${row.database}"`;
    if (row.writable_schemas > 0) {
      return `User "${row.user}" may not create schemas in database "${row.database}" but may create tables in ${row.writable_schemas} existing schema(s): target schemas must be created beforehand`;
    }
    throw new Error(
      `User "${row.user}" may neither create schemas in database "${row.database}" nor create tables in any schema; ` +
        `grant it CREATE ON DATABASE ${row.database}`,
    );
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.open();
    try {
      this.client = await this.connecting;
      return this.client;
    } catch (error) {
      this.connecting = null;
      throw error;
    }
  }

  private async open(dropped = () => {
    this.client = null;
    this.connecting = null;
    this.copyTables.clear();
  }): Promise<Client> {
    // Timestamps without an offset are read as UTC, and timestamptz columns come back in UTC.
    const settings = postgresClientConfig(this.config, { TimeZone: "UTC" });
    const client = new Client(settings);
    // A dropped connection is reported as an 'error' event; without a listener the event itself would throw.
    client.on("error", dropped);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classifyPostgresError(error, this.config);
    }
    return client;
  }

  private async query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<R>> {
    const client = await this.connection();
    this.options.onStatement?.(sql, params ?? []);
    try {
      return await client.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params });
    } catch (error) {
      throw classifyPostgresError(error, this.config);
    }
  }
}

/** PostgreSQL refuses to create schemas named `pg_…` (SQLSTATE 42939): a target schema the user must change. */
export function postgresSchemaName(targetSchema: string): string {
  const schema = schemaName(targetSchema);
  if (schema.startsWith("pg_")) {
    throw new WarehouseError(
      "configuration",
      `PostgreSQL reserves schema names beginning with "pg_"; choose another target_schema than "${targetSchema}"`,
    );
  }
  return schema;
}

interface QualifiedName {
  schema: string;
  name: string;
}

function qualify(table: QualifiedName): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

function definitions(columns: ColumnSpec[]): string {
  return columns.map((column) => `${quoteIdentifier(column.name)} ${POSTGRES_TYPES[column.type]}`).join(", ");
}

/**
 * PostgreSQL widens in place with ALTER COLUMN … TYPE … USING (a table rewrite under a lock, inside the schema
 * change's transaction); a widening between logical types stored alike (big integer and decimal are both numeric)
 * needs no statement at all.
 */
/** A plan that creates or alters its table first: DDL, which runs alone (StageLock), never beside a copy. */
function needsDdl(plan: LoadPlan): boolean {
  return plan.create || plan.add.length > 0 || plan.widen.length > 0;
}

function changesStorage(change: ColumnChange): boolean {
  return !sameStorage(change.from, change.to);
}

function sameStorage(a: ColumnType, b: ColumnType): boolean {
  return POSTGRES_TYPES[a] === POSTGRES_TYPES[b];
}

/** The value a widened column holds for an old one; it matches what a new page would write for the same value. */
function convert(column: string, to: ColumnType): string {
  switch (to) {
    case "json":
      return `to_jsonb(${column})`;
    case "string":
      // to_json gives ISO 8601 for timestamps (`2024-01-01T00:00:00+00:00`), where ::text would not.
      return `to_json(${column}) #>> '{}'`;
    default:
      return `${column}::${POSTGRES_TYPES[to]}`;
  }
}

/** What pg's connection offers a query in COPY IN mode (pg/lib/connection.js). */
interface CopyConnection {
  stream: { write(bytes: Uint8Array): unknown };
}

/** Opens and closes a bare TCP connection, so an unreachable host fails at `network`, before any login. */
async function probeTcp(hostname: string, port: number): Promise<void> {
  const socket = connect({ hostname, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      socket.opened,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new Error(`Could not reach ${hostname}:${port} (${errorMessage(error)}); check the host, the port and the firewall`);
  } finally {
    clearTimeout(timer);
    await socket.close().catch(() => undefined);
  }
}

export function classifyPostgresError(error: unknown, config: PostgresConfig): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const code = sqlstate(error);
  const message = redact(errorMessage(error), [config.password]);
  if (code === null) return new WarehouseError(postgresFailureKind(error), `PostgreSQL connection failed: ${message}`);
  const kind: WarehouseErrorKind = postgresFailureKind(error);
  const hint = SQLSTATE_HINTS[code];
  return new WarehouseError(kind, `PostgreSQL: ${hint ? `${hint} (${message})` : message} [SQLSTATE ${code}]`, { sqlstate: code });
}
