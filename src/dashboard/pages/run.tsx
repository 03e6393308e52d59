/** @jsxImportSource hono/jsx */
/**
 * A run, live: the page renders the run as it stands, then the client script follows it through the API until it
 * ends. Counters sit in fixed-width cells (tabular figures), and what appears or goes as the run ends (the cancel
 * button, the live line) keeps its space, so updates never move the layout (the browser test measures the CLS).
 */
import { runResponse } from "../../api/runs/schemas";
import { getLoader } from "../../services/loaders/crud";
import { getRunRow } from "../../services/runs/run-store";
import type { DashboardContext } from "../index";
import { Data, Head, Page, StatusBadge, Time } from "../layout";

/** The counts a person asks about first; the API's run object has them all. */
const USAGE_SHOWN = [
  ["source_requests", "Source requests"],
  ["source_bytes_received", "Bytes received"],
  ["pages", "Pages"],
  ["rows_written", "Rows written"],
  ["warehouse_statements", "Warehouse statements"],
  ["queue_messages_sent", "Queue messages sent"],
  ["durable_object_requests", "Durable Object requests"],
  ["chunk_wall_ms", "Chunk time (ms)"],
] as const;

export async function runPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const loaderId = c.req.param("loaderId")!;
  const loader = await getLoader(services, viewer.workspaceId, loaderId);
  const run = runResponse(await getRunRow(services, viewer.workspaceId, loaderId, c.req.param("runId")!));
  const live = run.status === "pending" || run.status === "running";
  return c.html(
    <Page title={`Run of ${loader.name}`} viewer={viewer} current="/loaders" script="run">
      <Data id="run" value={run} />
      <p>
        <a href={`/loaders/${loader.id}`}>← {loader.name}</a>
      </p>
      <section class="card">
        <dl class="facts">
          <dt>Status</dt>
          <dd id="run-status">
            <StatusBadge status={run.status} />
          </dd>
          <dt>Started</dt>
          <dd>
            <Time iso={run.started_at} />
          </dd>
          <dt>Ended</dt>
          <dd id="run-completed">
            <Time iso={run.completed_at} empty={live ? "still running" : "—"} />
          </dd>
          <dt>Rows loaded</dt>
          <dd class="counter" id="run-rows">
            {run.rows_loaded.toLocaleString("en-US")}
          </dd>
          <dt>Trigger</dt>
          <dd>{run.trigger}</dd>
        </dl>
        <p class="error" role="alert" id="run-error" hidden={!run.error_message}>
          {run.error_message}
        </p>
        <div class="actions">
          <button type="button" id="cancel-run" class={live ? "danger" : "danger spent"}>
            Cancel run
          </button>
        </div>
      </section>
      <section class="card" aria-labelledby="run-streams-title">
        <h2 id="run-streams-title">Streams</h2>
        <div class="table-wrap" tabindex={0} role="region" aria-labelledby="run-streams-title">
          <table id="run-streams">
            <Head columns={["Stream", "Mode", "Status", "Rows", "Message"]} numeric={["Rows"]} />
            <tbody>
              {run.streams.map((stream) => (
                <tr data-stream={stream.name}>
                  <td>{stream.name}</td>
                  <td>{stream.sync_mode}</td>
                  <td data-cell="status">
                    <StatusBadge status={stream.status} />
                  </td>
                  <td class="num counter" data-cell="rows">
                    {stream.rows_loaded.toLocaleString("en-US")}
                  </td>
                  <td class="small" data-cell="message">
                    {stream.error_message}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="muted small" id="run-live" aria-live="polite">
          {live ? "Updating live…" : "This run has ended."}
        </p>
      </section>
      <section class="card" aria-labelledby="run-usage-title">
        <h2 id="run-usage-title">Usage and cost</h2>
        <dl class="facts" id="run-usage">
          {USAGE_SHOWN.map(([field, label]) => (
            <>
              <dt>{label}</dt>
              <dd class="counter" data-usage={field}>
                {run.usage[field].toLocaleString("en-US")}
              </dd>
            </>
          ))}
          <dt>Estimated cost</dt>
          <dd class="counter" id="run-cost">
            {`$${run.estimated_cost_usd.toFixed(6)}`}
          </dd>
        </dl>
        <p class="muted small">
          At Cloudflare's published Workers Paid prices beyond the included allowances; CPU time is estimated from the chunks' wall time. <a href="/usage">All usage</a>
        </p>
      </section>
      <section class="card" aria-labelledby="run-schema-title" id="run-schema-card" hidden={!run.streams.some((s) => s.schema_changes?.length)}>
        <h2 id="run-schema-title">Schema changes</h2>
        <div class="table-wrap" tabindex={0} role="region" aria-labelledby="run-schema-title">
          <table id="run-schema-changes">
            <Head columns={["Stream", "Column", "Change", "Decision"]} />
            <tbody>
              {run.streams.flatMap((stream) =>
                (stream.schema_changes ?? []).map((change) => (
                  <tr>
                    <td>{stream.name}</td>
                    <td>
                      <code>{change.column}</code>
                    </td>
                    <td>{change.change === "column_added" ? `added (${change.type})` : `${change.from} → ${change.type}`}</td>
                    <td>
                      <StatusBadge status={change.decision} />
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
        <p class="muted small">
          What this run added to its tables and widened, as the loader's schema change policy ruled; a blocked change failed its stream and left
          the table as it was.
        </p>
      </section>
      <section class="card" aria-labelledby="run-events-title" id="run-events-card" hidden>
        <h2 id="run-events-title">Events</h2>
        <ol id="run-events" class="events"></ol>
      </section>
    </Page>,
  );
}
