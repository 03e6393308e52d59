/** @jsxImportSource hono/jsx */
import { loaderResponse } from "../../api/loaders/schemas";
import { getLoader } from "../../services/loaders/crud";
import { listRuns } from "../../services/runs/list-runs";
import { roleAtLeast } from "../../services/context";
import { scheduleInWords } from "../cron-words";
import type { DashboardContext } from "../index";
import { Data, Empty, Head, Page, SchemaPolicyField, StatusBadge, Time } from "../layout";

export async function loaderPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const loaderId = c.req.param("loaderId")!;
  const row = await getLoader(services, viewer.workspaceId, loaderId);
  const { rows: runs } = await listRuns(services, viewer.workspaceId, loaderId, { paged: false, page: 1, pageSize: 50, limit: 50, offset: 0 });
  const loader = loaderResponse(row);
  const canEdit = roleAtLeast(viewer.role, "admin");
  const live = runs.find((run) => run.status === "pending" || run.status === "running");
  return c.html(
    <Page title={row.name} viewer={viewer} current="/loaders" script="loader">
      <Data id="loader" value={loader} />
      <p class="error" role="alert" id="loader-error" hidden></p>
      <section class="card">
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={row.status} />
            {row.statusError ? <span class="error-text"> {row.statusError}</span> : null}
          </dd>
          <dt>Type</dt>
          <dd>{row.loaderType}</dd>
          <dt>Target schema</dt>
          <dd>
            <code>{row.targetSchema}</code>
          </dd>
          <dt>Schedule</dt>
          <dd>{row.schedule ? `${scheduleInWords(row.schedule)} (${row.schedule})` : "manual only"}</dd>
          <dt>Next run</dt>
          <dd>
            <Time iso={row.status === "active" ? row.nextRunAt : null} empty={row.status === "active" ? "—" : `not while ${row.status}`} />
          </dd>
        </dl>
        <div class="actions">
          <button type="button" class="primary" id="trigger" disabled={Boolean(live) || row.status === "draft"}>
            Run now
          </button>
          {canEdit ? (
            <>
              {row.status === "paused" ? (
                <button type="button" id="resume">
                  Resume
                </button>
              ) : (
                <button type="button" id="pause" disabled={row.status === "draft"}>
                  Pause
                </button>
              )}
              <button type="button" class="danger" id="delete">
                Delete…
              </button>
            </>
          ) : null}
        </div>
      </section>

      <section class="card" aria-labelledby="streams-title">
        <h2 id="streams-title">Streams</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Stream</th>
              <th scope="col">Sync mode</th>
              {canEdit ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {loader.selected_streams.map((stream) => (
              <tr>
                <td>{stream.name}</td>
                <td>{stream.sync_mode}</td>
                {canEdit ? (
                  <td>
                    <button type="button" class="small" data-reset-stream={stream.name}>
                      Reset
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {canEdit ? (
        <section class="card" aria-labelledby="edit-title">
          <h2 id="edit-title">Settings</h2>
          <form id="edit-loader" novalidate>
            <div class="field">
              <label for="edit-name">Name</label>
              <input id="edit-name" name="name" data-path="name" value={row.name} required />
            </div>
            <div class="field">
              <label for="edit-schedule">Schedule (cron, UTC)</label>
              <input id="edit-schedule" name="schedule" data-path="schedule" value={row.schedule ?? ""} aria-describedby="edit-schedule-words" />
              <div id="edit-schedule-words" aria-live="polite"></div>
            </div>
            <SchemaPolicyField id="edit-schema-policy" value={row.schemaChangePolicy} />
            <fieldset id="config-form" class="config">
              <legend>Settings of the {row.loaderType} connection</legend>
            </fieldset>
            <p role="status" id="edit-status"></p>
            <button type="submit" class="primary">
              Save
            </button>
          </form>
        </section>
      ) : null}

      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        {runs.length === 0 ? (
          <Empty>
            <p>No runs yet. {row.status === "draft" ? "Complete the settings first, then run it." : "Press “Run now”, or wait for the schedule."}</p>
          </Empty>
        ) : (
          <div class="table-wrap" tabindex={0} role="region" aria-label="Runs">
            <table>
              <Head columns={["Started", "Status", "Trigger", "Rows", "Message"]} numeric={["Rows"]} />
              <tbody>
                {runs.map((run) => (
                  <tr>
                    <td>
                      <a href={`/loaders/${row.id}/runs/${run.id}`}>
                        <Time iso={run.startedAt ?? run.createdAt} />
                      </a>
                    </td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>{run.trigger}</td>
                    <td class="num">{run.rowsLoaded.toLocaleString("en-US")}</td>
                    <td class="small">{run.errorMessage}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <dialog id="delete-dialog" aria-labelledby="delete-title">
        <form method="dialog">
          <h2 id="delete-title">Delete “{row.name}”?</h2>
          <p>The loader, its schedule and its state are deleted; a live run is cancelled. The tables already loaded stay in the warehouse.</p>
          <div class="actions">
            <button value="cancel">Keep it</button>
            <button value="confirm" class="danger" id="delete-confirm">
              Delete
            </button>
          </div>
        </form>
      </dialog>
    </Page>,
  );
}
