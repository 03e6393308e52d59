/**
 * Phased reads: a stream read as a short sequence of named phases, each an async source of pages (HubSpot: search the
 * changed records, then list the archived ones; Stripe: the object list, or the events since the cursor). One
 * checkpoint spans them: it names the phase to run, its position inside that phase, and whatever the reader carries
 * across pages, chunks and phases (a run's fixed bounds, the greatest cursor so far, tie-breaking ids).
 *
 * Checkpoint: `{phase, <positionKey>: position, ...carry}`, flat so it stays small in queue messages. A phase starts
 * at position null. A page whose position is null ends its phase: the checkpoint names the next phase (or "done"),
 * so a resumed chunk neither repeats the phase nor skips the next one. A phase whose position can say "finished"
 * by itself (the kit's declarative checkpoint with `done: true`) may keep it instead; the phase then ends when its
 * source does. Phases are found by name, not index, so a resumed chunk finds its phase even if the plan's length
 * changed.
 */
import { z } from "zod";
import { checkpointParser, jsonValue } from "./checkpoint";
import type { ConnectorContext, JsonObject, JsonValue, Page, SourceRecord } from "./contract";
import { type HttpStream, type HttpStreamCheckpoint, readHttpStream } from "./declarative";
import { ConnectorError } from "./errors";

/** The phase name of a finished read: resuming from it reads nothing. */
export const DONE = "done";

export interface PhasePage<C extends JsonObject> {
  records: SourceRecord[];
  /** Where this phase resumes after this page; null: the phase ended with this page. */
  position: JsonValue;
  /** What the reader carries forward, as of this page. */
  carry: C;
  /** The stream state to commit if the stream ends after this page. */
  state?: JsonObject;
}

export interface Phase<C extends JsonObject> {
  name: string;
  /** Pages from `position` (null: the phase's start), given what the read carries at that point. */
  pages(ctx: ConnectorContext, position: JsonValue, carry: C): AsyncIterable<PhasePage<C>>;
}

export interface PhasedLayout<C extends JsonObject> {
  /** Names the reader in the error a foreign checkpoint raises. */
  reader: string;
  /** The checkpoint key holding the phase's position. */
  positionKey: string;
  /** The carried fields (top-level keys of the checkpoint besides `phase` and the position). */
  carry: z.ZodType<C>;
  /** The position's shape, where the reader knows it; any JSON value otherwise. */
  position?: z.ZodType<JsonValue>;
}

/** Where a phased read stands: the phase to run, its position, and what is carried. */
export interface PhasedPosition<C extends JsonObject> {
  phase: string;
  position: JsonValue;
  carry: C;
}

export interface PhasedCheckpoints<C extends JsonObject> {
  /** The position a checkpoint names, or null without one; a checkpoint of another shape is a data error. */
  resume(checkpoint: JsonObject | null | undefined): PhasedPosition<C> | null;
  encode(at: PhasedPosition<C>): JsonObject;
}

export function phasedCheckpoints<C extends JsonObject>(layout: PhasedLayout<C>): PhasedCheckpoints<C> {
  const { positionKey } = layout;
  if (positionKey === "phase") throw new Error('the position key cannot be "phase"');
  const parse = checkpointParser(
    layout.reader,
    z.looseObject({ phase: z.string().min(1), [positionKey]: layout.position ?? jsonValue }) as unknown as z.ZodType<JsonObject>,
  );
  const parseCarry = checkpointParser(layout.reader, layout.carry as unknown as z.ZodType<JsonObject>);
  return {
    resume(checkpoint) {
      if (!checkpoint) return null;
      const parsed = parse(checkpoint);
      const { phase: _phase, [positionKey]: _position, ...rest } = checkpoint;
      return { phase: parsed.phase as string, position: parsed[positionKey] as JsonValue, carry: parseCarry(rest) as C };
    },
    encode: ({ phase, position, carry }) => {
      const taken = Object.keys(carry).find((key) => key === "phase" || key === positionKey);
      if (taken) throw new Error(`carried field "${taken}" would overwrite the phase or its position`);
      return { phase, [positionKey]: position, ...carry };
    },
  };
}

/**
 * Runs `phases` from `at` (a resumed position, or the first phase at position null), yielding each page with the
 * checkpoint that resumes right after it. Stops between pages and before a phase when the engine aborts.
 */
export async function* readPhased<C extends JsonObject>(
  ctx: ConnectorContext,
  checkpoints: PhasedCheckpoints<C>,
  phases: readonly Phase<C>[],
  at: PhasedPosition<C>,
): AsyncGenerator<Page> {
  if (at.phase === DONE) return;
  let index = phases.findIndex((phase) => phase.name === at.phase);
  if (index < 0) throw new ConnectorError("data", `checkpoint names phase "${at.phase}", which this read does not have`);
  let position = at.position;
  let carry = at.carry;

  for (; index < phases.length; index++) {
    if (ctx.signal.aborted) return;
    const phase = phases[index] as Phase<C>;
    const following = phases[index + 1]?.name ?? DONE;
    for await (const page of phase.pages(ctx, position, carry)) {
      carry = page.carry;
      const checkpoint = checkpoints.encode(page.position === null ? { phase: following, position: null, carry } : { phase: phase.name, position: page.position, carry });
      yield { records: page.records, checkpoint, ...(page.state ? { state: page.state } : {}) };
    }
    // A source stops quietly between pages when the chunk is cancelled; the next phase must not start then.
    if (ctx.signal.aborted) return;
    position = null;
  }
}

/**
 * A phase over the kit's declarative loop whose position is the paginator state of the next request (null at the
 * phase's end). `shape` turns a page's records into the phase's records and the new carry, e.g. filtering what the
 * endpoint cannot filter and tracking the greatest cursor.
 */
export function httpPhase<C extends JsonObject>(
  name: string,
  stream: HttpStream,
  shape: (records: SourceRecord[], carry: C) => { records: SourceRecord[]; carry: C; state?: JsonObject },
): Phase<C> {
  return {
    name,
    async *pages(ctx, position, start) {
      let carry = start;
      const from: HttpStreamCheckpoint = { next: position, done: false, cursor: null };
      for await (const page of readHttpStream(ctx, stream, { state: null, checkpoint: from })) {
        const shaped = shape(page.records, carry);
        carry = shaped.carry;
        const inner = page.checkpoint as HttpStreamCheckpoint;
        yield { records: shaped.records, position: inner.done ? null : inner.next, carry, ...(shaped.state ? { state: shaped.state } : {}) };
      }
    },
  };
}
