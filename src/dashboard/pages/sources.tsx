/** @jsxImportSource hono/jsx */
import { z } from "zod";
import { listSources } from "../../services/sources/crud";
import { sourceTypes } from "../../services/sources/source-types";
import { roleAtLeast } from "../../services/context";
import type { DashboardContext } from "../index";
import { Data, Empty, FIRST_HUNDRED, Head, Page, StatusBadge, Time } from "../layout";

/** The warehouse types with their config as JSON Schema, for the create form the client script builds. */
function warehouseTypes() {
  return Object.entries(sourceTypes).map(([type, spec]) => ({
    type,
    title: spec.title,
    secret_fields: spec.secret_fields,
    config_schema: z.toJSONSchema(spec.config, { io: "input", unrepresentable: "any" }),
  }));
}

export async function sourcesPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const { rows } = await listSources(services, viewer.workspaceId, FIRST_HUNDRED);
  const canEdit = roleAtLeast(viewer.role, "admin");
  return c.html(
    <Page title="Warehouses" viewer={viewer} current="/sources" script="sources">
      <Data id="warehouse-types" value={warehouseTypes()} />
      <p class="muted">A warehouse is where loaders write (the API calls it a source). The embedded D1 warehouse needs no settings.</p>
      {rows.length === 0 ? (
        <Empty>
          <p>No warehouse yet. {canEdit ? "Add one below; the embedded D1 warehouse works at once." : "Ask an admin of this workspace to add one."}</p>
        </Empty>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Warehouses">
          <table>
            <Head columns={["Name", "Type", "Status", "Created", "Actions"]} />
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>{row.name}</td>
                  <td>{row.sourceType}</td>
                  <td>
                    <StatusBadge status={row.status} />
                    {row.statusError ? <div class="small error-text">{row.statusError}</div> : null}
                  </td>
                  <td>
                    <Time iso={row.createdAt} />
                  </td>
                  <td>
                    <button type="button" class="small" data-test-source={row.id}>
                      Test
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ol id="saved-test-steps" class="check-steps" aria-live="polite"></ol>
      {canEdit ? (
        <section class="card" aria-labelledby="new-source-title">
          <h2 id="new-source-title">Add a warehouse</h2>
          <form id="new-source" novalidate>
            <p class="error" role="alert" id="source-error" hidden></p>
            <div class="field">
              <label for="source-name">Name</label>
              <input id="source-name" name="name" data-path="name" required />
            </div>
            <div class="field">
              <label for="source-type">Type</label>
              <select id="source-type" name="source_type" data-path="source_type"></select>
            </div>
            <fieldset id="source-config" class="config">
              <legend>Settings</legend>
            </fieldset>
            <ol id="source-test-steps" class="check-steps" aria-live="polite"></ol>
            <div class="actions">
              <button type="button" id="source-test">
                Test connection
              </button>
              <button type="submit" class="primary">
                Save
              </button>
            </div>
          </form>
        </section>
      ) : null}
    </Page>,
  );
}
