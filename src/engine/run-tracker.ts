/**
 * RunTracker: one Durable Object per run (DESIGN §3). It owns the run's live state in its own SQLite storage —
 * per-stream status, counters, checkpoints, the chunk sequence and its lease — and every transition of the run.
 * Consumers ask it before they work (claim), tell it after each committed page (reportPage), and hand the stream
 * on (endChunk, possibly after a delay) or close it (completeStream / failStream). Its alarm is the watchdog: a chunk
 * whose lease ran out without a heartbeat (its consumer died), or whose message never arrived, is re-enqueued from the
 * stream's checkpoint. D1 is reached only through service verbs.
 *
 * A large table may be read as key ranges in parallel (the connector's `split`, decided on the stream's first chunk):
 * each range is a lane with its own chunk sequence, lease, checkpoint and deliveries (table `lanes`); the stream's
 * row then holds only the sums and the stream's own status, and completes after its last lane, whose consumer alone
 * finalizes the stream (the full_refresh swap). A stream read in one piece has no lanes: its row is its one lease.
 */
import { DurableObject } from "cloudflare:workers";
import type { JsonObject, SyncMode } from "../../connectors/kit/contract";
import type { Env } from "../env";
import { settings } from "../env";
import { log } from "../lib/log";
import { isoSeconds } from "../lib/time";
import { serviceContext, type ServiceContext } from "../services/context";
import { type StartedStream, beginRun, commitStreamState, loadRunPlan, markLoaderError, writeRunProgress, writeRunUsage } from "../services/runs/run-lifecycle";
import type { RunStreamSummary } from "../services/runs/run-store";
import type { ExtractMessage, RunRef } from "./messages";
import { type SchemaChange, mergeSchemaChanges } from "../warehouses/schema-changes";
import { type RunUsage, addUsage, parseUsage } from "./usage";

type StreamStatus = "pending" | "running" | "completed" | "failed" | "cancelled";
type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

type StreamRow = {
  name: string;
  position: number;
  sync_mode: SyncMode;
  status: StreamStatus;
  rows_loaded: number;
  /** Source rows the read left out by the loader's own rule (Page.skippedRows: s3 `on_bad_row: "skip"`). */
  rows_skipped: number;
  error_message: string;
  chunk: number;
  lease_token: string | null;
  lease_delivery: string | null;
  lease_until: number;
  checkpoint: string | null;
  start_state: string | null;
  pending_state: string | null;
  pages: number;
  exhausted: number;
  last_progress_at: number;
  restarts: number;
  last_error: string;
  config_error: number;
  spec: string | null;
  /** Epoch ms by which the stream's unclaimed message should have been delivered (its send time plus its delay). */
  due_at: number;
  /** Watchdog restarts since the stream last made progress; reaching MAX_RESTARTS fails it. */
  stalled_restarts: number;
  /** Deliveries of the current chunk that claimed it, and the source requests of those that failed: the DLQ's figures. */
  deliveries: number;
  failed_requests: number;
  /** JSON SchemaChange[]: what the run added to or widened in the stream's table, as the policy ruled. */
  schema_changes: string;
  /** The number of lanes (key ranges) the stream's first chunk split it into; 0 while it is read in one piece. */
  ranges: number;
};

/** The columns a lease lives in, the same in `streams` (a stream in one piece) and `lanes` (one key range). */
type LeaseRow = Pick<
  StreamRow,
  | "status" | "chunk" | "lease_token" | "lease_delivery" | "lease_until" | "checkpoint" | "pages" | "rows_loaded" | "exhausted"
  | "last_progress_at" | "restarts" | "stalled_restarts" | "due_at" | "deliveries" | "failed_requests" | "last_error"
> & {
  /** The lane's number, or null for the stream's own row. */
  lane: number | null;
};

/**
 * Lanes one stream may have at most: 16 consumers on one table keep well under Queues' 250 concurrent invocations
 * (research/cloudflare.md §2) and under a database's connection limit, which every lane holds one of.
 */
export const MAX_RANGES = 16;

type RunRow = {
  run_id: string;
  loader_id: string;
  workspace_id: string;
  status: RunStatus;
  cancel_reason: string;
  last_flush_at: number;
  /** JSON RunUsage: what the run has cost so far, summed from its chunks and the tracker's own sends (usage.ts). */
  usage: string;
};

export type ClaimResult =
  | {
      ok: true;
      leaseToken: string;
      syncMode: SyncMode;
      /** JSON text: RPC results stay flat (a recursive JSON type makes TypeScript's RPC mapping explode). */
      checkpointJson: string | null;
      stateJson: string | null;
      /** The stream's spec as the first chunk resolved it (discovery can cost API quota: once per run). */
      specJson: string | null;
      pages: number;
      exhausted: boolean;
      /** The lane this delivery reads, or null for a stream in one piece. */
      lane: number | null;
    }
  | { ok: false; reason: "stale" | "finished" | "unknown_run" | "duplicate" }
  | { ok: false; reason: "cancelled"; syncMode: SyncMode | null };

export interface PageReport {
  rows: number;
  /** How many source pages this report covers (several pages are written as one batch). */
  pages: number;
  checkpoint: JsonObject;
  state?: JsonObject;
  /** Source rows the pages of this report skipped (Page.skippedRows). */
  skipped?: number;
  schema_changes?: SchemaChange[];
}

/**
 * A chunk's lease belongs to one queue message (by id). Queues redeliver a message only after its previous attempt
 * ended, so the same id taking the lease again means that attempt is over; another id for the same chunk is a
 * duplicate send and is dropped while the lease lives. The lease lasts LEASE_SECONDS from the last heartbeat or
 * report: the consumer heartbeats while it works, so a lease that runs out means its consumer died. Lease length,
 * the watchdog's interval and the stall bound are settings (env.ts), short in tests.
 */
export const MAX_RESTARTS = 3;
/** Queues allows a message delay of 12 hours at most (research/cloudflare.md §2; the newer 24 h is unverified). */
export const MAX_DELAY_SECONDS = 12 * 3600;

export type LeaseAnswer = { continue: true } | { continue: false; reason: "cancelled" | "lease_lost" };

interface Timing {
  leaseMs: number;
  watchdogMs: number;
  stallMs: number;
}
/** Live counters reach D1 at most this often between transitions; GET run is at most this stale. */
const FLUSH_INTERVAL_MS = 1_000;

export class RunTracker extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    settings(env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS run (
        id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, loader_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
        status TEXT NOT NULL, cancel_reason TEXT NOT NULL DEFAULT '', last_flush_at INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS streams (
        name TEXT PRIMARY KEY, position INTEGER NOT NULL, sync_mode TEXT NOT NULL, status TEXT NOT NULL,
        rows_loaded INTEGER NOT NULL DEFAULT 0, error_message TEXT NOT NULL DEFAULT '', chunk INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT, lease_delivery TEXT, lease_until INTEGER NOT NULL DEFAULT 0, checkpoint TEXT, start_state TEXT, pending_state TEXT,
        pages INTEGER NOT NULL DEFAULT 0, exhausted INTEGER NOT NULL DEFAULT 0, last_progress_at INTEGER NOT NULL DEFAULT 0,
        restarts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', config_error INTEGER NOT NULL DEFAULT 0,
        spec TEXT);
      CREATE TABLE IF NOT EXISTS lanes (
        stream TEXT NOT NULL, lane INTEGER NOT NULL, status TEXT NOT NULL, chunk INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT, lease_delivery TEXT, lease_until INTEGER NOT NULL DEFAULT 0, checkpoint TEXT,
        pages INTEGER NOT NULL DEFAULT 0, rows_loaded INTEGER NOT NULL DEFAULT 0, exhausted INTEGER NOT NULL DEFAULT 0,
        last_progress_at INTEGER NOT NULL DEFAULT 0, restarts INTEGER NOT NULL DEFAULT 0, stalled_restarts INTEGER NOT NULL DEFAULT 0,
        due_at INTEGER NOT NULL DEFAULT 0, deliveries INTEGER NOT NULL DEFAULT 0, failed_requests INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '', PRIMARY KEY (stream, lane));
    `);
    // Columns added after the first release: a tracker of a run that was live across a deploy gains them in place.
    const have = new Set(ctx.storage.sql.exec("SELECT * FROM streams LIMIT 0").columnNames);
    for (const [name, type] of [["due_at", "INTEGER NOT NULL DEFAULT 0"], ["stalled_restarts", "INTEGER NOT NULL DEFAULT 0"], ["deliveries", "INTEGER NOT NULL DEFAULT 0"], ["failed_requests", "INTEGER NOT NULL DEFAULT 0"], ["rows_skipped", "INTEGER NOT NULL DEFAULT 0"], ["schema_changes", "TEXT NOT NULL DEFAULT '[]'"], ["ranges", "INTEGER NOT NULL DEFAULT 0"]] as const) {
      if (!have.has(name)) ctx.storage.sql.exec(`ALTER TABLE streams ADD COLUMN ${name} ${type}`);
    }
    if (!ctx.storage.sql.exec("SELECT * FROM run LIMIT 0").columnNames.includes("usage")) {
      ctx.storage.sql.exec("ALTER TABLE run ADD COLUMN usage TEXT NOT NULL DEFAULT '{}'");
    }
  }

  private timing(): Timing {
    const s = settings(this.env);
    return { leaseMs: s.LEASE_SECONDS * 1000, watchdogMs: s.WATCHDOG_SECONDS * 1000, stallMs: s.STALL_SECONDS * 1000 };
  }

  private services(): ServiceContext {
    return serviceContext(this.env, { kind: "system", reason: "engine" });
  }

  private run(): RunRow | null {
    return this.ctx.storage.sql.exec<RunRow>("SELECT * FROM run WHERE id = 1").toArray()[0] ?? null;
  }

  /** Adds to the run's usage; a write of the tracker's own storage, so it costs no round trip. */
  private count(more: Partial<RunUsage> | undefined): void {
    const run = this.run();
    if (!run || !more) return;
    this.ctx.storage.sql.exec("UPDATE run SET usage = ? WHERE id = 1", JSON.stringify(addUsage(parseUsage(run.usage), more)));
  }

  private streams(): StreamRow[] {
    return this.ctx.storage.sql.exec<StreamRow>("SELECT * FROM streams ORDER BY position").toArray();
  }

  private stream(name: string): StreamRow | null {
    return this.ctx.storage.sql.exec<StreamRow>("SELECT * FROM streams WHERE name = ?", name).toArray()[0] ?? null;
  }

  private lanes(streamName: string): LeaseRow[] {
    return this.ctx.storage.sql.exec<LeaseRow>("SELECT * FROM lanes WHERE stream = ? ORDER BY lane", streamName).toArray();
  }

  /** Every lease of a stream: its own row while it is read in one piece, else its lanes. */
  private leasesOf(s: StreamRow): LeaseRow[] {
    return s.ranges < 2 ? [{ ...s, lane: null }] : this.lanes(s.name);
  }

  /** Whether a lane of the stream other than `lane` has yet to complete (the stream's last lane finalizes it). */
  private lanesOpenBesides(streamName: string, lane: number): boolean {
    return this.lanes(streamName).some((other) => other.lane !== lane && other.status !== "completed");
  }

  /** The lease a message names: the stream's own row, or its lane's when the stream is split. */
  private leaseOf(s: StreamRow, lane: number | undefined): LeaseRow | null {
    if (s.ranges < 2) return lane === undefined ? { ...s, lane: null } : null;
    if (lane === undefined) return null;
    return this.ctx.storage.sql.exec<LeaseRow>("SELECT * FROM lanes WHERE stream = ? AND lane = ?", s.name, lane).toArray()[0] ?? null;
  }

  /** `UPDATE … SET <set>` of the row holding lease `l`: the stream's own, or its lane's. */
  private updateLease(streamName: string, l: LeaseRow, set: string, ...values: SqlStorageValue[]): void {
    if (l.lane === null) this.ctx.storage.sql.exec(`UPDATE streams SET ${set} WHERE name = ?`, ...values, streamName);
    else this.ctx.storage.sql.exec(`UPDATE lanes SET ${set} WHERE stream = ? AND lane = ?`, ...values, streamName, l.lane);
  }

  /** Idempotent: a second start (re-dispatch of a run stuck in pending) changes nothing. */
  async start(ref: RunRef): Promise<RunStatus> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const existing = this.run();
      if (existing) return existing.status;
      const sql = this.ctx.storage.sql;
      sql.exec("INSERT INTO run (id, run_id, loader_id, workspace_id, status) VALUES (1, ?, ?, ?, 'running')", ref.runId, ref.loaderId, ref.workspaceId);
      this.count({ durable_object_requests: 1 });
      const jobId = this.ctx.id.toString();
      // One D1 round trip reads the plan and writes the first progress (beginRun); a run made before snapshots
      // reads its plan, then writes its progress from the streams inserted below.
      let plan: { streams: StartedStream[] };
      let begun = true;
      try {
        const started = await beginRun(this.services(), ref, jobId, parseUsage(this.run()!.usage));
        begun = started !== "legacy";
        plan = started !== "legacy" ? started : await loadRunPlan(this.services(), ref.workspaceId, ref.loaderId, ref.runId);
      } catch (error) {
        sql.exec("UPDATE run SET status = 'failed' WHERE id = 1");
        await writeRunProgress(this.services(), ref.runId, {
          status: "failed",
          rowsLoaded: 0,
          streamsFailed: 0,
          errorMessage: `run could not start: ${error instanceof Error ? error.message : String(error)}`,
          streams: [],
          completedAt: isoSeconds(new Date()),
        });
        return "failed";
      }
      const now = Date.now();
      plan.streams.forEach((s, position) => {
        sql.exec(
          "INSERT INTO streams (name, position, sync_mode, status, start_state, last_progress_at, due_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
          s.name,
          position,
          s.sync_mode,
          s.sync_mode === "incremental" && s.state ? JSON.stringify(s.state) : null,
          now,
          now,
        );
      });
      if (begun) sql.exec("UPDATE run SET last_flush_at = ? WHERE id = 1", Date.now());
      else await this.flush(true, { jobId });
      await this.env.EXTRACT_QUEUE.sendBatch(plan.streams.map((s) => ({ body: this.message(ref, s.name, 0) })));
      this.count({ queue_messages_sent: plan.streams.length });
      await this.ctx.storage.setAlarm(now + this.timing().watchdogMs);
      log("info", "run started", { run_id: ref.runId, loader_id: ref.loaderId, streams: plan.streams.length });
      return "running";
    });
  }

  private message(ref: RunRef, stream: string, chunk: number, lane: number | null = null): ExtractMessage {
    return { kind: "extract", runId: ref.runId, loaderId: ref.loaderId, workspaceId: ref.workspaceId, stream, chunk, ...(lane === null ? {} : { lane }) };
  }

  /** A delivery may work only on the stream's current chunk, and only one delivery at a time (the lease). */
  claim(message: ExtractMessage, deliveryId: string, now: number = Date.now()): ClaimResult {
    const run = this.run();
    if (!run) return { ok: false, reason: "unknown_run" };
    // Every delivery claims first, dropped ones too: the tracker counts the delivery, its invocation and this call.
    this.count({ queue_messages_received: 1, worker_invocations: 1, durable_object_requests: 1 });
    const s = this.stream(message.stream);
    if (run.status === "cancelled") return { ok: false, reason: "cancelled", syncMode: s?.sync_mode ?? null };
    if (!s || s.status !== "running" || run.status !== "running") return { ok: false, reason: "finished" };
    // The stream's own message after its lanes took over (its first chunk split it) is as stale as an old chunk's.
    const l = this.leaseOf(s, message.lane);
    if (!l) return { ok: false, reason: "stale" };
    if (l.status !== "running") return { ok: false, reason: "finished" };
    if (message.chunk !== l.chunk) return { ok: false, reason: "stale" };
    if (l.lease_token && l.lease_until > now && l.lease_delivery !== deliveryId) return { ok: false, reason: "duplicate" };
    const leaseToken = crypto.randomUUID();
    this.updateLease(s.name, l, "lease_token = ?, lease_delivery = ?, lease_until = ?, due_at = 0, deliveries = deliveries + 1", leaseToken, deliveryId, now + this.timing().leaseMs);
    return {
      ok: true,
      leaseToken,
      syncMode: s.sync_mode,
      checkpointJson: l.checkpoint,
      stateJson: s.start_state,
      specJson: s.spec,
      pages: l.pages,
      exhausted: l.exhausted === 1,
      lane: l.lane,
    };
  }

  /** The running stream and the lease `leaseToken` holds on it (lease tokens are unique, so they name the lane too). */
  private holds(streamName: string, chunk: number, leaseToken: string): { s: StreamRow; l: LeaseRow } | null {
    const s = this.stream(streamName);
    if (!s || s.status !== "running") return null;
    if (s.ranges < 2) return s.chunk === chunk && s.lease_token === leaseToken ? { s, l: { ...s, lane: null } } : null;
    const l = this.ctx.storage.sql
      .exec<LeaseRow>("SELECT * FROM lanes WHERE stream = ? AND chunk = ? AND lease_token = ? AND status = 'running'", streamName, chunk, leaseToken)
      .toArray()[0];
    return l ? { s, l } : null;
  }

  /**
   * The stream's first chunk split it into these key ranges (their initial checkpoints, as JSON): one lane each,
   * handed out now as one message per lane, and the splitting chunk's own lease ends (its message becomes stale).
   * Once per run: only a stream still in one piece, with nothing read, is split.
   */
  async splitStream(streamName: string, chunk: number, leaseToken: string, rangesJson: string[], usage?: RunUsage, changes?: SchemaChange[]): Promise<boolean> {
    this.count(usage);
    const run = this.run();
    const held = this.holds(streamName, chunk, leaseToken);
    if (!run || run.status !== "running" || !held || held.l.lane !== null || held.s.pages > 0 || held.s.checkpoint || rangesJson.length < 2) return false;
    this.noteSchemaChanges(held.s, changes);
    const sql = this.ctx.storage.sql;
    const lanes = rangesJson.slice(0, MAX_RANGES);
    const now = Date.now();
    lanes.forEach((checkpoint, lane) => {
      sql.exec("INSERT INTO lanes (stream, lane, status, checkpoint, last_progress_at, due_at) VALUES (?, ?, 'running', ?, ?, ?)", streamName, lane, checkpoint, now, now);
    });
    sql.exec(
      "UPDATE streams SET ranges = ?, chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = 0, last_progress_at = ? WHERE name = ?",
      lanes.length,
      now,
      streamName,
    );
    await this.env.EXTRACT_QUEUE.sendBatch(lanes.map((_, lane) => ({ body: this.message(this.refOf(run), streamName, 0, lane) })));
    this.count({ queue_messages_sent: lanes.length });
    log("info", "stream split into key ranges", { run_id: run.run_id, stream: streamName, ranges: lanes.length });
    return true;
  }

  /**
   * Called after a page is committed in the warehouse. `continue: false` means stop now: `cancelled` (drop what is
   * staged) or `lease_lost` (another delivery owns the stream now; leave its staging alone).
   */
  async reportPage(streamName: string, chunk: number, leaseToken: string, report: PageReport): Promise<LeaseAnswer> {
    const run = this.run();
    if (!run || run.status === "cancelled") return { continue: false, reason: "cancelled" };
    const held = this.holds(streamName, chunk, leaseToken);
    if (run.status !== "running" || !held) return { continue: false, reason: "lease_lost" };
    const { s, l } = held;
    this.noteSchemaChanges(s, report.schema_changes);
    const now = Date.now();
    if (l.lane !== null) {
      this.updateLease(
        streamName,
        l,
        "rows_loaded = rows_loaded + ?, checkpoint = ?, pages = pages + ?, last_progress_at = ?, stalled_restarts = 0, lease_until = ?",
        report.rows,
        JSON.stringify(report.checkpoint),
        report.pages,
        now,
        now + this.timing().leaseMs,
      );
    }
    // A stream's row keeps the sums over its lanes; a stream in one piece keeps its lease here too.
    this.ctx.storage.sql.exec(
      `UPDATE streams SET rows_loaded = rows_loaded + ?, rows_skipped = rows_skipped + ?, pending_state = coalesce(?, pending_state), pages = pages + ?,
       last_progress_at = ?, stalled_restarts = 0 WHERE name = ?`,
      report.rows,
      report.skipped ?? 0,
      report.state ? JSON.stringify(report.state) : null,
      report.pages,
      now,
      streamName,
    );
    if (l.lane === null) this.updateLease(streamName, l, "checkpoint = ?, lease_until = ?", JSON.stringify(report.checkpoint), now + this.timing().leaseMs);
    await this.flush(false);
    return { continue: true };
  }

  /**
   * The chunk's consumer is alive: renews its lease. With `progress` (the read says it is working without a page,
   * e.g. polling a job) it also counts as progress for the stall bound. The answer tells a cancelled or superseded
   * chunk to stop.
   */
  heartbeat(streamName: string, chunk: number, leaseToken: string, progress: boolean): LeaseAnswer {
    const run = this.run();
    if (!run || run.status === "cancelled") return { continue: false, reason: "cancelled" };
    const held = this.holds(streamName, chunk, leaseToken);
    if (run.status !== "running" || !held) return { continue: false, reason: "lease_lost" };
    const now = Date.now();
    this.updateLease(
      streamName,
      held.l,
      `lease_until = ?, last_progress_at = CASE WHEN ? THEN ? ELSE last_progress_at END,
       stalled_restarts = CASE WHEN ? THEN 0 ELSE stalled_restarts END`,
      now + this.timing().leaseMs,
      progress ? 1 : 0,
      now,
      progress ? 1 : 0,
    );
    return { continue: true };
  }

  rememberStreamSpec(streamName: string, chunk: number, leaseToken: string, specJson: string): void {
    // The spec is decided before any split, on the stream's own lease.
    if (this.holds(streamName, chunk, leaseToken)) this.ctx.storage.sql.exec("UPDATE streams SET spec = ? WHERE name = ?", specJson, streamName);
  }

  /** The source has no more pages: a redelivery after this goes straight to finalizing, reading nothing again. */
  markExhausted(streamName: string, chunk: number, leaseToken: string): boolean {
    const held = this.holds(streamName, chunk, leaseToken);
    if (!held) return false;
    this.updateLease(streamName, held.l, "exhausted = 1, last_progress_at = ?", Date.now());
    return true;
  }

  /**
   * A lane read its range to the end and its data is committed. While other lanes still run it is done
   * ("completed"); the last one ("finalize") keeps its lease to finalize the stream and then calls completeStream,
   * so the swap runs once, after every lane's data. One synchronous step: two lanes ending together cannot both be last.
   */
  finishLane(streamName: string, chunk: number, leaseToken: string, usage?: RunUsage, changes?: SchemaChange[]): "completed" | "finalize" | "lease_lost" {
    const held = this.holds(streamName, chunk, leaseToken);
    if (this.run()?.status !== "running" || !held || held.l.lane === null) return "lease_lost";
    if (!this.lanesOpenBesides(streamName, held.l.lane)) return "finalize";
    this.count(usage);
    this.noteSchemaChanges(held.s, changes);
    this.updateLease(streamName, held.l, "status = 'completed', lease_token = NULL, last_progress_at = ?", Date.now());
    return "completed";
  }

  /**
   * The chunk's budget is spent, or the read asked to come back later (a job still running, a budget grant further
   * away than a chunk should wait): the stream continues in a fresh queue message from the last checkpoint, delivered
   * after `delaySeconds`. The watchdog expects that message by then, and re-sends it if it never comes.
   */
  async endChunk(streamName: string, chunk: number, leaseToken: string, delaySeconds = 0, usage?: RunUsage, changes?: SchemaChange[]): Promise<boolean> {
    this.count(usage);
    const run = this.run();
    const held = this.holds(streamName, chunk, leaseToken);
    if (!run || !held) return false;
    this.noteSchemaChanges(held.s, changes);
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    this.updateLease(streamName, held.l, "chunk = chunk + 1, lease_token = NULL, lease_until = 0, due_at = ?, deliveries = 0, failed_requests = 0", Date.now() + delay * 1000);
    await this.env.EXTRACT_QUEUE.send(this.message(this.refOf(run), streamName, chunk + 1, held.l.lane), delay > 0 ? { delaySeconds: delay } : undefined);
    this.count({ queue_messages_sent: 1 });
    return true;
  }

  /** The data is committed (and a full_refresh swapped in): commit the stream's state, then close the stream. */
  async completeStream(streamName: string, chunk: number, leaseToken: string, usage?: RunUsage, changes?: SchemaChange[]): Promise<boolean> {
    this.count(usage);
    const run = this.run();
    const held = this.holds(streamName, chunk, leaseToken);
    if (!run || run.status !== "running" || !held) return false;
    const { s, l } = held;
    // A split stream completes from its last lane only (finishLane), after every other lane's data is committed.
    if (l.lane !== null && this.lanesOpenBesides(streamName, l.lane)) return false;
    this.noteSchemaChanges(s, changes);
    if (l.lane !== null) this.updateLease(streamName, l, "status = 'completed', lease_token = NULL, last_progress_at = ?", Date.now());
    if (s.sync_mode === "incremental" && s.pending_state) {
      await commitStreamState(this.services(), run.loader_id, s.name, JSON.parse(s.pending_state) as JsonObject, run.run_id);
    }
    this.ctx.storage.sql.exec("UPDATE streams SET status = 'completed', lease_token = NULL, last_progress_at = ? WHERE name = ?", Date.now(), streamName);
    await this.settle();
    return true;
  }

  /**
   * A retryable failure is remembered, with the source requests the failed delivery sent, so the dead-letter path can
   * say what kept failing and how often it was tried. The queue redelivers the message after `delaySeconds`.
   */
  async noteRetry(streamName: string, message: string, requests = 0, delaySeconds = 0, usage?: RunUsage, changes?: SchemaChange[], lane?: number): Promise<void> {
    this.count(usage);
    const s = this.stream(streamName);
    if (!s) return;
    if (s.status === "running") this.noteSchemaChanges(s, changes);
    const l = this.leaseOf(s, lane);
    if (!l) return;
    this.updateLease(
      streamName,
      l,
      "last_error = ?, failed_requests = failed_requests + ?, lease_token = NULL, lease_until = 0, due_at = ?",
      message,
      Math.max(0, requests),
      Date.now() + Math.max(0, delaySeconds) * 1000,
    );
    // The run object shows the retry (attempt, reason, when) at once, and its event log records it.
    await this.flush(true);
  }

  /**
   * The queue gave up on a chunk (its message reached the dead-letter queue): the stream fails with the attempts
   * this tracker counted (the dead-letter delivery's own count starts again at 1) and the last error.
   */
  async giveUp(streamName: string, chunk: number, lane?: number): Promise<boolean> {
    // The dead-letter delivery: one more read of the message, an invocation and this call.
    this.count({ queue_messages_received: 1, worker_invocations: 1, durable_object_requests: 1 });
    const s = this.stream(streamName);
    const l = s ? this.leaseOf(s, lane) : null;
    if (!l) return false;
    const requests = l.failed_requests > 0 ? ` (${l.failed_requests} requests to the source)` : "";
    const range = l.lane === null ? "" : ` of key range ${l.lane + 1}`;
    return this.failStream(streamName, chunk, `gave up after ${l.deliveries} deliveries of chunk ${chunk}${range}${requests}`, "exhausted", undefined, undefined, lane, l.last_error);
  }

  /**
   * Fails one stream; the others go on. `chunk` null (dead letter, watchdog) fails whatever chunk is current.
   * A configuration failure also parks the loader in `error` when the run settles.
   */
  async failStream(
    streamName: string,
    chunk: number | null,
    message: string,
    kind: "configuration" | "data" | "exhausted",
    usage?: RunUsage,
    changes?: SchemaChange[],
    lane?: number,
    lastError?: string,
  ): Promise<boolean> {
    this.count(usage);
    const run = this.run();
    const s = this.stream(streamName);
    if (!run || run.status !== "running" || !s || s.status !== "running") return false;
    if (chunk !== null && this.leaseOf(s, lane)?.chunk !== chunk) return false;
    this.noteSchemaChanges(s, changes);
    const last = lastError ?? s.last_error;
    const text = kind === "exhausted" && last ? `${message}; last error: ${last}` : message;
    this.ctx.storage.sql.exec(
      "UPDATE streams SET status = 'failed', error_message = ?, config_error = ?, lease_token = NULL WHERE name = ?",
      text,
      kind === "configuration" ? 1 : 0,
      streamName,
    );
    // The failed lane says so; the stream's other lanes stop at their next report (the stream is no longer running).
    if (lane !== undefined) this.ctx.storage.sql.exec("UPDATE lanes SET status = 'failed', lease_token = NULL WHERE stream = ? AND lane = ?", streamName, lane);
    this.ctx.storage.sql.exec("UPDATE lanes SET status = 'cancelled', lease_token = NULL WHERE stream = ? AND status = 'running'", streamName);
    log("warn", "stream failed", { run_id: run.run_id, stream: streamName, kind, error: text });
    await this.settle();
    return true;
  }

  async cancel(ref: RunRef, reason: string): Promise<RunStatus> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      const run = this.run();
      if (run && run.status !== "running" && run.status !== "pending") return run.status;
      this.count({ durable_object_requests: 1 });
      if (!run) {
        sql.exec("INSERT INTO run (id, run_id, loader_id, workspace_id, status, cancel_reason) VALUES (1, ?, ?, ?, 'cancelled', ?)", ref.runId, ref.loaderId, ref.workspaceId, reason);
      } else {
        sql.exec("UPDATE run SET status = 'cancelled', cancel_reason = ? WHERE id = 1", reason);
        sql.exec("UPDATE streams SET status = 'cancelled', lease_token = NULL WHERE status IN ('pending', 'running')");
        sql.exec("UPDATE lanes SET status = 'cancelled', lease_token = NULL WHERE status = 'running'");
      }
      await this.flush(true, { completedAt: isoSeconds(new Date()) });
      await this.ctx.storage.deleteAlarm();
      return "cancelled";
    });
  }

  /**
   * Watchdog (alarms may fire twice: every step is conditional). A running stream is restarted from its checkpoint
   * when its chunk's lease ran out without a heartbeat (the consumer died), when its message was not claimed a lease
   * length after it was due (lost: the local queue lives in memory, a consumer can be evicted), or when it heartbeats
   * without progress past the stall bound. A stream restarted MAX_RESTARTS times without progress in between fails.
   * The alarm is stored with the object, so it fires again after the service restarts.
   */
  override async alarm(): Promise<void> {
    const run = this.run();
    if (!run || run.status !== "running") return;
    // An alarm invocation is billed as a Durable Object request.
    this.count({ durable_object_requests: 1 });
    const now = Date.now();
    const { leaseMs, watchdogMs, stallMs } = this.timing();
    for (const s of this.streams()) {
      // A split stream's leases are its lanes': each is watched, and restarted from its own checkpoint, on its own.
      for (const l of this.leasesOf(s)) {
        if (this.stream(s.name)?.status !== "running" || l.status !== "running") continue;
        // A stream waiting for a delayed chunk holds no lease and is not stalled: only its message's arrival is due.
        const why = l.lease_token
          ? l.lease_until <= now
            ? "lease expired without a heartbeat"
            : now - l.last_progress_at >= stallMs
              ? "no progress"
              : null
          : now - (l.due_at || l.last_progress_at) > leaseMs
            ? "its message was not delivered"
            : null;
        if (!why) continue;
        const range = l.lane === null ? "" : ` in key range ${l.lane + 1}`;
        if (l.stalled_restarts >= MAX_RESTARTS) {
          await this.failStream(s.name, null, `stream made no progress after ${MAX_RESTARTS} restarts${range} (${why})`, "exhausted", undefined, undefined, l.lane ?? undefined, l.last_error);
          continue;
        }
        this.updateLease(
          s.name,
          l,
          `chunk = chunk + 1, restarts = restarts + 1, stalled_restarts = stalled_restarts + 1, lease_token = NULL, lease_until = 0,
           due_at = ?, last_progress_at = ?, deliveries = 0, failed_requests = 0`,
          now,
          now,
        );
        if (l.lane !== null) this.ctx.storage.sql.exec("UPDATE streams SET restarts = restarts + 1 WHERE name = ?", s.name);
        log("warn", "stream restarted by watchdog", { run_id: run.run_id, stream: s.name, chunk: l.chunk + 1, reason: why, ...(l.lane === null ? {} : { lane: l.lane }) });
        await this.env.EXTRACT_QUEUE.send(this.message(this.refOf(run), s.name, l.chunk + 1, l.lane));
        this.count({ queue_messages_sent: 1 });
      }
    }
    if (this.run()?.status === "running") await this.ctx.storage.setAlarm(Date.now() + watchdogMs);
  }

  /**
   * The watchdog looks now if its alarm is missing or overdue by more than an interval (lost with a local restart,
   * revive.ts); true when it had to. Idempotent, like the alarm itself.
   */
  async watch(): Promise<boolean> {
    if (this.run()?.status !== "running") return false;
    const at = await this.ctx.storage.getAlarm();
    if (at !== null && at > Date.now() - this.timing().watchdogMs) return false;
    await this.alarm();
    return true;
  }

  /**
   * The counts of a chunk that stopped without handing over (cancelled, superseded). A run that has ended already
   * gets them in D1 too, since no later flush will carry them.
   */
  async recordUsage(usage: RunUsage): Promise<void> {
    this.count(usage);
    const run = this.run();
    if (run && run.status !== "running") await writeRunUsage(this.services(), run.run_id, parseUsage(run.usage));
  }

  /** Merged into the stream's list (one entry per column and kind of change); a write of the tracker's own storage. */
  private noteSchemaChanges(s: StreamRow, changes: SchemaChange[] | undefined): void {
    if (!changes || changes.length === 0) return;
    const merged = mergeSchemaChanges(JSON.parse(s.schema_changes || "[]") as SchemaChange[], changes);
    this.ctx.storage.sql.exec("UPDATE streams SET schema_changes = ? WHERE name = ?", JSON.stringify(merged), s.name);
  }

  /** For tests and diagnostics: the tracker's view of the run. */
  snapshot() {
    return { run: this.run(), streams: this.streams(), lanes: this.ctx.storage.sql.exec<LeaseRow & { stream: string }>("SELECT * FROM lanes ORDER BY stream, lane").toArray() };
  }

  private refOf(run: RunRow): RunRef {
    return { runId: run.run_id, loaderId: run.loader_id, workspaceId: run.workspace_id };
  }

  /** When every stream is terminal, the run is: completed if all completed, else failed (DESIGN §2). */
  private async settle(): Promise<void> {
    const run = this.run();
    if (!run || run.status !== "running") return;
    const streams = this.streams();
    if (streams.some((s) => s.status === "running" || s.status === "pending")) {
      await this.flush(false);
      return;
    }
    const failed = streams.filter((s) => s.status === "failed");
    this.ctx.storage.sql.exec("UPDATE run SET status = ? WHERE id = 1", failed.length > 0 ? "failed" : "completed");
    await this.flush(true, { completedAt: isoSeconds(new Date()) });
    const configFailure = failed.find((s) => s.config_error === 1);
    if (configFailure) await markLoaderError(this.services(), run.loader_id, `${configFailure.name}: ${configFailure.error_message}`);
    await this.ctx.storage.deleteAlarm();
    log("info", "run finished", { run_id: run.run_id, status: failed.length > 0 ? "failed" : "completed" });
  }

  /**
   * While a retry is scheduled, the run object and its events (services/runs/run-events.ts) show the attempt that
   * failed, why, and when the next is due. A stream read as key ranges shows its lane whose retry is due last (the
   * stream's own row holds no lease once split); the error names the range.
   */
  private retryOf(s: StreamRow): Pick<RunStreamSummary, "attempts" | "last_error" | "retry_at"> {
    if (s.status !== "running") return {};
    const retrying = this.leasesOf(s).filter((l) => l.status === "running" && l.due_at > 0 && l.last_error).sort((a, b) => b.due_at - a.due_at)[0];
    if (!retrying) return {};
    const range = retrying.lane === null ? "" : `key range ${retrying.lane + 1} of ${s.ranges}: `;
    return { attempts: retrying.deliveries, last_error: `${range}${retrying.last_error}`, retry_at: new Date(retrying.due_at).toISOString() };
  }

  private async flush(force: boolean, extra: { jobId?: string; completedAt?: string } = {}): Promise<void> {
    const run = this.run();
    if (!run) return;
    const now = Date.now();
    if (!force && now - run.last_flush_at < FLUSH_INTERVAL_MS) return;
    this.ctx.storage.sql.exec("UPDATE run SET last_flush_at = ? WHERE id = 1", now);
    const streams = this.streams();
    const failed = streams.filter((s) => s.status === "failed");
    const summaries: RunStreamSummary[] = streams.map((s) => ({
      name: s.name,
      sync_mode: s.sync_mode,
      status: s.status,
      rows_loaded: s.rows_loaded,
      ...(s.rows_skipped > 0 ? { rows_skipped: s.rows_skipped } : {}),
      error_message: s.error_message,
      ...(s.schema_changes && s.schema_changes !== "[]" ? { schema_changes: JSON.parse(s.schema_changes) as SchemaChange[] } : {}),
      ...this.retryOf(s),
    }));
    await writeRunProgress(this.services(), run.run_id, {
      status: run.status,
      rowsLoaded: streams.reduce((sum, s) => sum + s.rows_loaded, 0),
      streamsFailed: failed.length,
      errorMessage:
        run.status === "cancelled" ? run.cancel_reason : failed.map((s) => `${s.name}: ${s.error_message}`).join("; "),
      streams: summaries,
      usage: parseUsage(run.usage),
      ...extra,
    });
  }
}
