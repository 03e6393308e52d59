/** The in-memory shapes of one tenant's CRM data, shared by the generator, the mutations and the views. */
import type { CrmObjectName } from "./catalog";

export interface AssociationLink {
  id: number;
  /** True when the company on either side of this link is the record's primary company. */
  primary: boolean;
}

export interface CrmRecord {
  id: number;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
  /** Stored values only; hs_object_id, createdate and the last-modified property are derived on read. */
  properties: Record<string, string>;
  associations: Partial<Record<CrmObjectName, AssociationLink[]>>;
}

export interface ObjectTable {
  /** Ascending id order; ids only ever grow, so appends keep it sorted. */
  records: CrmRecord[];
  byId: Map<number, CrmRecord>;
  nextId: number;
}

export interface OwnerRecord {
  id: number;
  userId: number;
  email: string;
  firstName: string;
  lastName: string;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
  teamId: string;
}

export interface Dataset {
  objects: Record<CrmObjectName, ObjectTable>;
  owners: OwnerRecord[];
  nextOwnerId: number;
  /** The account's own mail domain, which owners' emails use. */
  accountDomain: string;
  usedEmails: Set<string>;
  usedDomains: Set<string>;
}

export type CountKey = CrmObjectName | "owners";
export type Counts = Record<CountKey, number>;

export function addRecord(table: ObjectTable, record: CrmRecord) {
  table.records.push(record);
  table.byId.set(record.id, record);
  table.nextId = Math.max(table.nextId, record.id + 1);
}

/** Associations are symmetric in HubSpot: a link is always stored on both records. */
export function link(
  from: CrmRecord,
  fromType: CrmObjectName,
  to: CrmRecord,
  toType: CrmObjectName,
  primary = false,
) {
  const add = (record: CrmRecord, type: CrmObjectName, id: number) => {
    const links = (record.associations[type] ??= []);
    if (!links.some((existing) => existing.id === id)) links.push({ id, primary });
  };
  add(from, toType, to.id);
  add(to, fromType, from.id);
}

export function primaryLink(record: CrmRecord, type: CrmObjectName): number | undefined {
  return record.associations[type]?.find((candidate) => candidate.primary)?.id;
}

export function activeRecords(table: ObjectTable): CrmRecord[] {
  return table.records.filter((record) => record.archivedAt === null);
}
