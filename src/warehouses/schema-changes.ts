/**
 * Schema changes (issue 15 item 6): the columns a write adds to a stream's table and the types it changes, held
 * against the loader's `schema_change_policy` before any DDL is sent, as Fivetran's "allow all / allow columns /
 * block all" settings do. Every adapter plans its writes with planLoad (load-plan.ts), which calls `holdSchemaChanges`,
 * so no adapter can alter a table the policy forbids, and each change is reported once the policy has ruled on it.
 */
import type { LoadPlan, TableShape } from "./load-plan";
import { WarehouseError } from "./errors";
import { META } from "./naming";
import { type ColumnType, widen } from "./types";

export const SCHEMA_CHANGE_POLICIES = ["allow_all", "allow_columns", "block"] as const;
export type SchemaChangePolicy = (typeof SCHEMA_CHANGE_POLICIES)[number];

export interface SchemaChange {
  /** The column as the warehouse names it. */
  column: string;
  change: "column_added" | "type_changed";
  /** The column's type after the change (the lattice types of types.ts). */
  type: ColumnType;
  /** The type before, for `type_changed`. */
  from?: ColumnType;
  /** What the policy decided: an allowed change is made, a blocked one fails the stream before the table is touched. */
  decision: "allowed" | "blocked";
}

/** What the engine hangs on a StreamTarget: the run's policy and where the changes go (reported with the chunk). */
export interface SchemaWatch {
  policy: SchemaChangePolicy;
  observe(changes: SchemaChange[]): void;
}

const METADATA = new Set<string>(Object.values(META));

function decide(policy: SchemaChangePolicy, change: SchemaChange["change"]): SchemaChange["decision"] {
  if (policy === "allow_all") return "allowed";
  if (policy === "allow_columns") return change === "column_added" ? "allowed" : "blocked";
  return "blocked";
}

/**
 * The changes `plan` makes to `baseline`, the table users query: the write table itself, or for a full_refresh (which
 * writes a per-run table swapped in at the end) the live table it will replace. Metadata columns are the loader's
 * own and never count.
 */
export function schemaChangesOf(
  plan: LoadPlan,
  baseline: TableShape | null,
  policy: SchemaChangePolicy,
  sameStorage: (a: ColumnType, b: ColumnType) => boolean = (a, b) => a === b,
): SchemaChange[] {
  // A table with no data columns yet (prepared before its first record, or a stream that has never had one) is
  // still being created: its first columns are not changes.
  if (!baseline || baseline.every((column) => METADATA.has(column.name))) return [];
  const before = new Map(baseline.map((column) => [column.name, column.type]));
  const changes: SchemaChange[] = [];
  for (const column of plan.shape) {
    if (METADATA.has(column.name)) continue;
    const from = before.get(column.name);
    if (from === undefined) changes.push({ column: column.name, change: "column_added", type: column.type, decision: decide(policy, "column_added") });
    // Only a widening the warehouse sees counts: logical types it stores alike are one column type there (Snowflake
    // keeps integers and big integers as NUMBER(38,0), PostgreSQL big integers and decimals as numeric, and reads
    // them back as one), and a full_refresh may type a column narrower than the live table has it, which loses
    // nothing a query relies on.
    else if (widen(from, column.type) !== from && !sameStorage(from, column.type)) changes.push({ column: column.name, change: "type_changed", type: column.type, from, decision: decide(policy, "type_changed") });
  }
  return changes;
}

/** Reports the plan's changes to the watch, and refuses the write (a data error: the stream fails) if any is blocked. */
export function holdSchemaChanges(
  watch: SchemaWatch,
  plan: LoadPlan,
  baseline: TableShape | null,
  sameStorage?: (a: ColumnType, b: ColumnType) => boolean,
): void {
  const changes = schemaChangesOf(plan, baseline, watch.policy, sameStorage);
  if (changes.length === 0) return;
  watch.observe(changes);
  const blocked = changes.filter((change) => change.decision === "blocked");
  if (blocked.length === 0) return;
  throw new WarehouseError(
    "data",
    `schema change blocked by schema_change_policy "${watch.policy}": ${blocked.map(describeChange).join(", ")}; ` +
      `the table was left as it was. Set schema_change_policy to ${watch.policy === "block" ? '"allow_columns" or "allow_all"' : '"allow_all"'} to let it through`,
  );
}

export function describeChange(change: SchemaChange): string {
  return change.change === "column_added"
    ? `column "${change.column}" added (${change.type})`
    : `column "${change.column}" changed from ${change.from} to ${change.type}`;
}

/**
 * One entry per column and kind of change, in the order first seen: a column widened twice in a run keeps the type
 * it had before the first widening and the one it has after the last.
 */
export function mergeSchemaChanges(known: SchemaChange[], more: SchemaChange[]): SchemaChange[] {
  // A change once blocked stays blocked: that refusal is what failed the stream.
  const decided = (was: SchemaChange, now: SchemaChange) => (was.decision === "blocked" ? "blocked" : now.decision);
  const merged = new Map(known.map((change) => [`${change.change}|${change.column}`, change]));
  for (const change of more) {
    // A column added and then widened in the same run is reported as added with the type it ended with.
    const added = change.change === "type_changed" ? merged.get(`column_added|${change.column}`) : undefined;
    if (added) {
      merged.set(`column_added|${change.column}`, { ...added, type: change.type, decision: decided(added, change) });
      continue;
    }
    const key = `${change.change}|${change.column}`;
    const was = merged.get(key);
    merged.set(key, was ? { ...change, ...(was.from ? { from: was.from } : {}), decision: decided(was, change) } : change);
  }
  return [...merged.values()];
}
