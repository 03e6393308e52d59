/**
 * The read loop shared by declarative HTTP streams (rest_api, and the SaaS connectors whose APIs are plain paged
 * JSON): request a page, extract its records, track the greatest cursor, ask the paginator for the next page, yield.
 *
 * Checkpoint after each page: `{next, done, cursor}` — the paginator state of the NEXT request, whether the stream
 * ended, and the greatest cursor seen so far (including the committed state's). Resuming from it continues exactly
 * after that page; resuming from a `done` checkpoint reads nothing, so a redelivered final chunk cannot restart
 * the stream from page one.
 */
import type { ConnectorContext, JsonObject, JsonValue, Page, SourceRecord } from "./contract";
import { z } from "zod";
import { checkpointParser, cursorValue as cursorValueSchema, jsonValue } from "./checkpoint";
import type { HttpRequest } from "./http";
import { applyPatch, type Paginator } from "./paginators";
import { type CursorValue, extractRecords, isCursorValue, maxCursorOf } from "./records";

export interface HttpStream {
  /** The first page's request (URL or path, query including any incremental lower bound, headers). */
  request: HttpRequest;
  paginator: Paginator;
  /** Dot path to the records array; absent when the body is the array. */
  recordsPath?: string;
  /** Field (dot path) whose greatest value becomes the stream state; null for streams without a cursor. */
  cursorField?: string | null;
  /** Shapes each record after extraction (flattening, adding a parent's key). */
  mapRecord?: (record: SourceRecord) => SourceRecord;
}

export interface HttpStreamCheckpoint extends JsonObject {
  next: JsonValue;
  done: boolean;
  cursor: CursorValue | null;
}

export interface ReadPosition {
  /** The committed stream state (`{cursor}`), to carry forward when this run sees no newer record. */
  state: JsonObject | null;
  checkpoint: JsonObject | null;
}

export async function* readHttpStream(ctx: ConnectorContext, stream: HttpStream, position: ReadPosition): AsyncGenerator<Page> {
  const resumed = position.checkpoint ? parseCheckpoint(position.checkpoint) : null;
  if (resumed?.done) return;
  const cursorField = stream.cursorField ?? null;
  let pageState: JsonValue = resumed ? resumed.next : null;
  let cursor: CursorValue | null = resumed ? resumed.cursor : stateCursor(position.state);

  for (;;) {
    // Stop between pages: the engine aborts when the run is cancelled or the chunk's time budget is spent.
    if (ctx.signal.aborted) return;
    const request = applyPatch(stream.request, stream.paginator.request(pageState));
    const result = await ctx.http.request({ ...request, expect: "json" });
    const body = result.json();
    const raw = extractRecords(body, stream.recordsPath);
    const records = stream.mapRecord ? raw.map(stream.mapRecord) : raw;
    if (cursorField) cursor = maxCursorOf(records, cursorField, cursor);
    const following = stream.paginator.next(pageState, { body, headers: result.headers, url: result.url, records: raw });
    const checkpoint: HttpStreamCheckpoint = { next: following, done: following === null, cursor };
    yield { records, checkpoint, ...(cursorField ? { state: { cursor } } : {}) };
    if (following === null) return;
    pageState = following;
  }
}

const parseCheckpoint = checkpointParser(
  "declarative HTTP",
  z.object({ next: jsonValue, done: z.boolean(), cursor: cursorValueSchema.nullable() }),
);

export function stateCursor(state: JsonObject | null): CursorValue | null {
  const cursor = state?.cursor;
  return isCursorValue(cursor) ? cursor : null;
}
