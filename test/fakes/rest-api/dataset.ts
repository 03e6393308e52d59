/**
 * One tenant's items, kept sorted by (updated_at, id) — the order every list endpoint answers in — so that an
 * `updated_since` filter or a keyset cursor is a binary search and a page is a slice. Each item's JSON is cached
 * and reused until the item changes, so a page costs its own size, never the dataset's.
 */

export const DEFAULT_ITEM_COUNT = 1000;
export const MAX_ITEM_COUNT = 1_000_000;

/** The wire shape of an item. */
export interface Item {
  id: number;
  name: string;
  status: "active" | "archived";
  amount: number;
  updated_at: string;
  created_at: string;
  tags: string[];
  owner: { id: number; email: string };
}

interface StoredItem {
  id: number;
  revision: number;
  updatedMs: number;
  createdMs: number;
  json: string | undefined;
  /** Fields a test set on the item (a new field, or another type for an existing one: an API's schema changing). */
  extra?: Record<string, unknown>;
}

/** A position in the (updated_at, id) order: the last item a cursor has returned. */
export interface SortKey {
  updatedMs: number;
  id: number;
}

const BASE_MS = Date.UTC(2024, 0, 1);
const SECOND_MS = 1000;
const DAY_MS = 86_400_000;
/** Items per updated_at second: ties are the case incremental cursors get wrong, so every second holds several. */
const ITEMS_PER_SECOND = 3;
const BUCKET_SPACING_MS = 60 * SECOND_MS;
/** A prime above MAX_ITEM_COUNT, hence coprime with any bucket count: id → bucket is a balanced shuffle. */
const SHUFFLE_PRIME = 1_000_003;
const TAGS = ["red", "green", "blue", "vip"] as const;
const OWNER_COUNT = 50;

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a.updatedMs - b.updatedMs || a.id - b.id;
}

function toItem(stored: StoredItem): Item {
  const { id } = stored;
  const ownerId = (id % OWNER_COUNT) + 1;
  return {
    id,
    name: stored.revision === 0 ? `Item ${id}` : `Item ${id} (rev ${stored.revision})`,
    status: id % 5 === 0 ? "archived" : "active",
    amount: ((id * 1237) % 100_000) / 100,
    updated_at: isoSeconds(stored.updatedMs),
    created_at: isoSeconds(stored.createdMs),
    tags: TAGS.filter((_, bit) => (id >> bit) & 1),
    owner: { id: ownerId, email: `owner${ownerId}@example.com` },
    ...stored.extra,
  };
}

export class Dataset {
  /** Sorted by (updatedMs, id). */
  private sorted: StoredItem[] = [];
  private byId = new Map<number, StoredItem>();
  private lastId = 0;

  constructor(count: number) {
    const buckets = Math.max(1, Math.ceil(count / ITEMS_PER_SECOND));
    for (let id = 1; id <= count; id++) {
      const updatedMs = BASE_MS + ((id * SHUFFLE_PRIME) % buckets) * BUCKET_SPACING_MS;
      this.add({ id, revision: 0, updatedMs, createdMs: updatedMs - ((id % 97) + 1) * DAY_MS, json: undefined });
    }
    this.sorted.sort(compareKeys);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Index of the first item with updated_at >= sinceMs (inclusive, as the contract promises). */
  lowerBound(sinceMs: number): number {
    return this.search((item) => item.updatedMs >= sinceMs);
  }

  /** Index of the first item strictly after `key`. */
  after(key: SortKey): number {
    return this.search((item) => compareKeys(item, key) > 0);
  }

  keyAt(index: number): SortKey | undefined {
    const item = this.sorted[index];
    return item && { updatedMs: item.updatedMs, id: item.id };
  }

  /** `[start, end)` of the sorted items as a JSON array text. */
  jsonSlice(start: number, end: number): string {
    const parts = this.sorted.slice(start, end).map((item) => (item.json ??= JSON.stringify(toItem(item))));
    return `[${parts.join(",")}]`;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /**
   * Gives the items one new updated_at, later than every other item's, and a new name; they move to the end.
   * `fields` are set on them from then on (Item's fields replaced, or new ones).
   */
  touch(ids: number[], fields?: Record<string, unknown>): { ids: number[]; updatedMs: number } {
    const touched = new Set(ids);
    const updatedMs = this.nextUpdatedMs();
    this.sorted = this.sorted.filter((item) => !touched.has(item.id));
    for (const id of [...touched].sort((a, b) => a - b)) {
      const item = this.byId.get(id);
      if (!item) continue;
      item.revision += 1;
      item.updatedMs = updatedMs;
      if (fields) item.extra = { ...item.extra, ...fields };
      item.json = undefined;
      this.sorted.push(item);
    }
    return { ids: [...touched].sort((a, b) => a - b), updatedMs };
  }

  /** Appends `count` new items (next ids) sharing one updated_at later than every existing item's. */
  insert(count: number): { firstId: number; lastId: number; updatedMs: number } {
    const updatedMs = this.nextUpdatedMs();
    const firstId = this.lastId + 1;
    for (let id = firstId; id < firstId + count; id++) {
      this.add({ id, revision: 0, updatedMs, createdMs: updatedMs, json: undefined });
    }
    return { firstId, lastId: firstId + count - 1, updatedMs };
  }

  private add(item: StoredItem): void {
    this.sorted.push(item);
    this.byId.set(item.id, item);
    this.lastId = Math.max(this.lastId, item.id);
  }

  /** Deterministic, not the wall clock, so that tests can predict it: one second after the newest item. */
  private nextUpdatedMs(): number {
    const last = this.sorted[this.sorted.length - 1];
    return (last ? last.updatedMs : BASE_MS) + SECOND_MS;
  }

  /** First index whose item satisfies `isAtOrAfter` (a predicate monotonic over the sorted order). */
  private search(isAtOrAfter: (item: StoredItem) => boolean): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const item = this.sorted[middle];
      if (item && isAtOrAfter(item)) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
