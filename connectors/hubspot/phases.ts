/**
 * A HubSpot read is a short sequence of phases, each one of the kit's declarative streams: an incremental read of
 * a CRM object searches the changed records, then lists the archived ones. This runs them in order and keeps one
 * checkpoint across them.
 *
 * Checkpoint: `{phase, next, cursor, upper}` — the phase to run (or "done"), its paginator state for the next
 * request (null: its first), the greatest cursor seen so far, and the run's upper bound, fixed when the run starts so
 * every chunk of it reads the same window.
 */
import type { ConnectorContext, JsonObject, JsonValue, Page, SourceRecord } from "../kit/contract";
import { type HttpStream, type HttpStreamCheckpoint, readHttpStream } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import { type CursorValue, compareCursors, isCursorValue, maxCursorOf } from "../kit/records";

export interface Phase {
  /** Names the phase in checkpoints, so a resumed chunk finds it even if the plan's length changed. */
  name: string;
  stream: HttpStream;
  /** Client-side filter for what the endpoint cannot filter itself (archived since, owners changed since). */
  keep?: (record: SourceRecord) => boolean;
}

export interface PhasedCheckpoint extends JsonObject {
  phase: string;
  next: JsonValue;
  cursor: CursorValue | null;
  upper: string;
}

export const DONE = "done";

export interface PhasedRead {
  phases: Phase[];
  /** Top-level record field whose greatest value becomes the state; null for streams without one. */
  cursorField: string | null;
  /** The committed cursor, carried forward when this run sees nothing newer. */
  committed: CursorValue | null;
  /**
   * The run's upper bound. The state never passes it: a record changed while the run pages past it is read by the
   * next run, because that run starts at or below this bound.
   */
  upper: string;
  resumed: PhasedCheckpoint | null;
}

export async function* readPhases(ctx: ConnectorContext, read: PhasedRead): AsyncGenerator<Page> {
  const { phases, cursorField, upper, resumed } = read;
  if (resumed?.phase === DONE) return;
  let index = resumed ? phases.findIndex((phase) => phase.name === resumed.phase) : 0;
  if (index < 0) throw new ConnectorError("data", `checkpoint names phase "${resumed?.phase}", which this read does not have`);
  let next: JsonValue = resumed?.next ?? null;
  let cursor: CursorValue | null = resumed ? resumed.cursor : read.committed;

  for (; index < phases.length; index++) {
    const phase = phases[index] as Phase;
    const following = phases[index + 1]?.name ?? DONE;
    const start: HttpStreamCheckpoint = { next, done: false, cursor: null };
    for await (const page of readHttpStream(ctx, phase.stream, { state: null, checkpoint: start })) {
      const records = phase.keep ? page.records.filter(phase.keep) : page.records;
      if (cursorField) cursor = atMost(maxCursorOf(records, cursorField, cursor), upper);
      const inner = page.checkpoint as HttpStreamCheckpoint;
      const checkpoint: PhasedCheckpoint = inner.done
        ? { phase: following, next: null, cursor, upper }
        : { phase: phase.name, next: inner.next, cursor, upper };
      yield { records, checkpoint, ...(cursorField ? { state: { cursor } } : {}) };
    }
    // The kit loop stops quietly between pages when the chunk is cancelled; the next phase must not start then.
    if (ctx.signal.aborted) return;
    next = null;
  }
}

function atMost(cursor: CursorValue | null, upper: string): CursorValue | null {
  return cursor !== null && compareCursors(cursor, upper) > 0 ? upper : cursor;
}

export function parsePhasedCheckpoint(checkpoint: JsonObject | null): PhasedCheckpoint | null {
  if (checkpoint === null) return null;
  const { phase, next, cursor, upper } = checkpoint;
  if (typeof phase !== "string" || next === undefined || typeof upper !== "string" || (cursor !== null && !isCursorValue(cursor))) {
    // Only readPhases writes these; another shape means the reader changed under a live run.
    throw new ConnectorError("data", `checkpoint ${JSON.stringify(checkpoint).slice(0, 200)} was not written by the HubSpot reader`);
  }
  return { phase, next, cursor, upper };
}
