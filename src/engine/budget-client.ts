/**
 * The connector-facing SharedBudget of one chunk: the loader's LoaderBudget object, with the waiting done here, on
 * the chunk's side (the object answers at once; a grant says how long to wait). A wait longer than the bound, or one
 * the chunk's signal interrupts, becomes ResumeLater: the engine ends the chunk and comes back, so no chunk spends its
 * time budget asleep. Slots held by this chunk are renewed while it lives and released when it ends.
 */
import { ResumeLater, type BudgetSlot, type SharedBudget, type SlotOptions } from "../../connectors/kit/contract";
import type { Env } from "../env";
import type { EngineClock } from "./clock";
import { loaderBudget } from "./dispatch";

const DEFAULT_SLOT_LEASE_SECONDS = 60;

export interface ChunkSharedBudget {
  budget: SharedBudget;
  /** Releases the slots this chunk took for itself and stops renewing every slot it holds. */
  close(): Promise<void>;
}

export interface BudgetClientOptions {
  clock: EngineClock;
  /** The chunk's signal: a wait it interrupts ends as ResumeLater for the time still to wait. */
  signal: AbortSignal;
  /** The default bound on one wait, in seconds. */
  maxWaitSeconds: number;
}

export function chunkBudgetFor(env: Env, loaderId: string, options: BudgetClientOptions): ChunkSharedBudget {
  const stub = loaderBudget(env, loaderId);
  const { clock, signal } = options;
  const held = new Map<string, { key: string; holder: string; ownedByChunk: boolean; timer: ReturnType<typeof setInterval> }>();
  const bound = (maxWaitSeconds?: number) => Math.max(0, maxWaitSeconds ?? options.maxWaitSeconds) * 1000;

  /** Sleeps `ms`, or throws ResumeLater for the rest of the wait if the chunk is told to stop first. */
  async function wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    const until = clock.now() + ms;
    await clock.sleep(ms, signal);
    if (signal.aborted) throw new ResumeLater(Math.max(1, Math.ceil((until - clock.now()) / 1000)), "the chunk ended while waiting for the shared budget");
  }

  async function release(id: string): Promise<void> {
    const slot = held.get(id);
    if (!slot) return;
    held.delete(id);
    clearInterval(slot.timer);
    await stub.release(slot.key, slot.holder);
  }

  const budget: SharedBudget = {
    async take(key, cost, bucket, opts) {
      const answer = await stub.take(key, cost, { capacity: bucket.capacity, refillPerSecond: bucket.refillPerSecond }, bound(opts?.maxWaitSeconds));
      if (!answer.granted) throw new ResumeLater(Math.max(1, Math.ceil(answer.retryAfterMs / 1000)), `the shared budget "${key}" has no grant for ${Math.ceil(answer.retryAfterMs / 1000)} s`);
      await wait(answer.waitMs);
    },

    async observe(key, report) {
      await stub.observe(key, { ...report });
    },

    async slot(key, limit, opts: SlotOptions = {}): Promise<BudgetSlot> {
      const holder = opts.holder ?? crypto.randomUUID();
      const leaseMs = Math.max(1, opts.leaseSeconds ?? DEFAULT_SLOT_LEASE_SECONDS) * 1000;
      const deadline = clock.now() + bound(opts.maxWaitSeconds);
      for (;;) {
        const answer = await stub.acquire(key, limit, holder, leaseMs);
        if (answer.granted) break;
        const left = deadline - clock.now();
        if (answer.retryAfterMs > left) {
          throw new ResumeLater(Math.max(1, Math.ceil(answer.retryAfterMs / 1000)), `no free slot of "${key}" (${limit} at most)`);
        }
        await wait(answer.retryAfterMs);
      }
      const id = `${key}\u0000${holder}`;
      const previous = held.get(id);
      if (previous) clearInterval(previous.timer);
      // Renewed while this chunk lives: a chunk that dies stops renewing, and its slot frees itself at the lease's end.
      const timer = setInterval(() => void stub.renew(key, holder, leaseMs).catch(() => undefined), Math.max(250, leaseMs / 3));
      held.set(id, { key, holder, ownedByChunk: opts.holder === undefined, timer });
      return { release: () => release(id) };
    },

    async pause(key, seconds) {
      await stub.pause(key, seconds);
    },
  };

  return {
    budget,
    async close() {
      for (const [id, slot] of [...held]) {
        if (slot.ownedByChunk) await release(id).catch(() => undefined);
        else {
          clearInterval(slot.timer);
          held.delete(id);
        }
      }
    },
  };
}
