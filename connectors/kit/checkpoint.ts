/**
 * The one way a reader reads back its own checkpoints. A checkpoint is only ever written by the reader that reads it,
 * so any other shape means the reader changed under a live run (a deploy between two chunks): the stream fails with
 * a data error naming the reader, rather than resuming from a guess and losing or doubling rows.
 */
import { z } from "zod";
import type { JsonObject, JsonValue } from "./contract";
import { ConnectorError } from "./errors";
import type { CursorValue } from "./records";

/** Any JSON value, `null` included (paginator states, in-slice positions). Absent is not a value. */
export const jsonValue = z.custom<JsonValue>((value) => value !== undefined && isJson(value, 0));

/** An incremental cursor as checkpoints carry it. */
export const cursorValue: z.ZodType<CursorValue> = z.union([z.string(), z.number().finite()]);

/** A calendar date, `YYYY-MM-DD`. */
export const isoDate = z.iso.date();

/**
 * A parser for one reader's checkpoints: `parse(checkpoint)` answers the typed checkpoint or throws. The schema's
 * output is what the reader works with; unknown keys are dropped, so a newer writer's extra keys do not fail an
 * older chunk.
 */
export function checkpointParser<S extends z.ZodType<JsonObject>>(reader: string, schema: S): (checkpoint: JsonObject) => z.output<S> {
  return (checkpoint) => {
    const parsed = schema.safeParse(checkpoint);
    if (parsed.success) return parsed.data;
    const where = parsed.error.issues[0]?.path.join(".") || "(top level)";
    throw new ConnectorError(
      "data",
      `checkpoint ${JSON.stringify(checkpoint).slice(0, 200)} was not written by the ${reader} reader (at ${where}); the run cannot resume from it`,
    );
  };
}

/** `checkpointParser` for a checkpoint that may be absent (a read's first chunk): null stays null. */
export function optionalCheckpoint<T>(parse: (checkpoint: JsonObject) => T): (checkpoint: JsonObject | null | undefined) => T | null {
  return (checkpoint) => (checkpoint ? parse(checkpoint) : null);
}

function isJson(value: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value as Record<string, unknown>).every((item) => isJson(item, depth + 1));
}
