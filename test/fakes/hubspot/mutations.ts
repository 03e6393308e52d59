/**
 * Changes to a tenant's data, shared by the control API (`POST /_fake/{tenant}/mutate`) and the CRM write
 * endpoints. An update moves the record's modification time to the tenant clock and changes a field; a
 * delete archives, as HubSpot does: the record leaves default lists, appears under archived=true with
 * `archivedAt`, and is never returned by search.
 */
import type { CrmObjectName } from "./catalog";
import { slug } from "./gen-helpers";
import { GENERATORS, applyEdit } from "./generators";
import type { Rng } from "../shared/prng";
import { activeRecords, addRecord, type CrmRecord } from "./records";
import { dataset, type Tenant } from "./tenants";
import { FIRST_NAMES, LAST_NAMES, TEAMS } from "./words";

export class MutationError extends Error {}

/**
 * `n` picks that many distinct live records at random (seeded), optionally skipping some ids; a list of
 * ids names them exactly.
 */
export type Selection = number | { count: number; exclude: ReadonlySet<number> } | readonly string[];

function pickCount(selection: Selection): { count: number; exclude: ReadonlySet<number> } | null {
  if (typeof selection === "number") return { count: selection, exclude: new Set() };
  return "count" in selection ? selection : null;
}

function sample<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const index = rng.int(0, pool.length - 1);
    picked.push(pool.splice(index, 1)[0] as T);
  }
  return picked;
}

function selectRecords(tenant: Tenant, type: CrmObjectName, selection: Selection): CrmRecord[] {
  const table = dataset(tenant).objects[type];
  const random = pickCount(selection);
  if (random) {
    const live = activeRecords(table).filter((record) => !random.exclude.has(record.id));
    if (random.count > live.length) throw new MutationError(`only ${live.length} live ${type} to choose from`);
    return sample(tenant.mutationRng, live, random.count).sort((a, b) => a.id - b.id);
  }
  return (selection as readonly string[]).map((id) => {
    const record = table.byId.get(Number(id));
    if (!record || record.archivedAt !== null) throw new MutationError(`no live ${type} record with id ${id}`);
    return record;
  });
}

export function updateRecords(tenant: Tenant, type: CrmObjectName, selection: Selection, at: number): CrmRecord[] {
  const records = selectRecords(tenant, type, selection);
  for (const record of records) {
    applyEdit(type, record, tenant.mutationRng, at);
    record.updatedAt = at;
  }
  return records;
}

export function archiveRecords(tenant: Tenant, type: CrmObjectName, selection: Selection, at: number): CrmRecord[] {
  const records = selectRecords(tenant, type, selection);
  for (const record of records) {
    record.archivedAt = at;
    record.updatedAt = at;
  }
  return records;
}

/** New records get ids above every existing one and generated, realistic values (linked like seeded ones). */
export function createRecords(tenant: Tenant, type: CrmObjectName, count: number, at: number): CrmRecord[] {
  const data = dataset(tenant);
  const table = data.objects[type];
  const created: CrmRecord[] = [];
  for (let i = 0; i < count; i++) {
    const record: CrmRecord = {
      id: table.nextId + tenant.mutationRng.int(0, 2),
      createdAt: at,
      updatedAt: at,
      archivedAt: null,
      properties: {},
      associations: {},
    };
    GENERATORS[type]({ rng: tenant.mutationRng, data, record });
    addRecord(table, record);
    created.push(record);
  }
  return created;
}

export function updateOwners(tenant: Tenant, selection: Selection, at: number): number[] {
  const owners = selectOwners(tenant, selection);
  for (const owner of owners) {
    owner.lastName = tenant.mutationRng.pick(LAST_NAMES.filter((name) => name !== owner.lastName));
    owner.teamId = tenant.mutationRng.pick(TEAMS).id;
    owner.updatedAt = at;
  }
  return owners.map((owner) => owner.id);
}

/** Deactivating a user archives its owner record: it leaves the default list and shows under archived=true. */
export function archiveOwners(tenant: Tenant, selection: Selection, at: number): number[] {
  const owners = selectOwners(tenant, selection);
  for (const owner of owners) {
    owner.archived = true;
    owner.updatedAt = at;
  }
  return owners.map((owner) => owner.id);
}

export function createOwners(tenant: Tenant, count: number, at: number): number[] {
  const data = dataset(tenant);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const firstName = tenant.mutationRng.pick(FIRST_NAMES);
    const lastName = tenant.mutationRng.pick(LAST_NAMES);
    const id = data.nextOwnerId;
    data.nextOwnerId += tenant.mutationRng.int(1, 40);
    data.owners.push({
      id,
      userId: 9_000_000 + id % 1_000_000,
      email: `${slug(firstName)}.${slug(lastName)}.${id}@${data.accountDomain}`,
      firstName,
      lastName,
      createdAt: at,
      updatedAt: at,
      archived: false,
      teamId: tenant.mutationRng.pick(TEAMS).id,
    });
    ids.push(id);
  }
  return ids;
}

/**
 * Checks a whole mutate call before any of it is applied, so a 400 leaves the data untouched: named ids must
 * be live, and random picks must fit in the live records the named ones leave.
 */
export function checkSelections(tenant: Tenant, object: CrmObjectName | "owners", selections: readonly Selection[]) {
  const data = dataset(tenant);
  const live =
    object === "owners"
      ? new Set(data.owners.filter((owner) => !owner.archived).map((owner) => owner.id))
      : new Set(activeRecords(data.objects[object]).map((record) => record.id));
  let named = 0;
  let picked = 0;
  for (const selection of selections) {
    const random = pickCount(selection);
    if (random) {
      picked += random.count;
      continue;
    }
    for (const id of selection as readonly string[]) {
      if (!live.has(Number(id))) throw new MutationError(`no live ${object} record with id ${id}`);
      named++;
    }
  }
  if (named + picked > live.size) throw new MutationError(`only ${live.size} live ${object} to choose from`);
}

function selectOwners(tenant: Tenant, selection: Selection) {
  const owners = dataset(tenant).owners;
  const random = pickCount(selection);
  if (random) {
    const live = owners.filter((owner) => !owner.archived && !random.exclude.has(owner.id));
    if (random.count > live.length) throw new MutationError(`only ${live.length} live owners to choose from`);
    return sample(tenant.mutationRng, live, random.count).sort((a, b) => a.id - b.id);
  }
  return (selection as readonly string[]).map((id) => {
    const owner = owners.find((candidate) => candidate.id === Number(id));
    if (!owner || owner.archived) throw new MutationError(`no live owner with id ${id}`);
    return owner;
  });
}
