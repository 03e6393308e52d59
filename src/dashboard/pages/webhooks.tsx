/** @jsxImportSource hono/jsx */
import { listDeliveries, listWebhooks } from "../../services/webhooks/crud";
import { WEBHOOK_EVENTS } from "../../services/webhooks/events";
import { roleAtLeast } from "../../services/context";
import type { DashboardContext } from "../index";
import { Empty, FIRST_HUNDRED, Head, Page, StatusBadge, Time } from "../layout";

const RECENT = { paged: false, page: 1, pageSize: 20, limit: 20, offset: 0 };

export async function webhooksPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const { rows } = await listWebhooks(services, viewer.workspaceId, FIRST_HUNDRED);
  const deliveries = await Promise.all(rows.map((row) => listDeliveries(services, viewer.workspaceId, row.id, RECENT)));
  const canEdit = roleAtLeast(viewer.role, "admin");
  return c.html(
    <Page title="Webhooks" viewer={viewer} current="/webhooks" script="webhooks">
      <p class="muted">
        Loaders POST a signed JSON body to each endpoint when its events happen. Verify the <code>Loaders-Signature</code> header (
        <code>t=…,v1=…</code>, HMAC-SHA256 of timestamp and body with the endpoint's secret; README, “Alerts”). Failed deliveries are retried for a day.
      </p>
      <p class="error" role="alert" id="webhooks-error" hidden></p>
      {rows.length === 0 ? (
        <Empty>
          <p>No webhooks yet. {canEdit ? "Add an endpoint below to hear about failed runs and schema changes." : "Ask an admin of this workspace to add one."}</p>
        </Empty>
      ) : (
        rows.map((row, index) => (
          <section class="card" aria-label={`Webhook ${row.url}`}>
            <h2>
              <code>{row.url}</code> <StatusBadge status={row.status} />
            </h2>
            {row.description ? <p>{row.description}</p> : null}
            <p class="small muted">Events: {(JSON.parse(row.events) as string[]).join(", ")}</p>
            {canEdit ? (
              <div class="actions">
                <button type="button" class="small" data-webhook-status={row.status === "active" ? "disabled" : "active"} data-webhook={row.id}>
                  {row.status === "active" ? "Disable" : "Enable"}
                </button>
                <button type="button" class="small danger" data-delete-webhook={row.id} data-webhook-url={row.url}>
                  Delete
                </button>
              </div>
            ) : null}
            <h3 class="small">Recent deliveries</h3>
            {deliveries[index]!.rows.length === 0 ? (
              <p class="muted small">None yet.</p>
            ) : (
              <div class="table-wrap" tabindex={0} role="region" aria-label={`Deliveries to ${row.url}`}>
                <table>
                  <Head columns={["Event", "Status", "Attempts", "Receiver said", "Created", "Next attempt"]} numeric={["Attempts"]} />
                  <tbody>
                    {deliveries[index]!.rows.map((delivery) => (
                      <tr>
                        <td>{delivery.eventType}</td>
                        <td>
                          <StatusBadge status={delivery.status} />
                        </td>
                        <td class="num">{delivery.attempts}</td>
                        <td class="small">{delivery.lastStatus !== null ? `HTTP ${delivery.lastStatus}` : ""} {delivery.lastError}</td>
                        <td>
                          <Time iso={delivery.createdAt} />
                        </td>
                        <td>
                          <Time iso={delivery.nextAttemptAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        ))
      )}
      {canEdit ? (
        <section class="card" aria-labelledby="new-webhook-title">
          <h2 id="new-webhook-title">Add an endpoint</h2>
          <form id="new-webhook" novalidate>
            <div class="field">
              <label for="webhook-url">URL</label>
              <input id="webhook-url" name="url" data-path="url" type="url" required placeholder="https://example.com/hooks/loaders" />
            </div>
            <div class="field">
              <label for="webhook-description">Description (optional)</label>
              <input id="webhook-description" name="description" data-path="description" />
            </div>
            <fieldset data-path="events">
              <legend>Events</legend>
              {WEBHOOK_EVENTS.map((event) => (
                <div class="field checkbox">
                  <input type="checkbox" id={`event-${event}`} data-event={event} checked />
                  <label for={`event-${event}`}>{event}</label>
                </div>
              ))}
            </fieldset>
            <button type="submit" class="primary">
              Add endpoint
            </button>
          </form>
          <div id="new-webhook-shown" hidden>
            <p>
              <strong>Copy the signing secret now</strong>; it is not shown again:
            </p>
            <code id="new-webhook-secret" class="secret-once"></code>
            <p>
              <a href="/webhooks">Done</a>
            </p>
          </div>
        </section>
      ) : null}
    </Page>,
  );
}
