/**
 * How a Shopify stream is read (research/connectors-saas.md §4; DESIGN §5.2):
 * - Every read covers a window of `updatedAt`: from the committed cursor less OVERLAP_SECONDS (or start_date) up to
 *   the read's start, both sent as `query: "updated_at:>='…' AND updated_at:<='…'"`. The state committed at the end
 *   is the window's upper bound; nothing before it is committed while any part of the window is unread.
 * - Bulk streams submit `bulkOperationRunQuery` for the window, holding one of the shop's concurrent bulk slots
 *   (five from 2026-01) in the loader's shared budget, and poll the operation across chunks: between polls the chunk
 *   ends with `resumeAfterSeconds`, the job's id in the checkpoint, so a redelivered chunk polls the same job. The
 *   JSONL result is read as a stream a page at a time, the line and byte offset in the checkpoint, so a consumer
 *   killed mid-file resumes with `Range` from the last committed line. A job that ends FAILED, CANCELED or EXPIRED
 *   is submitted again for each half of its window (a bounded number of times); its partial data is never used.
 * - Paged streams send `first`/`after` queries, sorted by UPDATED_AT where the connection can be.
 */
import { z } from "zod";
import { checkpointParser, jsonValue, optionalCheckpoint } from "../kit/checkpoint";
import { type BudgetSlot, type ConnectorContext, isResumeLater, type JsonObject, type Page, type ReadRequest, type SourceRecord } from "../kit/contract";
import { stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import { DELETED_AT_FIELD } from "../kit/records";
import { jsonLines } from "../kit/streams";
import { bulkConcurrency, MAX_QUERY_COST, type ShopifyClient } from "./client";
import type { ShopifyConfig } from "./spec";
import type { ShopifyStream } from "./streams";

/** Re-read this much before the committed cursor: an object saved in the second the last read started is not lost. */
export const OVERLAP_SECONDS = 300;
/** Records per page of a result file: memory stays bounded by a page, whatever the file's size. */
export const PAGE_RECORDS = 1000;
/** Bulk jobs of one read that may end without a result before the stream fails with Shopify's error code. */
export const MAX_BULK_FAILURES = 4;
/** A window is not split below this; a job failing on it is submitted again as it is. */
const MIN_WINDOW_SECONDS = 60;
/** Shopify's founding: the lower bound of a window to split when the read has none. */
const EPOCH = "2006-01-01T00:00:00Z";
/** Slot lease of a running job: longer than the longest wait between two polls, which renew it. */
const SLOT_LEASE_SECONDS = 900;
const MAX_POLL_SECONDS = 60;
/** When every bulk slot of the shop is taken: come back after this long (jobs take seconds to minutes). */
const SLOT_WAIT_SECONDS = 5;

const searchTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

const windowSchema = z.object({ gte: z.string().optional(), gt: z.string().optional(), lte: z.string() });
type Window = z.infer<typeof windowSchema>;

const bulkCheckpoint = z.object({
  kind: z.literal("bulk"),
  upper: z.string(),
  windows: z.array(windowSchema),
  failures: z.number().int(),
  holder: z.string(),
  job: z.string().nullable(),
  polls: z.number().int(),
  url: z.string().nullable(),
  line: z.number().int(),
  byteEnd: z.number().int(),
  parent: z.object({ id: z.string(), updatedAt: jsonValue }).nullable(),
  /** The read's whole window (before any split), for its deletion events. */
  span: windowSchema,
  /** Deletion events still to read (incremental reads of products and collections); null: none or done. */
  deletions: z.object({ after: z.string().nullable() }).nullable(),
});
type BulkCheckpoint = z.infer<typeof bulkCheckpoint>;

const pagedCheckpoint = z.object({
  kind: z.literal("paged"),
  upper: z.string(),
  window: windowSchema,
  after: z.string().nullable(),
  /** Every page of the connection is read (deletion events may follow). */
  listed: z.boolean(),
  deletions: z.object({ after: z.string().nullable() }).nullable(),
});
type PagedCheckpoint = z.infer<typeof pagedCheckpoint>;

const parseCheckpoint = optionalCheckpoint(checkpointParser("Shopify", z.union([bulkCheckpoint, pagedCheckpoint]) as unknown as z.ZodType<JsonObject>));

function searchOf(window: Window | null): string | null {
  if (!window) return null;
  const lower = window.gte ? `updated_at:>='${window.gte}'` : window.gt ? `updated_at:>'${window.gt}'` : null;
  return [lower, `updated_at:<='${window.lte}'`].filter(Boolean).join(" AND ");
}

/** The read's window: from the committed cursor less the overlap (or start_date) to the read's start. */
function firstWindow(ctx: ConnectorContext, config: ShopifyConfig, request: ReadRequest): Window {
  const upper = searchTime(ctx.now().getTime());
  const committed = request.sync_mode === "incremental" ? stateCursor(request.state) : null;
  if (committed !== null) return { gte: searchTime(Date.parse(String(committed)) - OVERLAP_SECONDS * 1000), lte: upper };
  if (config.start_date) return { gte: `${config.start_date}T00:00:00Z`, lte: upper };
  return { lte: upper };
}

/** Halves of a window, the second starting strictly after the first ends (no object is read twice). */
function split(window: Window): Window[] {
  const from = Date.parse(window.gte ?? window.gt ?? EPOCH);
  const to = Date.parse(window.lte);
  if (to - from < MIN_WINDOW_SECONDS * 2 * 1000) return [window];
  const mid = searchTime(from + (to - from) / 2);
  const first: Window = window.gt ? { gt: window.gt, lte: mid } : { gte: window.gte ?? EPOCH, lte: mid };
  return [first, { gt: mid, lte: window.lte }];
}

/** Objects in the node selection: each costs 1 point (research §4 "Rate limits"), connections are not used here. */
function nodeCost(select: string): number {
  return 1 + (select.match(/\{/g)?.length ?? 0);
}

function rootArgs(stream: ShopifyStream, window: Window | null): string {
  const search = stream.filterable ? searchOf(window) : null;
  return search ? `(query: ${JSON.stringify(search)})` : "";
}

/** The bulk query for a window: the node's fields, or the parent's id and updatedAt with the child nested. */
export function bulkQuery(stream: ShopifyStream, window: Window | null): string {
  const child = stream.child;
  const node = !child
    ? stream.select
    : child.kind === "connection"
      ? `id updatedAt ${child.field}${child.args ?? ""} { edges { node { ${stream.select} } } }`
      : `id updatedAt ${child.field}${child.args ?? ""} { ${stream.select} }`;
  return `{ ${stream.root}${rootArgs(stream, window)} { edges { node { ${node} } } } }`;
}

export function pagedQuery(stream: ShopifyStream): string {
  const filter = stream.filterable ? ", $query: String" : "";
  const args = `first: $first, after: $after${stream.filterable ? ", query: $query" : ""}${stream.sortKey ? `, sortKey: ${stream.sortKey}` : ""}`;
  return `query ShopifyPage($first: Int!, $after: String${filter}) { ${stream.root}(${args}) { nodes { ${stream.select} } pageInfo { hasNextPage endCursor } } }`;
}

const RUN_BULK = `mutation ShopifyBulkRun($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } } }`;
const POLL_BULK = `query ShopifyBulkPoll($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } } }`;

interface BulkOperation {
  id: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELED" | "CANCELING" | "EXPIRED";
  errorCode: string | null;
  objectCount: string | null;
  url: string | null;
}

export async function* readShopifyStream(
  ctx: ConnectorContext,
  client: ShopifyClient,
  config: ShopifyConfig,
  request: ReadRequest,
  stream: ShopifyStream,
): AsyncGenerator<Page> {
  const resumed = parseCheckpoint(request.checkpoint) as (BulkCheckpoint | PagedCheckpoint) | null;
  // Deleted objects leave no trace but their deletion event; a full_refresh run replaces the table instead.
  const deletions = stream.deletions && request.sync_mode === "incremental" ? { after: null } : null;
  if (stream.mode === "paged") {
    const start: PagedCheckpoint = resumed?.kind === "paged" ? resumed : { kind: "paged", ...windowed(ctx, config, request), after: null, listed: false, deletions };
    yield* readPaged(ctx, client, stream, start);
    return;
  }
  // The slot's holder is the stream (one read of it at a time per loader): a chunk redelivered before its first
  // checkpoint was committed renews the same slot instead of taking a second one.
  const start: BulkCheckpoint =
    resumed?.kind === "bulk"
      ? resumed
      : (() => {
          const window = firstWindow(ctx, config, request);
          return { kind: "bulk", upper: window.lte, windows: [window], failures: 0, holder: `bulk:${request.stream.name}`, job: null, polls: 0, url: null, line: 0, byteEnd: 0, parent: null, span: window, deletions };
        })();
  yield* readBulk(ctx, client, stream, start);
}

function windowed(ctx: ConnectorContext, config: ShopifyConfig, request: ReadRequest) {
  const window = firstWindow(ctx, config, request);
  return { upper: window.lte, window };
}

type Connection = { nodes: SourceRecord[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** A connection's pages from `after` on; each page's checkpoint is `checkpointAt(the cursor to go on from, or null at the end)`. */
async function* pages(
  ctx: ConnectorContext,
  client: ShopifyClient,
  root: string,
  text: string,
  variables: Record<string, unknown>,
  cost: number,
  after: string | null,
  checkpointAt: (after: string | null) => JsonObject,
  mapRecord: (node: SourceRecord) => SourceRecord = (node) => node,
): AsyncGenerator<Page> {
  const first = Math.min(250, Math.floor((MAX_QUERY_COST - 2) / cost));
  for (;;) {
    const { data } = await client.query<Record<string, Connection>>(text, { first, after, ...variables }, 2 + first * cost);
    const connection = data[root]!;
    const more = connection.pageInfo.hasNextPage && connection.pageInfo.endCursor !== null;
    after = more ? connection.pageInfo.endCursor : null;
    yield { records: connection.nodes.map(mapRecord), checkpoint: checkpointAt(after) };
    if (!more || ctx.signal.aborted) return;
  }
}

async function* readPaged(ctx: ConnectorContext, client: ShopifyClient, stream: ShopifyStream, start: PagedCheckpoint): AsyncGenerator<Page> {
  const cp: PagedCheckpoint = { ...start };
  const search = searchOf(cp.window);
  if (!cp.listed) {
    const variables = stream.filterable && search ? { query: search } : {};
    for await (const page of pages(ctx, client, stream.root, pagedQuery(stream), variables, nodeCost(stream.select), cp.after, (after) => ({ ...cp, after, listed: after === null }))) {
      yield page;
      cp.after = (page.checkpoint.after as string | null) ?? null;
      cp.listed = page.checkpoint.listed === true;
      if (ctx.signal.aborted) return;
    }
  }
  if (cp.deletions && stream.deletions) {
    for await (const page of readDeletions(ctx, client, stream.deletions, cp.window, cp.deletions.after, (after) => ({ ...cp, deletions: after === null ? null : { after } }))) {
      yield page;
      cp.deletions = (page.checkpoint.deletions as PagedCheckpoint["deletions"]) ?? null;
      if (ctx.signal.aborted) return;
    }
  }
  yield { records: [], checkpoint: { ...cp, deletions: null }, state: { cursor: cp.upper } };
}

const deletionsQuery = (type: string) =>
  `query ShopifyDeletions($first: Int!, $after: String, $query: String) { deletionEvents(first: $first, after: $after, subjectTypes: [${type}], query: $query, sortKey: ID) { nodes { subjectId occurredAt } pageInfo { hasNextPage endCursor } } }`;

/**
 * The window's deletion events as soft deletes: the deleted object's id, its deletion time as both the cursor and
 * `_loader_deleted_at`. They come in pages of their own, so the warehouse leaves the deleted rows' other columns as
 * they were (a page writes only the fields its records carry).
 */
function readDeletions(ctx: ConnectorContext, client: ShopifyClient, type: string, window: Window, after: string | null, checkpointAt: (after: string | null) => JsonObject) {
  const occurred = searchOf(window)!.replaceAll("updated_at", "occurred_at");
  return pages(ctx, client, "deletionEvents", deletionsQuery(type), { query: occurred }, 1, after, checkpointAt, (node) => ({
    id: node.subjectId,
    updatedAt: node.occurredAt,
    [DELETED_AT_FIELD]: node.occurredAt,
  }));
}

async function* readBulk(ctx: ConnectorContext, client: ShopifyClient, stream: ShopifyStream, start: BulkCheckpoint): AsyncGenerator<Page> {
  const cp: BulkCheckpoint = { ...start, windows: [...start.windows] };
  const budget = ctx.budget;
  let slot: BudgetSlot | null = null;
  /** A slot for this job (renewed when already held); false when all are taken, after a short wait. */
  const hold = async (): Promise<boolean> => {
    if (!budget) return true;
    try {
      // A short wait: a consumer must not sit in a queue delivery while other streams' jobs run for minutes.
      slot = await budget.slot(client.budgetKey("bulk"), bulkConcurrency(client.version), { holder: cp.holder, leaseSeconds: SLOT_LEASE_SECONDS, maxWaitSeconds: 1 });
      return true;
    } catch (error) {
      if (isResumeLater(error)) return false;
      throw error;
    }
  };
  const letGo = async () => {
    const held = slot;
    slot = null;
    if (held) await held.release();
    else if (budget) {
      // A resumed chunk releases the slot a previous chunk took for the same job.
      await (await budget.slot(client.budgetKey("bulk"), bulkConcurrency(client.version), { holder: cp.holder, leaseSeconds: 1, maxWaitSeconds: 0 }).catch(() => null))?.release();
    }
  };
  const pollDelay = () => Math.min(MAX_POLL_SECONDS, 2 ** cp.polls);

  while (cp.windows.length > 0) {
    const window = cp.windows[0]!;
    if (cp.job === null) {
      if (!(await hold())) {
        yield { records: [], checkpoint: { ...cp }, resumeAfterSeconds: SLOT_WAIT_SECONDS };
        return;
      }
      const { data } = await client.query<{ bulkOperationRunQuery: { bulkOperation: { id: string } | null; userErrors: Array<{ message: string; code: string | null }> } }>(
        RUN_BULK,
        { query: bulkQuery(stream, window) },
        10,
      );
      const payload = data.bulkOperationRunQuery;
      if (!payload.bulkOperation) {
        const problem = payload.userErrors[0];
        await letGo();
        if (problem?.code === "OPERATION_IN_PROGRESS" || /in progress|concurrent/i.test(problem?.message ?? "")) {
          // Another client of the same app (another loader, a person's script) runs the shop's bulk queries.
          yield { records: [], checkpoint: { ...cp }, resumeAfterSeconds: MAX_POLL_SECONDS };
          return;
        }
        throw new ConnectorError("configuration", `${client.shop} refused the bulk query for ${stream.root}: ${payload.userErrors.map((e) => e.message).join("; ") || "no reason given"}`);
      }
      cp.job = payload.bulkOperation.id;
      cp.polls = 0;
      yield { records: [], checkpoint: { ...cp }, resumeAfterSeconds: 1 };
      return;
    }

    if (cp.url === null) {
      if (!(await hold())) {
        // The slot's lease ran out while the job ran (a chunk came back late) and others took every slot: the job
        // still runs on Shopify's side and is polled again later.
        yield { records: [], checkpoint: { ...cp }, resumeAfterSeconds: SLOT_WAIT_SECONDS };
        return;
      }
      const { data } = await client.query<{ node: BulkOperation | null }>(POLL_BULK, { id: cp.job }, 2);
      const op = data.node;
      const status = op?.status ?? "EXPIRED";
      if (status === "CREATED" || status === "RUNNING" || status === "CANCELING") {
        cp.polls++;
        yield { records: [], checkpoint: { ...cp }, resumeAfterSeconds: pollDelay() };
        return;
      }
      await letGo();
      if (status !== "COMPLETED") {
        if (op?.errorCode === "ACCESS_DENIED") throw new ConnectorError("configuration", `${client.shop} denied the bulk query for ${stream.root} (ACCESS_DENIED): the token lacks a read scope it needs`);
        cp.failures++;
        if (cp.failures > MAX_BULK_FAILURES) {
          throw new ConnectorError("data", `the bulk query for ${stream.root} on ${client.shop} ended ${status}${op?.errorCode ? ` (${op.errorCode})` : ""} ${cp.failures} times, on windows down to ${searchOf(window)}`);
        }
        cp.windows.splice(0, 1, ...split(window));
        cp.job = null;
        continue;
      }
      if (!op!.url) {
        // No object matched: Shopify completes the job without a file.
        cp.windows.shift();
        cp.job = null;
        continue;
      }
      cp.url = op!.url;
      cp.line = 0;
      cp.byteEnd = 0;
      cp.parent = null;
    }

    yield* readResult(ctx, client, stream, cp);
    if (ctx.signal.aborted) return;
  }
  if (cp.deletions && stream.deletions) {
    for await (const page of readDeletions(ctx, client, stream.deletions, cp.span, cp.deletions.after, (after) => ({ ...cp, deletions: after === null ? null : { after } }))) {
      yield page;
      cp.deletions = (page.checkpoint.deletions as BulkCheckpoint["deletions"]) ?? null;
      if (ctx.signal.aborted) return;
    }
  }
  yield { records: [], checkpoint: { ...cp }, state: { cursor: cp.upper } };
}

/**
 * The result file from the checkpoint's line on, a page at a time; at its end the window is done (in the same page,
 * so no page ever ends exactly at the file's end with the window still open). The state is committed by the page
 * after the last window's.
 */
async function* readResult(ctx: ConnectorContext, client: ShopifyClient, stream: ShopifyStream, cp: BulkCheckpoint): AsyncGenerator<Page> {
  const result = await client.download.stream({ url: cp.url!, headers: cp.byteEnd > 0 ? { Range: `bytes=${cp.byteEnd}-` } : {} });
  const child = stream.child;
  let records: SourceRecord[] = [];
  let at = { line: cp.line, byteEnd: cp.byteEnd, parent: cp.parent };
  for await (const { value, line, byteEnd } of jsonLines(result.body, { after: { line: cp.line, byteEnd: cp.byteEnd } })) {
    if (records.length >= PAGE_RECORDS) {
      yield { records, checkpoint: { ...cp, line: at.line, byteEnd: at.byteEnd, parent: at.parent } };
      records = [];
      if (ctx.signal.aborted) {
        await result.body.cancel().catch(() => {});
        return;
      }
    }
    const object = value as SourceRecord & { __parentId?: string };
    let parent = at.parent;
    if (!child) records.push(object);
    else if (object.__parentId === undefined) {
      parent = { id: String(object.id), updatedAt: (object.updatedAt ?? null) as z.infer<typeof jsonValue> };
      if (child.kind === "list") {
        for (const item of (object[child.field] as SourceRecord[] | undefined) ?? []) records.push(childRecord(item, child.parent, parent.id, parent.updatedAt));
      }
    } else {
      if (!parent || parent.id !== object.__parentId) throw new ConnectorError("data", `line ${line} of the bulk result names parent ${object.__parentId}, which is not the object before it`);
      const { __parentId, ...rest } = object;
      records.push(childRecord(rest, child.parent, __parentId, parent.updatedAt));
    }
    at = { line, byteEnd, parent };
  }
  cp.windows.shift();
  cp.job = null;
  cp.url = null;
  cp.line = 0;
  cp.byteEnd = 0;
  cp.parent = null;
  cp.polls = 0;
  yield { records, checkpoint: { ...cp } };
}

function childRecord(item: SourceRecord, parent: string, parentId: string, parentUpdatedAt: unknown): SourceRecord {
  return { ...item, [`${parent}Id`]: parentId, [`${parent}UpdatedAt`]: parentUpdatedAt };
}
