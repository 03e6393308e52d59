/**
 * Control-API changes to a tenant's data, stamped as the real API would stamp them: updates and deletes move
 * LastModifiedDate and SystemModstamp to "now"; a delete only flags the row (IsDeleted = true), which keeps it
 * visible to queryAll and getDeleted, as the recycle bin does.
 */
import { findObject } from "./catalog";
import { ControlError } from "./control-error";
import { assembleRecord, type Dataset, type ObjectStore } from "./dataset";
import { TOUCHES } from "./generators";
import { normalizeId } from "./ids";
import type { Rng } from "../shared/prng";
import { type FieldValue, type SfRecord, formatDateTime } from "./records";

export interface MutateRequest {
  object?: unknown;
  update?: unknown;
  create?: unknown;
  delete?: unknown;
  /** Explicit field values for updated and created records. */
  set?: unknown;
}

export interface MutateResult {
  object: string;
  at: string;
  created: string[];
  updated: string[];
  deleted: string[];
}

function liveStore(dataset: Dataset, name: unknown): ObjectStore {
  const def = typeof name === "string" ? findObject(name) : undefined;
  const store = def ? dataset.stores.get(def.name) : undefined;
  if (!store) throw new ControlError(`unknown object ${JSON.stringify(name)}`);
  return store;
}

/** `n` → n distinct live records chosen by the tenant's mutation dice; `[ids]` → exactly those records. */
function selectRecords(store: ObjectStore, rng: Rng, spec: unknown, exclude: Set<string>, what: string): SfRecord[] {
  if (spec === undefined) return [];
  if (Array.isArray(spec)) {
    return spec.map((raw) => {
      const id = typeof raw === "string" ? normalizeId(raw) : null;
      const record = id ? store.byId.get(id) : undefined;
      if (!record || record.IsDeleted === true) throw new ControlError(`${what}: no live ${store.def.name} ${String(raw)}`);
      exclude.add(String(record.Id));
      return record;
    });
  }
  if (typeof spec !== "number" || !Number.isInteger(spec) || spec < 0) {
    throw new ControlError(`${what} must be a count or a list of ids`);
  }
  const pool = store.records.filter((r) => r.IsDeleted !== true && !exclude.has(String(r.Id)));
  if (spec > pool.length) throw new ControlError(`${what}: only ${pool.length} live ${store.def.name} records`);
  for (let i = 0; i < spec; i++) {
    const j = rng.int(i, pool.length - 1);
    const a = pool[i];
    const b = pool[j];
    if (a && b) {
      pool[i] = b;
      pool[j] = a;
    }
  }
  const chosen = pool.slice(0, spec).sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : 1));
  for (const r of chosen) exclude.add(String(r.Id));
  return chosen;
}

function explicitValues(store: ObjectStore, set: unknown): SfRecord {
  if (set === undefined) return {};
  if (typeof set !== "object" || set === null || Array.isArray(set)) throw new ControlError("set must be an object");
  const out: SfRecord = {};
  for (const [name, value] of Object.entries(set)) {
    const field = store.def.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field || field.system) throw new ControlError(`set: ${name} is not a writable field of ${store.def.name}`);
    if (field.type === "datetime" && typeof value === "string") out[field.name] = Date.parse(value);
    else out[field.name] = value as FieldValue;
  }
  return out;
}

export function mutate(dataset: Dataset, rng: Rng, now: number, request: MutateRequest): MutateResult {
  const store = liveStore(dataset, request.object);
  const values = explicitValues(store, request.set);
  const touched = new Set<string>();
  const toUpdate = selectRecords(store, rng, request.update, touched, "update");
  const toDelete = selectRecords(store, rng, request.delete, touched, "delete");
  if (toDelete.length > 0 && !store.def.deletable) throw new ControlError(`${store.def.name} records cannot be deleted`);
  const createCount = request.create ?? 0;
  if (typeof createCount !== "number" || !Number.isInteger(createCount) || createCount < 0) {
    throw new ControlError("create must be a count");
  }

  const stamp = (record: SfRecord) => {
    record.LastModifiedDate = now;
    record.LastModifiedById = dataset.integrationUserId;
    record.SystemModstamp = now;
  };
  for (const record of toUpdate) {
    TOUCHES[store.def.name]?.(record, now);
    Object.assign(record, values);
    stamp(record);
  }
  for (const record of toDelete) {
    record.IsDeleted = true;
    stamp(record);
  }
  const created: SfRecord[] = [];
  for (let i = 0; i < createCount; i++) {
    const record = assembleRecord(dataset, store, rng, now, { lastModified: now, systemModstamp: now });
    Object.assign(record, values);
    store.records.push(record);
    store.byId.set(String(record.Id), record);
    created.push(record);
  }
  dataset.latestStamp = Math.max(dataset.latestStamp, now);
  const ids = (records: SfRecord[]) => records.map((r) => String(r.Id));
  return {
    object: store.def.name,
    at: formatDateTime(now),
    created: ids(created),
    updated: ids(toUpdate),
    deleted: ids(toDelete),
  };
}
