/** @jsxImportSource hono/jsx */
/**
 * The new-loader wizard. The page is a frame of six steps; the client script fills them from the JSON API (loader
 * types, warehouses, check, discovery, preview) and creates the loader with one POST, so each field error the API
 * answers is shown next to the field it names.
 */
import { listSources } from "../../services/sources/crud";
import { requireRole } from "../../services/context";
import type { DashboardContext } from "../index";
import { Data, FIRST_HUNDRED, Page, SchemaPolicyField } from "../layout";

const STEPS = ["Type", "Connect", "Check", "Streams", "Preview", "Schedule"] as const;

export async function newLoaderPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  requireRole(services, "admin");
  const { rows } = await listSources(services, viewer.workspaceId, FIRST_HUNDRED);
  return c.html(
    <Page title="New loader" viewer={viewer} current="/loaders" script="wizard">
      <Data id="warehouses" value={rows.map((row) => ({ id: row.id, name: row.name, source_type: row.sourceType, status: row.status }))} />
      <ol class="steps" aria-label="Steps">
        {STEPS.map((step, index) => (
          <li data-step-label={String(index)} aria-current={index === 0 ? "step" : undefined}>
            <span class="step-number">{index + 1}</span> {step}
          </li>
        ))}
      </ol>
      <form id="wizard" class="card" novalidate>
        <p class="error" role="alert" id="wizard-error" hidden></p>
        <section data-step="0" aria-labelledby="step-type">
          <h2 id="step-type">What do you want to load?</h2>
          <div id="type-grid" class="type-grid" role="radiogroup" aria-label="Loader type">
            <p class="muted">Loading the catalog…</p>
          </div>
        </section>
        <section data-step="1" aria-labelledby="step-connect" hidden>
          <h2 id="step-connect">Connect</h2>
          <div class="field">
            <label for="loader-name">Name</label>
            <input id="loader-name" name="name" data-path="name" required maxlength={200} />
          </div>
          <div class="field">
            <label for="loader-source">Warehouse</label>
            <select id="loader-source" name="source_id" data-path="source_id" required></select>
            <p class="help" id="no-warehouse" hidden>
              No warehouse yet: <a href="/sources">add one</a> (the embedded D1 warehouse needs no settings).
            </p>
          </div>
          <div class="field">
            <label for="loader-schema">Target schema</label>
            <input id="loader-schema" name="target_schema" data-path="target_schema" required pattern="[A-Za-z_][A-Za-z0-9_]*" />
            <p class="help">Each stream lands in a table of this schema (on D1: tables named schema__stream).</p>
          </div>
          <fieldset id="config-form" class="config">
            <legend>Settings</legend>
          </fieldset>
        </section>
        <section data-step="2" aria-labelledby="step-check" hidden>
          <h2 id="step-check">Check the connection</h2>
          <ol id="check-steps" class="check-steps" aria-live="polite"></ol>
          <p id="check-result" role="status"></p>
        </section>
        <section data-step="3" aria-labelledby="step-streams" hidden>
          <h2 id="step-streams">Streams</h2>
          <div class="field">
            <label for="loader-sync-mode">Default sync mode</label>
            <select id="loader-sync-mode" name="sync_mode" data-path="sync_mode">
              <option value="incremental">incremental: only what changed since the last run</option>
              <option value="full_refresh">full_refresh: the whole stream, swapped in when complete</option>
            </select>
          </div>
          <div id="stream-list" data-path="selected_streams" class="stream-list"></div>
        </section>
        <section data-step="4" aria-labelledby="step-preview" hidden>
          <h2 id="step-preview">Preview</h2>
          <div class="field">
            <label for="preview-stream">Stream</label>
            <select id="preview-stream"></select>
          </div>
          <div id="preview" aria-live="polite"></div>
        </section>
        <section data-step="5" aria-labelledby="step-schedule" hidden>
          <h2 id="step-schedule">Schedule</h2>
          <div class="field">
            <label for="loader-schedule">Cron (UTC)</label>
            <input id="loader-schedule" name="schedule" data-path="schedule" placeholder="0 * * * *" list="schedule-presets" aria-describedby="schedule-words" />
            <datalist id="schedule-presets">
              <option value="*/15 * * * *">every 15 minutes</option>
              <option value="0 * * * *">every hour</option>
              <option value="0 */6 * * *">every 6 hours</option>
              <option value="0 3 * * *">every day at 03:00 UTC</option>
            </datalist>
            <p class="help">Leave empty to run only when you trigger it.</p>
            <div id="schedule-words" aria-live="polite"></div>
          </div>
          <SchemaPolicyField id="loader-schema-policy" />
        </section>
        <div class="wizard-nav">
          <button type="button" id="wizard-back" disabled>
            Back
          </button>
          <button type="button" id="wizard-next" class="primary">
            Next
          </button>
          <button type="submit" id="wizard-create" class="primary" hidden>
            Create loader
          </button>
        </div>
      </form>
    </Page>,
  );
}
