/**
 * One Stripe account's data: the platform account of a tenant, or one connected account inside it. Records keep
 * their API shape; deleted ones stay stored (flagged) so GET by id and cursors can still answer for them.
 */
import type { ObjectName } from "./catalog";
import { OBJECT_NAMES, kindOf } from "./catalog";
import type { JsonObject } from "./json";
import { clone } from "./json";
import type { Rng } from "../shared/prng";
import { createRng } from "../shared/prng";
import { stripeId } from "./ids";

/** The version the fake reports as the account default; events are rendered in it (it also names the shapes served). */
export const ACCOUNT_API_VERSION = "2025-09-30.clover";
export const DAY = 86_400;
/** "Events are only guaranteed to be available for 30 days" — https://docs.stripe.com/api/events/list */
export const EVENT_RETENTION_SECONDS = 30 * DAY;

export interface StoredRecord {
  data: JsonObject;
  deleted: boolean;
  /** Every line of an invoice; `data.lines` holds only the first page, as the API embeds it. */
  lines?: JsonObject[];
}

export interface StoredEvent {
  id: string;
  created: number;
  data: JsonObject;
}

export interface EventOrigin {
  requestId: string | null;
}

export class Dataset {
  readonly accountId: string;
  /** Connected-account datasets stamp `account` on their events, as Connect webhooks do. */
  readonly connected: boolean;
  readonly rng: Rng;
  readonly clock: () => number;
  sequence = 0;
  /** The greatest timestamp stamped on anything so far; mutations always land after it. */
  latest = 0;
  /** Seeding skips events that would already be past retention. */
  retainEventsFrom = 0;
  readonly records = new Map<ObjectName, Map<string, StoredRecord>>();
  private readonly sortedCache = new Map<ObjectName, StoredRecord[]>();
  private readonly events: StoredEvent[] = [];
  private eventsDirty = false;

  constructor(options: { seed: string; accountId: string; connected: boolean; clock: () => number }) {
    this.rng = createRng(options.seed);
    this.accountId = options.accountId;
    this.connected = options.connected;
    this.clock = options.clock;
    for (const name of OBJECT_NAMES) this.records.set(name, new Map());
  }

  newId(prefix: string): string {
    this.sequence += 1;
    return stripeId(prefix, this.sequence, this.rng);
  }

  store(name: ObjectName): Map<string, StoredRecord> {
    const store = this.records.get(name);
    if (!store) throw new Error(`no store for ${name}`);
    return store;
  }

  insert(name: ObjectName, data: JsonObject, lines?: JsonObject[]): StoredRecord {
    const record: StoredRecord = lines ? { data, deleted: false, lines } : { data, deleted: false };
    this.store(name).set(data.id as string, record);
    this.sortedCache.delete(name);
    this.touch(data.created as number);
    return record;
  }

  get(name: ObjectName, id: string): StoredRecord | undefined {
    return this.store(name).get(id);
  }

  require(name: ObjectName, id: string): StoredRecord {
    const record = this.get(name, id);
    if (!record) throw new Error(`${kindOf(name).object} ${id} is not in this dataset`);
    return record;
  }

  /** Every record, deleted ones included, in the API's list order: newest `created` first, then id descending. */
  sorted(name: ObjectName): StoredRecord[] {
    let sorted = this.sortedCache.get(name);
    if (!sorted) {
      sorted = [...this.store(name).values()].sort((a, b) => compareNewestFirst(a.data, b.data));
      this.sortedCache.set(name, sorted);
    }
    return sorted;
  }

  touch(timestamp: number) {
    if (timestamp > this.latest) this.latest = timestamp;
  }

  now(): number {
    return this.clock();
  }

  /**
   * The second a control-API mutation is stamped with: the present, but never at or before anything already stored,
   * so a consumer's `created[gt]=<last seen>` picks up exactly the mutation (the records of one mutation share it).
   */
  mutationTime(): number {
    return Math.max(this.clock(), this.latest + 1);
  }

  emit(type: string, object: JsonObject, at: number, origin: EventOrigin, previous?: JsonObject) {
    this.touch(at);
    if (at < this.retainEventsFrom) return;
    const id = this.newId("evt");
    const data: JsonObject = { object: clone(object) };
    if (previous) data.previous_attributes = clone(previous);
    const event: JsonObject = { id, object: "event" };
    if (this.connected) event.account = this.accountId;
    Object.assign(event, {
      api_version: ACCOUNT_API_VERSION,
      created: at,
      data,
      livemode: false,
      pending_webhooks: 0,
      request: { id: origin.requestId, idempotency_key: null },
      type,
    });
    this.events.push({ id, created: at, data: event });
    this.eventsDirty = true;
  }

  /** Events newest first (created, then id); the listing applies retention against the clock. */
  sortedEvents(): readonly StoredEvent[] {
    if (this.eventsDirty) {
      this.events.sort((a, b) => compareNewestFirst(a.data, b.data));
      this.eventsDirty = false;
    }
    return this.events;
  }
}

export function compareNewestFirst(a: JsonObject, b: JsonObject): number {
  const byCreated = (b.created as number) - (a.created as number);
  if (byCreated !== 0) return byCreated;
  const idA = a.id as string;
  const idB = b.id as string;
  return idA < idB ? 1 : idA > idB ? -1 : 0;
}
