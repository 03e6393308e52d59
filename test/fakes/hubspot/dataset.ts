/**
 * A tenant's deterministic dataset: the same tenant id and counts always give the same records, ids and
 * timestamps. Records are created over nine months; ids grow with creation time as HubSpot's do; many
 * records share a modification instant (bulk imports and workflow runs), so cursors meet real ties.
 */
import { CRM_OBJECT_NAMES, type CrmObjectName } from "./catalog";
import { slug } from "./gen-helpers";
import { GENERATION_ORDER, GENERATORS } from "./generators";
import { createRng, type Rng } from "../shared/prng";
import { addRecord, type Counts, type CrmRecord, type Dataset, type ObjectTable, type OwnerRecord } from "./records";
import { COMPANY_STEMS, FIRST_NAMES, LAST_NAMES, TEAMS } from "./words";

export const DATA_START = Date.parse("2025-01-06T08:00:00.000Z");
/** The dataset's "now": nothing is created or modified after it until a mutation moves the clock on. */
export const DATA_END = Date.parse("2025-09-30T18:00:00.000Z");

export const DEFAULT_COUNTS: Readonly<Counts> = {
  owners: 24,
  companies: 500,
  contacts: 2400,
  deals: 900,
  tickets: 700,
  products: 40,
  line_items: 1500,
  calls: 600,
  emails: 900,
  meetings: 300,
  notes: 800,
  tasks: 500,
};

/** Different id ranges per type, so mixing up object types in a connector shows up as missing ids. */
const ID_BASES: Readonly<Record<CrmObjectName, number>> = {
  contacts: 101,
  companies: 4_000_000_001,
  deals: 7_000_000_001,
  tickets: 1_500_000_001,
  products: 900_000_001,
  line_items: 2_600_000_001,
  calls: 40_000_000_001,
  emails: 41_000_000_001,
  meetings: 42_000_000_001,
  notes: 43_000_000_001,
  tasks: 44_000_000_001,
};

function emptyTable(type: CrmObjectName): ObjectTable {
  return { records: [], byId: new Map(), nextId: ID_BASES[type] };
}

/**
 * Some creations land in the same millisecond (an import), some in the same second with other milliseconds
 * (which a cursor truncated to seconds gets wrong); the rest are spread at HubSpot's millisecond precision.
 */
function creationTimes(rng: Rng, count: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const previous = times[times.length - 1];
    if (previous !== undefined && rng.chance(0.12)) times.push(previous);
    else if (previous !== undefined && rng.chance(0.06)) times.push(Math.floor(previous / 1000) * 1000 + rng.int(0, 999));
    else times.push(DATA_START + Math.floor(rng.next() * (DATA_END - DATA_START - 86_400_000)));
  }
  return times.sort((a, b) => a - b);
}

/** A dozen bulk-edit instants per object type: every record touched by one shares its exact timestamp. */
function bulkEditInstants(rng: Rng): number[] {
  return Array.from({ length: 12 }, () => DATA_START + rng.int(1, (DATA_END - DATA_START) / 1000) * 1000).sort(
    (a, b) => a - b,
  );
}

function modificationTime(rng: Rng, createdAt: number, bulk: readonly number[]): number {
  if (rng.chance(0.2)) return createdAt;
  const later = bulk.filter((instant) => instant > createdAt);
  if (later.length > 0 && rng.chance(0.35)) return rng.pick(later);
  const span = DATA_END - createdAt;
  return Math.min(DATA_END, createdAt + 60_000 + Math.floor(rng.next() * rng.next() * span));
}

function generateOwners(rng: Rng, count: number, accountDomain: string): OwnerRecord[] {
  const owners: OwnerRecord[] = [];
  const emails = new Set<string>();
  let id = 30_000_001;
  const archivedFrom = count - Math.floor(count / 8);
  for (let i = 0; i < count; i++) {
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    let email = `${slug(firstName)}.${slug(lastName)}@${accountDomain}`;
    for (let n = 2; emails.has(email); n++) email = `${slug(firstName)}.${slug(lastName)}${n}@${accountDomain}`;
    emails.add(email);
    const createdAt = DATA_START - rng.int(30, 400) * 86_400_000 + rng.int(0, 86_399_999);
    owners.push({
      id,
      userId: 8_100_000 + i * 17 + rng.int(0, 9),
      email,
      firstName,
      lastName,
      createdAt,
      updatedAt: Math.min(DATA_END, createdAt + rng.int(0, 500) * 86_400_000),
      archived: i >= archivedFrom,
      teamId: rng.pick(TEAMS).id,
    });
    id += rng.int(1, 40);
  }
  return owners;
}

export function generateDataset(tenant: string, counts: Counts): Dataset {
  const rng = createRng(`hubspot-dataset:${tenant}`);
  const accountDomain = `${slug(rng.pick(COMPANY_STEMS))}-${slug(tenant).slice(0, 24) || "account"}.example`;
  const owners = generateOwners(rng, counts.owners, accountDomain);
  const data: Dataset = {
    objects: Object.fromEntries(CRM_OBJECT_NAMES.map((name) => [name, emptyTable(name)])) as Record<
      CrmObjectName,
      ObjectTable
    >,
    owners,
    nextOwnerId: (owners[owners.length - 1]?.id ?? 30_000_000) + 1,
    accountDomain,
    usedEmails: new Set(),
    usedDomains: new Set(),
  };
  for (const type of GENERATION_ORDER) {
    const table = data.objects[type];
    const bulk = bulkEditInstants(rng);
    let id = table.nextId;
    for (const createdAt of creationTimes(rng, counts[type])) {
      const record: CrmRecord = {
        id,
        createdAt,
        updatedAt: modificationTime(rng, createdAt, bulk),
        archivedAt: null,
        properties: {},
        associations: {},
      };
      GENERATORS[type]({ rng, data, record });
      addRecord(table, record);
      id += rng.int(1, 3);
    }
  }
  // About 2 % were deleted before "now" (at least one of any ten or more), so archived=true lists are not
  // empty on a fresh seed.
  for (const type of GENERATION_ORDER) {
    const records = data.objects[type].records;
    const doomed = records.filter(() => rng.chance(0.02));
    if (doomed.length === 0 && records.length >= 10) doomed.push(rng.pick(records));
    for (const record of doomed) {
      record.archivedAt = record.updatedAt + Math.floor(rng.next() * (DATA_END - record.updatedAt));
      record.updatedAt = record.archivedAt;
    }
  }
  return data;
}
