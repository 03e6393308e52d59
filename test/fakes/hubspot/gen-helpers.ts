/** Building blocks of the per-type generators: string-valued properties, picks of live records, edits. */
import type { Rng } from "../shared/prng";
import { activeRecords, type CrmRecord, type Dataset, type ObjectTable } from "./records";

export interface GenerateContext {
  rng: Rng;
  data: Dataset;
  record: CrmRecord;
}

export type Generator = (ctx: GenerateContext) => void;

/** One visible change to a record, applied by an update along with its new modification time. */
export type Edit = (record: CrmRecord, rng: Rng, at: number) => void;

export const iso = (ms: number) => new Date(ms).toISOString();

export function slug(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

/** HubSpot sends numbers as plain decimal strings: "1250", "12.5". */
export const decimal = (value: number) => String(Math.round(value * 100) / 100);

export function set(record: CrmRecord, name: string, value: string | undefined) {
  if (value !== undefined) record.properties[name] = value;
}

/** A value different from `current`, so an edit always changes something. */
export function another(rng: Rng, values: readonly string[], current: string | undefined): string {
  const candidates = values.filter((value) => value !== current);
  return rng.pick(candidates.length > 0 ? candidates : values);
}

export function unique(used: Set<string>, base: (attempt: number) => string): string {
  for (let attempt = 0; ; attempt++) {
    const candidate = base(attempt);
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
}

export function phoneNumber(rng: Rng): string {
  return `+1 ${rng.int(200, 989)}-555-${String(rng.int(0, 9999)).padStart(4, "0")}`;
}

export function activeOwnerId(ctx: GenerateContext): string | undefined {
  const owners = ctx.data.owners.filter((owner) => !owner.archived);
  return owners.length > 0 ? String(ctx.rng.pick(owners).id) : undefined;
}

/** A random live record; random probes first, since almost every record is live and tables are large. */
export function pickLive(rng: Rng, table: ObjectTable): CrmRecord | undefined {
  if (table.records.length === 0) return undefined;
  for (let probe = 0; probe < 8; probe++) {
    const record = rng.pick(table.records);
    if (record.archivedAt === null) return record;
  }
  const live = activeRecords(table);
  return live.length > 0 ? rng.pick(live) : undefined;
}
