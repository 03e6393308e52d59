/** @jsxImportSource hono/jsx */
import { listApiKeys } from "../../services/api-keys/list-api-keys";
import { roleAtLeast } from "../../services/context";
import type { DashboardContext } from "../index";
import { FIRST_HUNDRED, Page, StatusBadge, Time } from "../layout";

export async function apiKeysPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const { rows } = await listApiKeys(services, viewer.workspaceId, FIRST_HUNDRED);
  const canEdit = roleAtLeast(viewer.role, "admin");
  // Revoking the key this session runs on would end the session mid-click; another key (or the API) can.
  const ownKeyId = services.actor.kind === "api_key" ? services.actor.keyId : null;
  return c.html(
    <Page title="API keys" viewer={viewer} current="/api-keys" script="api-keys">
      <p class="muted">Keys sign in to this dashboard and call the API. A key is shown once, when it is created.</p>
      <p class="error" role="alert" id="keys-error" hidden></p>
      <div class="table-wrap" tabindex={0} role="region" aria-label="API keys">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              {canEdit ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr>
                <td>{row.name}</td>
                <td>
                  <code>{row.keyPrefix}…</code>
                </td>
                <td>{row.role}</td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td>
                  <Time iso={row.lastUsedAt} empty="never" />
                </td>
                {canEdit ? (
                  <td>
                    {row.status === "active" && row.id !== ownKeyId ? (
                      <button type="button" class="small danger" data-revoke-key={row.id} data-key-name={row.name}>
                        Revoke
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit ? (
        <section class="card" aria-labelledby="new-key-title">
          <h2 id="new-key-title">Create a key</h2>
          <form id="new-key" novalidate>
            <div class="field">
              <label for="key-name">Name</label>
              <input id="key-name" name="name" data-path="name" required />
            </div>
            <div class="field">
              <label for="key-role">Role</label>
              <select id="key-role" name="role" data-path="role">
                <option value="member">member: reads and triggers runs</option>
                <option value="admin">admin: also creates, edits and deletes</option>
                {viewer.role === "owner" ? <option value="owner">owner</option> : null}
              </select>
            </div>
            <button type="submit" class="primary">
              Create key
            </button>
          </form>
          <div id="new-key-shown" hidden>
            <p>
              <strong>Copy this key now</strong>; it is not shown again:
            </p>
            <code id="new-key-value" class="secret-once"></code>
          </div>
        </section>
      ) : null}
    </Page>,
  );
}
