/**
 * A HubSpot read is a short sequence of phases, each one of the kit's declarative streams: an incremental read of
 * a CRM object searches the changed records, then lists the archived ones. The kit's phased read runs them in order
 * and keeps one checkpoint across them (kit/phased.ts).
 *
 * Checkpoint: `{phase, next, cursor, upper}` — the phase to run (or "done"), its paginator state for the next
 * request (null: its first), the greatest cursor seen so far, and the run's upper bound, fixed when the run starts so
 * every chunk of it reads the same window.
 */
import { z } from "zod";
import { cursorValue } from "../kit/checkpoint";
import type { ConnectorContext, Page, SourceRecord } from "../kit/contract";
import type { HttpStream } from "../kit/declarative";
import { httpPhase, type PhasedPosition, phasedCheckpoints, readPhased } from "../kit/phased";
import { type CursorValue, compareCursors, maxCursorOf } from "../kit/records";

export { DONE } from "../kit/phased";

export interface Phase {
  /** Names the phase in checkpoints, so a resumed chunk finds it even if the plan's length changed. */
  name: string;
  stream: HttpStream;
  /** Client-side filter for what the endpoint cannot filter itself (archived since, owners changed since). */
  keep?: (record: SourceRecord) => boolean;
}

const carried = z.object({ cursor: cursorValue.nullable(), upper: z.string() });
type Carried = z.output<typeof carried>;

export const hubspotCheckpoints = phasedCheckpoints<Carried>({ reader: "HubSpot", positionKey: "next", carry: carried });

export type PhasedCheckpoint = PhasedPosition<Carried>;

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

export function readPhases(ctx: ConnectorContext, read: PhasedRead): AsyncGenerator<Page> {
  const { cursorField, upper } = read;
  const phases = read.phases.map(({ name, stream, keep }) =>
    httpPhase<Carried>(name, stream, (page, carry) => {
      const records = keep ? page.filter(keep) : page;
      const cursor = cursorField ? atMost(maxCursorOf(records, cursorField, carry.cursor), upper) : carry.cursor;
      return { records, carry: { cursor, upper }, ...(cursorField ? { state: { cursor } } : {}) };
    }),
  );
  const start: PhasedCheckpoint = { phase: phases[0]?.name ?? "", position: null, carry: { cursor: read.committed, upper } };
  return readPhased(ctx, hubspotCheckpoints, phases, read.resumed ?? start);
}

function atMost(cursor: CursorValue | null, upper: string): CursorValue | null {
  return cursor !== null && compareCursors(cursor, upper) > 0 ? upper : cursor;
}
