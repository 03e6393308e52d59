/**
 * A tenant's org data: generated deterministically from the tenant id, so the same tenant and counts always
 * yield the same records, ids and timestamps. History spans fixed dates in the past; timestamps have second
 * precision and deliberately collide (bulk imports share a CreatedDate, nightly jobs share a SystemModstamp),
 * because incremental sync must survive ties.
 */
import { OBJECTS } from "./catalog";
import { type GenContext, GENERATORS } from "./generators";
import { salesforceId } from "./ids";
import { createRng, type Rng } from "../shared/prng";
import { DAY_MS, type FieldValue, type SfRecord, floorToSecond } from "./records";
import type { ObjectDef } from "./schema";

export interface ObjectStore {
  def: ObjectDef;
  /** In creation order, which is also Id order. */
  records: SfRecord[];
  byId: Map<string, SfRecord>;
  nextSerial: number;
}

export interface Dataset {
  stores: Map<string, ObjectStore>;
  /** The newest timestamp in the data; the fake clock never stamps a change earlier than this. */
  latestStamp: number;
  /** The user every token acts as (the first user: "Integration User"). */
  integrationUserId: string;
}

export const HISTORY_START = Date.UTC(2024, 6, 1);
export const HISTORY_END = Date.UTC(2026, 5, 30, 23, 59, 59);

export const DEFAULT_COUNTS: Readonly<Record<string, number>> = {
  User: 40,
  Account: 2500,
  Contact: 5000,
  Lead: 3000,
  Opportunity: 3000,
  Case: 2000,
  Invoice__c: 1500,
};

export const DATA_OBJECTS = OBJECTS.filter((o) => GENERATORS[o.name] !== undefined);

export function hasField(def: ObjectDef, name: string): boolean {
  return def.fields.some((f) => f.name === name);
}

/** Ascending creation times with second precision; about one in eight repeats its predecessor (bulk import). */
function timeline(rng: Rng, count: number, start: number, end: number): number[] {
  const step = (end - start) / Math.max(count, 1);
  const out: number[] = [];
  let previous = start;
  for (let i = 0; i < count; i++) {
    const candidate = floorToSecond(start + i * step + rng.next() * step);
    const at = i > 0 && rng.chance(0.12) ? previous : Math.max(previous, candidate);
    out.push(at);
    previous = at;
  }
  return out;
}

/** Nightly maintenance jobs: every record they touch shares the job's SystemModstamp to the second. */
function batchJobInstants(rng: Rng): number[] {
  const out: number[] = [];
  for (let day = 20; day < (HISTORY_END - HISTORY_START) / DAY_MS; day += rng.int(20, 45)) {
    out.push(HISTORY_START + day * DAY_MS + 2 * 3_600_000);
  }
  return out;
}

function createdBefore(store: ObjectStore, at: number): number {
  let lo = 0;
  let hi = store.records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const created = store.records[mid]?.CreatedDate;
    if (typeof created === "number" && created <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A random live record of `object` created no later than `at`; a few tries so deleted parents are skipped. */
export function pickParent(dataset: Dataset, rng: Rng, object: string, at: number): SfRecord | undefined {
  const store = dataset.stores.get(object);
  if (!store) return undefined;
  const eligible = createdBefore(store, at);
  for (let attempt = 0; attempt < 5 && eligible > 0; attempt++) {
    const candidate = store.records[rng.int(0, eligible - 1)];
    if (candidate && candidate.IsDeleted !== true && candidate.IsActive !== false) return candidate;
  }
  return undefined;
}

export function activeUserId(dataset: Dataset, rng: Rng, at: number): string {
  const chosen = pickParent(dataset, rng, "User", at);
  return typeof chosen?.Id === "string" ? chosen.Id : dataset.integrationUserId;
}

/** Builds a full record: every declared field present (null when unset), ids and audit fields filled in. */
export function assembleRecord(
  dataset: Dataset,
  store: ObjectStore,
  rng: Rng,
  createdAt: number,
  stamps: { lastModified: number; systemModstamp: number },
): SfRecord {
  const serial = store.nextSerial++;
  const id = salesforceId(store.def.keyPrefix, serial);
  const ctx: GenContext = {
    rng,
    serial,
    createdAt,
    parent: (object) => pickParent(dataset, rng, object, createdAt),
  };
  const generator = GENERATORS[store.def.name];
  if (!generator) throw new Error(`no generator for ${store.def.name}`);
  const business = generator(ctx);
  const creator = serial === 1 && store.def.name === "User" ? id : activeUserId(dataset, rng, createdAt);
  const system: SfRecord = {
    Id: id,
    IsDeleted: false,
    OwnerId: creator,
    CreatedDate: createdAt,
    CreatedById: creator,
    LastModifiedDate: stamps.lastModified,
    LastModifiedById: rng.chance(0.7) ? creator : activeUserId(dataset, rng, stamps.lastModified),
    SystemModstamp: stamps.systemModstamp,
  };
  const record: SfRecord = {};
  for (const field of store.def.fields) {
    const value: FieldValue | undefined = field.name in business ? business[field.name] : system[field.name];
    record[field.name] = value ?? (field.type === "boolean" ? false : null);
  }
  return record;
}

export function generateDataset(tenant: string, counts: Readonly<Record<string, number>>): Dataset {
  const dataset: Dataset = { stores: new Map(), latestStamp: HISTORY_END, integrationUserId: salesforceId("005", 1) };
  for (const def of DATA_OBJECTS) {
    const store: ObjectStore = { def, records: [], byId: new Map(), nextSerial: 1 };
    dataset.stores.set(def.name, store);
    const rng = createRng(`${tenant}:${def.name}`);
    const count = Math.max(0, Math.floor(counts[def.name] ?? DEFAULT_COUNTS[def.name] ?? 0));
    // Users exist before the business data they own.
    const end = def.name === "User" ? HISTORY_START + 60 * DAY_MS : HISTORY_END;
    const jobs = batchJobInstants(rng);
    for (const createdAt of timeline(rng, count, HISTORY_START, end)) {
      const lastModified = rng.chance(0.45) ? createdAt : floorToSecond(createdAt + rng.next() * (HISTORY_END - createdAt));
      const laterJobs = jobs.filter((at) => at >= lastModified);
      const systemModstamp = laterJobs.length > 0 && rng.chance(0.08) ? rng.pick(laterJobs.slice(0, 3)) : lastModified;
      const record = assembleRecord(dataset, store, rng, createdAt, { lastModified, systemModstamp });
      store.records.push(record);
      store.byId.set(String(record.Id), record);
    }
  }
  return dataset;
}
