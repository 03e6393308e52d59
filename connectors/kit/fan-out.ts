/**
 * Child streams read once per parent (Mailchimp members of each audience, Klaviyo profiles of each list, email
 * activity of each campaign): the parents are listed once when the read starts, then each parent's child stream is
 * a phase of a phased read (./phased.ts), so one checkpoint spans them all and a resumed chunk continues inside the
 * parent where the last one stopped. Every record gets the parent's id under `parentKey`.
 *
 * Incremental children share one lower bound (the committed cursor) and one upper bound fixed when the read starts
 * (`upper`). The state is the greatest cursor seen, never above `upper`: a child read early in the run can change
 * again while later parents are read, and such a change must stay above the state the run commits, even when a
 * later parent saw newer records.
 *
 * Checkpoint: `{phase: <parent id> | "done", next, parents, cursor, upper}`. The parent ids travel in the checkpoint
 * (an account's audiences or lists number in the tens), so every chunk of the run reads the same parents.
 */
import { z } from "zod";
import { cursorValue } from "./checkpoint";
import type { ConnectorContext, JsonObject, Page, SourceRecord } from "./contract";
import type { HttpStream } from "./declarative";
import { ConnectorError } from "./errors";
import { DONE, httpPhase, phasedCheckpoints, readPhased } from "./phased";
import { compareCursors, type CursorValue, maxCursorOf } from "./records";

/** Keeps the checkpoint well inside a queue message (128 KB) whatever the id length. */
export const MAX_PARENTS = 2000;

export interface FanOutRead {
  /** Names the reader in the error a foreign checkpoint raises. */
  reader: string;
  /** Every parent id, listed when the read starts (not called when resuming). */
  parents(ctx: ConnectorContext): Promise<string[]>;
  /** The child stream of one parent. */
  child(parentId: string): HttpStream;
  /** The record field that takes the parent's id. */
  parentKey: string;
  /** Top-level record field whose greatest value is the state; null for full-refresh-only children. */
  cursorField: string | null;
  committed: CursorValue | null;
  /** The run's upper bound (ISO timestamp), fixed at its start; the state never passes it. */
  upper: string;
  /** Client-side filter for what a child endpoint cannot filter itself. */
  keep?: (record: SourceRecord) => boolean;
  /** Turns one child record into the stream's rows (Mailchimp: a recipient's activity list, one row per action). */
  expand?: (record: SourceRecord) => SourceRecord[];
}

const carry = z.object({
  parents: z.array(z.string()).max(MAX_PARENTS),
  cursor: z.union([cursorValue, z.null()]),
  upper: z.string(),
});
type Carry = z.infer<typeof carry> & JsonObject;

export function fanOutCheckpoints(reader: string) {
  return phasedCheckpoints<Carry>({ reader, positionKey: "next", carry: carry as unknown as z.ZodType<Carry> });
}

export async function* readFanOut(ctx: ConnectorContext, read: FanOutRead, checkpoint: JsonObject | null): AsyncGenerator<Page> {
  const checkpoints = fanOutCheckpoints(read.reader);
  const resumed = checkpoints.resume(checkpoint);
  if (resumed?.phase === DONE) return;
  const state = (cursor: CursorValue | null) => (read.cursorField ? { state: { cursor } } : {});
  let at = resumed;
  if (!at) {
    const parents = [...new Set(await read.parents(ctx))];
    if (parents.length > MAX_PARENTS) {
      throw new ConnectorError("data", `${parents.length} parents are more than the ${MAX_PARENTS} one read can follow`);
    }
    const start: Carry = { parents, cursor: read.committed, upper: read.upper };
    if (parents.length === 0) {
      // Nothing to read, but the stream still ends with a checkpoint and keeps its committed state.
      yield { records: [], checkpoint: checkpoints.encode({ phase: DONE, position: null, carry: start }), ...state(read.committed) };
      return;
    }
    at = { phase: parents[0]!, position: null, carry: start };
  }
  const upper = at.carry.upper;
  const phases = at.carry.parents.map((parentId) =>
    httpPhase<Carry>(parentId, read.child(parentId), (records, current) => {
      const rows = read.expand ? records.flatMap(read.expand) : records;
      const tagged = rows.map((record) => ({ ...record, [read.parentKey]: parentId }));
      const kept = read.keep ? tagged.filter(read.keep) : tagged;
      const cursor = read.cursorField ? atMost(maxCursorOf(kept, read.cursorField, current.cursor), upper) : null;
      const next = { ...current, cursor };
      return { records: kept, carry: next, ...state(cursor) };
    }),
  );
  yield* readPhased(ctx, checkpoints, phases, at);
}

function atMost(cursor: CursorValue | null, upper: string): CursorValue | null {
  return cursor !== null && compareCursors(cursor, upper) > 0 ? upper : cursor;
}
