// The dashboard's client script: plain ES modules, no build step. It calls the Loaders JSON API with the session
// cookie (the server checks X-CSRF-Token on every write) and shows each error next to the field the API names.
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
const WORKSPACE = meta("loaders-workspace");
const CSRF = meta("loaders-csrf");
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const data = (id) => JSON.parse($(`#${id}`)?.textContent ?? "null");

/** A run's schema change as the run page says it (the server-rendered table says it the same way, pages/run.tsx). */
function schemaChangeText(change) {
  return change.change === "column_added" ? `added (${change.type})` : `${change.from} → ${change.type}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ---------- the API ----------
async function api(method, path, body) {
  const headers = { "X-Workspace-ID": WORKSPACE, "X-CSRF-Token": CSRF };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1/workspaces/${WORKSPACE}${path}`, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  if (response.status === 401) window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname)}`);
  return { ok: response.ok, status: response.status, body: json };
}

/** Server-Sent Events over a POST (EventSource only does GET): calls onEvent(name, data) for each event. */
async function eventStream(method, path, body, onEvent) {
  const response = await fetch(`/api/v1/workspaces/${WORKSPACE}${path}`, {
    method,
    headers: { "X-Workspace-ID": WORKSPACE, "X-CSRF-Token": CSRF, Accept: "text/event-stream", ...(body ? { "Content-Type": "application/json" } : {}) },
    credentials: "same-origin",
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text };
    }
    return { ok: false, status: response.status, body: json };
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const lines = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
      }
      let payload = lines.join("\n");
      try {
        payload = JSON.parse(payload);
      } catch {
        /* plain text event */
      }
      onEvent(name, payload);
    }
  }
  return { ok: true, status: response.status, body: null };
}

// ---------- errors next to fields ----------
function clearErrors(root) {
  for (const node of $$(".field-error", root)) node.remove();
  for (const node of $$("[aria-invalid]", root)) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-errormessage");
  }
}

/** Puts each `details[].path` message under its field (the nearest ancestor path that has one); the rest on top. */
function showErrors(root, banner, body) {
  clearErrors(root);
  const unplaced = [];
  let first = null;
  for (const detail of body?.details ?? []) {
    let path = detail.path;
    let field = null;
    while (path && !(field = root.querySelector(`[data-path="${CSS.escape(path)}"]`))) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (!field) {
      unplaced.push(`${detail.path}: ${detail.message}`);
      continue;
    }
    const id = `err-${Math.random().toString(36).slice(2)}`;
    const message = el("p", { class: "field-error", id, text: detail.message });
    field.after(message);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-errormessage", id);
    first ??= field;
  }
  if (banner) {
    const text = [body?.error ?? "The request failed.", ...unplaced].join(" — ");
    banner.textContent = text;
    banner.hidden = false;
  }
  return first;
}

function hideBanner(banner) {
  if (banner) {
    banner.hidden = true;
    banner.textContent = "";
  }
}

// ---------- forms from JSON Schema ----------
const nonNull = (schema) => {
  const variants = schema.anyOf ?? schema.oneOf;
  if (!variants) return schema;
  const rest = variants.filter((s) => s.type !== "null");
  return rest.length === 1 ? { ...rest[0], description: schema.description ?? rest[0].description, default: schema.default ?? rest[0].default } : schema;
};

/** The property whose `const` tells the variants of a union apart (rest_api's `auth.type`, `paginator.type`). */
function discriminatorOf(variants) {
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((key) => variants.every((v) => v.properties?.[key] && ("const" in v.properties[key] || v.properties[key].enum?.length === 1)));
}

const constOf = (property) => ("const" in property ? property.const : property.enum?.[0]);
const label = (name) => name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

/**
 * Renders `schema` into `container` as fields whose `data-path` is their dot path (`config.auth.token`), so API
 * errors land next to them. Secret fields are write-only: never pre-filled, and left blank they keep what is stored.
 */
function renderSchema(container, schema, options) {
  const { path, value, secrets, editing, required } = options;
  const s = nonNull(schema);
  const variants = s.anyOf ?? s.oneOf;
  if (variants && variants.every((v) => v.type === "object")) return renderUnion(container, variants, options);
  if (s.type === "object" && s.properties) {
    const requiredSet = new Set(s.required ?? []);
    for (const [name, property] of Object.entries(s.properties)) {
      const childPath = path ? `${path}.${name}` : name;
      const child = nonNull(property);
      if (child.type === "object" && child.properties) {
        const fieldset = el("fieldset", { class: "nested" }, el("legend", { text: label(name) }));
        if (child.description) fieldset.append(el("p", { class: "help", text: child.description }));
        container.append(fieldset);
        renderSchema(fieldset, child, { ...options, path: childPath, value: value?.[name], required: requiredSet.has(name) });
      } else if ((child.anyOf ?? child.oneOf)?.every((v) => v.type === "object")) {
        const fieldset = el("fieldset", { class: "nested" }, el("legend", { text: label(name) }));
        if (child.description) fieldset.append(el("p", { class: "help", text: child.description }));
        container.append(fieldset);
        renderUnion(fieldset, child.anyOf ?? child.oneOf, { ...options, path: childPath, value: value?.[name], fallback: child.default });
      } else {
        container.append(renderField(name, child, { path: childPath, value: value?.[name], secret: secrets.has(childPath.replace(/^config\./, "")), editing, required: requiredSet.has(name) }));
      }
    }
    return;
  }
  container.append(renderField(path.split(".").pop(), s, { path, value, secret: false, editing, required }));
}

function renderUnion(container, variants, options) {
  const key = discriminatorOf(variants);
  if (!key) {
    container.append(renderField(options.path.split(".").pop(), { type: "object" }, { ...options, secret: false }));
    return;
  }
  const id = `f-${options.path.replaceAll(".", "-")}-${key}`;
  const select = el("select", { id, dataset: { path: `${options.path}.${key}`, kind: "string" } });
  const current = options.value?.[key] ?? options.fallback?.[key] ?? constOf(variants[0].properties[key]);
  for (const variant of variants) {
    const v = constOf(variant.properties[key]);
    select.append(el("option", { value: v, selected: v === current, text: variant.description ? `${v}: ${variant.description}` : v }));
  }
  const body = el("div", { class: "variant" });
  const draw = () => {
    body.replaceChildren();
    const chosen = variants.find((v) => constOf(v.properties[key]) === select.value);
    const rest = { ...chosen, properties: Object.fromEntries(Object.entries(chosen.properties).filter(([k]) => k !== key)) };
    const sameVariant = options.value?.[key] === select.value;
    renderSchema(body, rest, { ...options, value: sameVariant ? options.value : undefined });
  };
  select.addEventListener("change", draw);
  const owner = options.path.split(".").pop();
  container.append(el("div", { class: "field" }, el("label", { for: id, text: `${label(owner)} ${key}` }), select), body);
  draw();
}

function renderField(name, schema, { path, value, secret, editing, required }) {
  const id = `f-${path.replaceAll(".", "-")}`;
  const wrap = el("div", { class: "field" });
  const helpId = `${id}-help`;
  const title = label(name) + (required ? "" : " (optional)");
  let input;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.enum) {
    input = el("select", { id, dataset: { path, kind: "string" } });
    if (!required) input.append(el("option", { value: "", text: "—" }));
    for (const option of schema.enum) input.append(el("option", { value: option, selected: (value ?? schema.default) === option, text: option }));
  } else if (type === "boolean") {
    input = el("input", { id, type: "checkbox", dataset: { path, kind: "boolean" }, checked: Boolean(value ?? schema.default) });
  } else if (type === "integer" || type === "number") {
    input = el("input", { id, type: "number", step: type === "integer" ? "1" : "any", dataset: { path, kind: "number" }, value: value ?? schema.default ?? "" });
  } else if (type === "string") {
    const long = secret && /json|key|certificate/i.test(name);
    input = long
      ? el("textarea", { id, rows: 4, dataset: { path, kind: "string", secret: "1" }, autocomplete: "off", spellcheck: "false" })
      : el("input", { id, type: secret ? "password" : "text", autocomplete: secret ? "new-password" : "off", dataset: { path, kind: "string", ...(secret ? { secret: "1" } : {}) }, value: secret ? "" : (value ?? schema.default ?? "") });
    if (secret && editing) input.setAttribute("placeholder", "stored — leave blank to keep it");
  } else {
    // Arrays, maps and anything without a simple shape: edited as JSON.
    input = el("textarea", { id, rows: 6, class: "code", spellcheck: "false", dataset: { path, kind: "json" } });
    input.value = value !== undefined ? JSON.stringify(value, null, 2) : schema.default !== undefined ? JSON.stringify(schema.default, null, 2) : "";
  }
  if (required && !(secret && editing) && type !== "boolean") input.setAttribute("aria-required", "true");
  if (schema.description || secret) {
    input.setAttribute("aria-describedby", helpId);
    wrap.append(el("label", { for: id, text: title }), input, el("p", { class: "help", id: helpId, text: [schema.description, secret ? "Secret: stored encrypted, never shown again." : ""].filter(Boolean).join(" ") }));
  } else {
    wrap.append(el("label", { for: id, text: title }), input);
  }
  if (type === "boolean") wrap.classList.add("checkbox");
  return wrap;
}

function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] ??= {};
  node[parts.at(-1)] = value;
}

/** Reads the fields under `root` back into an object; blank fields are absent (a blank secret keeps the stored one). */
function collect(root, prefix) {
  const out = {};
  const errors = [];
  for (const input of $$("[data-path]", root)) {
    const path = input.dataset.path;
    if (!path.startsWith(`${prefix}.`) || !input.isConnected) continue;
    const key = path.slice(prefix.length + 1);
    const kind = input.dataset.kind;
    if (kind === "boolean") setPath(out, key, input.checked);
    else if (input.value.trim() === "") continue;
    else if (kind === "number") setPath(out, key, Number(input.value));
    else if (kind === "json") {
      try {
        setPath(out, key, JSON.parse(input.value));
      } catch {
        errors.push({ path, message: "must be valid JSON" });
      }
    } else setPath(out, key, input.value);
  }
  return { value: out, errors };
}

// ---------- schedule words ----------
function scheduleHelper(input, target) {
  let timer;
  const update = async () => {
    const cron = input.value.trim();
    if (!cron) {
      target.replaceChildren(el("p", { class: "muted", text: "Manual only: runs when you trigger it." }));
      return;
    }
    const response = await fetch(`/ui/schedule?cron=${encodeURIComponent(cron)}`, { credentials: "same-origin" });
    const answer = await response.json();
    if (!answer.valid) {
      target.replaceChildren(el("p", { class: "field-error", text: answer.error }));
      return;
    }
    target.replaceChildren(
      el("p", { text: answer.words }),
      el("p", { class: "small muted", text: "Next runs:" }),
      el("ul", { class: "next-times" }, answer.next.map((iso) => el("li", {}, el("time", { datetime: iso, text: new Date(iso).toLocaleString() })))),
    );
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  update();
}

// ---------- check steps ----------
function stepItem(list, step) {
  const mark = step.status === "success" ? "✓" : step.status === "failed" ? "✗" : "–";
  list.append(el("li", { class: `check-${step.status}` }, el("span", { class: "mark", "aria-hidden": "true", text: mark }), el("strong", { text: step.step }), ` ${step.message ?? ""}`));
}

async function runCheck(method, path, body, list, result) {
  list.replaceChildren();
  if (result) result.textContent = "Checking…";
  let outcome = null;
  const answer = await eventStream(method, path, body, (name, payload) => {
    if (name === "step") stepItem(list, payload);
    if (name === "result") outcome = payload;
  });
  if (!answer.ok) {
    outcome = { success: answer.status === 404 ? null : false, message: answer.status === 404 ? "This check is not available in this version of the API." : (answer.body?.error ?? `failed (${answer.status})`), details: answer.body?.details };
  }
  if (result) {
    result.textContent = outcome?.message ?? (outcome?.success ? "Connected." : "");
    result.className = outcome?.success ? "ok" : outcome?.success === false ? "error" : "muted";
  }
  return outcome ?? { success: null, message: "" };
}

// ---------- pages ----------
const pages = {
  async wizard() {
    const form = $("#wizard");
    const banner = $("#wizard-error");
    const warehouses = data("warehouses");
    const sections = $$("section[data-step]", form);
    const labels = $$("[data-step-label]");
    let step = 0;
    let types = [];
    let type = null;
    let streams = [];
    const state = { check: null };

    const sourceSelect = $("#loader-source");
    for (const w of warehouses) sourceSelect.append(el("option", { value: w.id, text: `${w.name} (${w.source_type})` }));
    $("#no-warehouse").hidden = warehouses.length > 0;

    const answer = await api("GET", "/loader-types");
    types = answer.body ?? [];
    const grid = $("#type-grid");
    grid.replaceChildren(
      ...types.map((t) =>
        el(
          "label",
          { class: `type-card${t.reader_available ? "" : " unavailable"}` },
          el("input", { type: "radio", name: "loader_type", value: t.type, disabled: !t.reader_available, "aria-describedby": `type-${t.type}-note` }),
          el("strong", { text: t.title }),
          el("span", { class: "small muted", id: `type-${t.type}-note`, text: t.reader_available ? t.category : "coming soon: reader not built yet" }),
        ),
      ),
    );

    const configFields = $("#config-form");
    const config = () => collect(configFields, "config");
    const show = (index) => {
      step = index;
      sections.forEach((section, i) => (section.hidden = i !== index));
      labels.forEach((item, i) => (i === index ? item.setAttribute("aria-current", "step") : item.removeAttribute("aria-current")));
      $("#wizard-back").disabled = index === 0;
      $("#wizard-next").hidden = index === sections.length - 1;
      $("#wizard-create").hidden = index !== sections.length - 1;
      sections[index].querySelector("h2")?.focus?.();
    };
    for (const section of sections) section.querySelector("h2")?.setAttribute("tabindex", "-1");

    const chooseType = (name) => {
      type = types.find((t) => t.type === name);
      configFields.replaceChildren(el("legend", { text: `${type.title} settings` }));
      renderSchema(configFields, type.config_schema, { path: "config", value: undefined, secrets: new Set(type.secret_fields), editing: false, required: true });
      $("#loader-name").value ||= type.title;
      $("#loader-schema").value ||= type.type.replace(/[^a-z0-9_]/gi, "_");
    };

    const staticStreams = () => {
      if (type.streams.length > 0) return type.streams;
      const declared = config().value.streams;
      if (type.type === "rest_api" && Array.isArray(declared)) {
        return declared.map((s) => ({ name: s.name, primary_key: [].concat(s.primary_key ?? []), cursor_field: s.incremental?.cursor_field ?? null, supported_sync_modes: s.incremental ? ["full_refresh", "incremental"] : ["full_refresh"] }));
      }
      return [];
    };

    const drawStreams = () => {
      const list = $("#stream-list");
      list.replaceChildren();
      if (streams.length === 0) {
        list.append(el("p", { class: "empty", text: "No streams found for these settings. Go back and check them." }));
        return;
      }
      const defaultMode = $("#loader-sync-mode").value;
      for (const s of streams) {
        const id = `stream-${s.name.replace(/[^a-z0-9]/gi, "-")}`;
        const modes = s.supported_sync_modes ?? ["full_refresh"];
        const select = el("select", { "aria-label": `Sync mode of ${s.name}`, dataset: { streamMode: s.name } }, modes.map((m) => el("option", { value: m, selected: m === defaultMode, text: m })));
        const columns = s.columns ? `${s.columns.length} columns` : "";
        const key = s.primary_key?.length ? `key ${s.primary_key.join(", ")}` : "no key";
        const cursor = s.cursor_field ? `cursor ${s.cursor_field}` : "no cursor";
        list.append(
          el(
            "div",
            { class: "stream-row" },
            el("input", { type: "checkbox", id, checked: true, dataset: { stream: s.name } }),
            el("label", { for: id }, el("strong", { text: s.name }), el("span", { class: "small muted", text: ` ${[key, cursor, columns].filter(Boolean).join(" · ")}` })),
            select,
          ),
        );
      }
      const preview = $("#preview-stream");
      preview.replaceChildren(...streams.map((s) => el("option", { value: s.name, text: s.name })));
    };

    const enter = {
      async 2() {
        const body = { loader_type: type.type, config: config().value };
        state.check = await runCheck("POST", "/loaders/check", body, $("#check-steps"), $("#check-result"));
      },
      async 3() {
        const body = { loader_type: type.type, config: config().value };
        const discovered = await api("POST", "/loaders/discover", body);
        streams = discovered.ok && Array.isArray(discovered.body?.streams ?? discovered.body) ? (discovered.body.streams ?? discovered.body) : staticStreams();
        drawStreams();
      },
      async 4() {
        await drawPreview();
      },
      async 5() {
        scheduleHelper($("#loader-schedule"), $("#schedule-words"));
      },
    };

    const drawPreview = async () => {
      const target = $("#preview");
      const stream = $("#preview-stream").value;
      if (!stream) return;
      target.replaceChildren(el("p", { class: "muted", text: "Reading the first page…" }));
      const answer = await api("POST", "/loaders/preview", { loader_type: type.type, config: config().value, stream });
      if (answer.status === 404 && answer.body?.code === "not_found" && /no route/.test(answer.body.error)) {
        target.replaceChildren(el("p", { class: "muted", text: "Preview is not available in this version of the API: the first run will show the records." }));
        return;
      }
      if (!answer.ok) {
        target.replaceChildren(el("p", { class: "error", text: answer.body?.error ?? `preview failed (${answer.status})` }));
        return;
      }
      const records = answer.body.records ?? [];
      const columns = (answer.body.columns ?? []).map((c) => c.name ?? c);
      const names = columns.length ? columns : [...new Set(records.flatMap((r) => Object.keys(r)))];
      if (records.length === 0) {
        target.replaceChildren(el("p", { class: "empty", text: "The first page of this stream is empty." }));
        return;
      }
      target.replaceChildren(
        el("p", { class: "small muted", text: `The first page holds ${records.length} records${records.length > 20 ? "; the first 20 are shown" : ""}. Nothing was written.` }),
        el(
          "div",
          { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `First records of ${stream}` },
          el(
            "table",
            { class: "preview" },
            el("thead", {}, el("tr", {}, names.map((n) => el("th", { scope: "col", text: n })))),
            el("tbody", {}, records.slice(0, 20).map((r) => el("tr", {}, names.map((n) => el("td", { text: typeof r[n] === "object" && r[n] !== null ? JSON.stringify(r[n]) : String(r[n] ?? "") }))))),
          ),
        ),
      );
    };
    $("#preview-stream").addEventListener("change", drawPreview);
    $("#loader-sync-mode").addEventListener("change", () => {
      for (const select of $$("[data-stream-mode]")) if ([...select.options].some((o) => o.value === $("#loader-sync-mode").value)) select.value = $("#loader-sync-mode").value;
    });

    const validate = {
      0: () => (type ? null : "Pick a loader type."),
      1: () => {
        const { errors } = config();
        if (errors.length) {
          showErrors(form, banner, { error: "Some settings are not valid.", details: errors });
          return "";
        }
        if (!sourceSelect.value) return "Add a warehouse first (Warehouses page).";
        return null;
      },
      2: () => (state.check?.success === false ? "The check failed: fix the settings (Back) and check again." : null),
      3: () => (selectedStreams().length ? null : "Select at least one stream."),
    };

    const selectedStreams = () =>
      $$("[data-stream]")
        .filter((box) => box.checked)
        .map((box) => ({ name: box.dataset.stream, sync_mode: $(`[data-stream-mode="${CSS.escape(box.dataset.stream)}"]`).value }));

    grid.addEventListener("change", (event) => {
      if (event.target.name === "loader_type") chooseType(event.target.value);
    });
    $("#wizard-back").addEventListener("click", () => show(step - 1));
    $("#wizard-next").addEventListener("click", async () => {
      hideBanner(banner);
      const problem = validate[step]?.();
      if (problem) {
        banner.textContent = problem;
        banner.hidden = false;
        return;
      }
      if (problem === "") return;
      show(step + 1);
      await enter[step]?.();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideBanner(banner);
      const schedule = $("#loader-schedule").value.trim();
      const body = {
        name: $("#loader-name").value.trim(),
        loader_type: type.type,
        source_id: sourceSelect.value,
        target_schema: $("#loader-schema").value.trim(),
        sync_mode: $("#loader-sync-mode").value,
        selected_streams: selectedStreams(),
        config: config().value,
        schedule: schedule || null,
        schema_change_policy: $("#loader-schema-policy").value,
      };
      const created = await api("POST", "/loaders", body);
      if (created.ok) {
        window.location.assign(`/loaders/${created.body.id}`);
        return;
      }
      const field = showErrors(form, banner, created.body);
      const owner = field?.closest("section[data-step]");
      if (owner) show(Number(owner.dataset.step));
      field?.focus();
    });
  },

  async loader() {
    const loader = data("loader");
    const banner = $("#loader-error");
    const fail = (answer) => {
      banner.textContent = answer.body?.error ?? `failed (${answer.status})`;
      banner.hidden = false;
    };
    $("#trigger")?.addEventListener("click", async () => {
      const run = await api("POST", `/loaders/${loader.id}/trigger`);
      if (run.ok) window.location.assign(`/loaders/${loader.id}/runs/${run.body.id}`);
      else fail(run);
    });
    for (const [id, status] of [["pause", "paused"], ["resume", "active"]]) {
      $(`#${id}`)?.addEventListener("click", async () => {
        const answer = await api("PUT", `/loaders/${loader.id}`, { status });
        if (answer.ok) window.location.reload();
        else fail(answer);
      });
    }
    const dialog = $("#delete-dialog");
    $("#delete")?.addEventListener("click", () => dialog.showModal());
    dialog?.addEventListener("close", async () => {
      if (dialog.returnValue !== "confirm") return;
      const answer = await api("DELETE", `/loaders/${loader.id}`);
      if (answer.ok) window.location.assign("/loaders");
      else fail(answer);
    });
    for (const button of $$("[data-reset-stream]")) {
      button.addEventListener("click", async () => {
        const name = button.dataset.resetStream;
        if (!window.confirm(`Reset ${name}? Its next run reads it in full again.`)) return;
        const answer = await api("POST", `/loaders/${loader.id}/streams/${encodeURIComponent(name)}/reset`);
        if (answer.ok) {
          button.textContent = "Reset ✓";
          button.disabled = true;
        } else if (answer.status === 404 && /no route/.test(answer.body?.error ?? "")) {
          fail({ body: { error: "Resetting a stream is not available in this version of the API." } });
        } else fail(answer);
      });
    }
    const form = $("#edit-loader");
    if (!form) return;
    const types = (await api("GET", "/loader-types")).body ?? [];
    const type = types.find((t) => t.type === loader.loader_type);
    const fields = $("#config-form");
    if (type) renderSchema(fields, type.config_schema, { path: "config", value: loader.config, secrets: new Set(type.secret_fields), editing: true, required: true });
    scheduleHelper($("#edit-schedule"), $("#edit-schedule-words"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideBanner(banner);
      const status = $("#edit-status");
      const { value, errors } = collect(fields, "config");
      if (errors.length) {
        showErrors(form, banner, { error: "Some settings are not valid.", details: errors });
        return;
      }
      const schedule = $("#edit-schedule").value.trim();
      const answer = await api("PUT", `/loaders/${loader.id}`, { name: $("#edit-name").value.trim(), schedule: schedule || null, schema_change_policy: $("#edit-schema-policy").value, config: value });
      if (answer.ok) {
        clearErrors(form);
        status.textContent = "Saved.";
        for (const secret of $$("[data-secret]", form)) secret.value = "";
      } else {
        status.textContent = "";
        showErrors(form, banner, answer.body)?.focus();
      }
    });
  },

  async run() {
    let run = data("run");
    const setBadge = (cell, status) => cell.replaceChildren(el("span", { class: `badge badge-${status}`, text: status }));
    const live = (r) => r.status === "pending" || r.status === "running";
    const draw = (r) => {
      setBadge($("#run-status"), r.status);
      $("#run-rows").textContent = r.rows_loaded.toLocaleString("en-US");
      for (const cell of $$("[data-usage]")) cell.textContent = (r.usage?.[cell.dataset.usage] ?? 0).toLocaleString("en-US");
      if (r.usage) $("#run-cost").textContent = `$${r.estimated_cost_usd.toFixed(6)}`;
      const error = $("#run-error");
      error.textContent = r.error_message;
      error.hidden = !r.error_message;
      if (r.completed_at) $("#run-completed").replaceChildren(el("time", { datetime: r.completed_at, text: new Date(r.completed_at).toLocaleString() }));
      const body = $("#run-streams tbody");
      for (const s of r.streams) {
        let row = $(`tr[data-stream="${CSS.escape(s.name)}"]`, body);
        if (!row) {
          row = el("tr", { dataset: { stream: s.name } }, el("td", { text: s.name }), el("td", { text: s.sync_mode }), el("td", { dataset: { cell: "status" } }), el("td", { class: "num counter", dataset: { cell: "rows" } }), el("td", { class: "small", dataset: { cell: "message" } }));
          body.append(row);
        }
        setBadge($('[data-cell="status"]', row), s.status);
        $('[data-cell="rows"]', row).textContent = s.rows_loaded.toLocaleString("en-US");
        const retrying = s.last_error && s.status === "running" ? `retrying (attempt ${s.attempts ?? "?"}): ${s.last_error}` : "";
        $('[data-cell="message"]', row).textContent = s.error_message || retrying;
      }
      const changes = r.streams.flatMap((s) => (s.schema_changes ?? []).map((change) => [s.name, change]));
      $("#run-schema-card").hidden = changes.length === 0;
      $("#run-schema-changes tbody").replaceChildren(
        ...changes.map(([stream, change]) =>
          el(
            "tr",
            {},
            el("td", { text: stream }),
            el("td", {}, el("code", { text: change.column })),
            el("td", { text: schemaChangeText(change) }),
            el("td", {}, el("span", { class: `badge badge-${change.decision}`, text: change.decision })),
          ),
        ),
      );
      $("#cancel-run").classList.toggle("spent", !live(r));
      $("#run-live").textContent = live(r) ? "Updating live…" : "This run has ended.";
    };
    $("#cancel-run").addEventListener("click", async () => {
      const answer = await api("POST", `/loaders/${run.loader_id}/runs/${run.id}/cancel`);
      if (answer.ok) draw(answer.body);
    });
    const describe = (event) => {
      const d = event.data ?? {};
      if (event.type === "stream.retry_scheduled") return `attempt ${d.attempt ?? "?"} failed: ${d.reason ?? ""}; retrying at ${d.retry_at ? new Date(d.retry_at).toLocaleTimeString() : "soon"}`;
      if (event.type === "stream.rows_written") return `+${Number(d.rows_added ?? 0).toLocaleString("en-US")} rows (${Number(d.rows_loaded ?? 0).toLocaleString("en-US")} in all)`;
      if (event.type === "stream.failed") return d.error ?? "";
      if (event.type === "stream.schema_changed") {
        return (d.changes ?? []).map((c) => `${c.column} ${schemaChangeText(c)}, ${c.decision}`).join("; ");
      }
      if (event.type === "run.ended") return `run ${d.status ?? "ended"}`;
      return "";
    };
    const list = $("#run-events");
    const addEvent = (event) => {
      $("#run-events-card").hidden = false;
      list.append(
        el(
          "li",
          { class: `event event-${event.type.replace(".", "-")}` },
          el("time", { datetime: event.at, text: new Date(event.at).toLocaleTimeString() }),
          " ",
          el("strong", { text: event.type }),
          event.stream ? ` ${event.stream}` : "",
          describe(event) ? ` — ${describe(event)}` : "",
        ),
      );
    };
    // The run's event stream replays from its start and follows it live; the run object is polled for the counters.
    const events = eventStream("GET", `/loaders/${run.loader_id}/runs/${run.id}/events`, undefined, (name, payload) => {
      if (payload && typeof payload === "object" && payload.type) addEvent(payload);
    }).catch(() => undefined);
    draw(run);
    while (live(run)) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const answer = await api("GET", `/loaders/${run.loader_id}/runs/${run.id}`);
      if (answer.status === 429) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      if (!answer.ok) break;
      run = answer.body;
      draw(run);
    }
    await events;
  },

  async sources() {
    for (const button of $$("[data-test-source]")) {
      button.addEventListener("click", () => runCheck("POST", `/sources/${button.dataset.testSource}/test`, undefined, $("#saved-test-steps"), null));
    }
    const form = $("#new-source");
    if (!form) return;
    const banner = $("#source-error");
    const types = data("warehouse-types");
    const select = $("#source-type");
    select.replaceChildren(...types.map((t) => el("option", { value: t.type, text: t.title })));
    const fields = $("#source-config");
    const draw = () => {
      const type = types.find((t) => t.type === select.value);
      fields.replaceChildren(el("legend", { text: `${type.title} settings` }));
      renderSchema(fields, type.config_schema, { path: "config", value: undefined, secrets: new Set(type.secret_fields), editing: false, required: true });
      if (!fields.querySelector("[data-path]")) fields.append(el("p", { class: "muted", text: "No settings needed." }));
    };
    select.addEventListener("change", draw);
    draw();
    const body = () => ({ name: $("#source-name").value.trim(), source_type: select.value, config: collect(fields, "config").value });
    $("#source-test").addEventListener("click", async () => {
      hideBanner(banner);
      const { source_type, config } = body();
      const outcome = await runCheck("POST", "/sources/test", { source_type, config }, $("#source-test-steps"), null);
      if (outcome.success === false && outcome.details) showErrors(form, banner, { error: outcome.message, details: outcome.details });
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideBanner(banner);
      const answer = await api("POST", "/sources", body());
      if (answer.ok) window.location.reload();
      else showErrors(form, banner, answer.body)?.focus();
    });
  },

  async webhooks() {
    const banner = $("#webhooks-error");
    const fail = (answer) => {
      banner.textContent = answer.body?.error ?? `failed (${answer.status})`;
      banner.hidden = false;
    };
    for (const button of $$("[data-webhook-status]")) {
      button.addEventListener("click", async () => {
        const answer = await api("PUT", `/webhooks/${button.dataset.webhook}`, { status: button.dataset.webhookStatus });
        if (answer.ok) window.location.reload();
        else fail(answer);
      });
    }
    for (const button of $$("[data-delete-webhook]")) {
      button.addEventListener("click", async () => {
        if (!window.confirm(`Delete the webhook to ${button.dataset.webhookUrl}?`)) return;
        const answer = await api("DELETE", `/webhooks/${button.dataset.deleteWebhook}`);
        if (answer.ok) window.location.reload();
        else fail(answer);
      });
    }
    const form = $("#new-webhook");
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideBanner(banner);
      const description = $("#webhook-description").value.trim();
      const body = {
        url: $("#webhook-url").value.trim(),
        events: $$("[data-event]", form).filter((box) => box.checked).map((box) => box.dataset.event),
        ...(description ? { description } : {}),
      };
      const answer = await api("POST", "/webhooks", body);
      if (!answer.ok) {
        showErrors(form, banner, answer.body)?.focus();
        return;
      }
      $("#new-webhook-secret").textContent = answer.body.secret;
      $("#new-webhook-shown").hidden = false;
      form.hidden = true;
    });
  },

  async "api-keys"() {
    const banner = $("#keys-error");
    for (const button of $$("[data-revoke-key]")) {
      button.addEventListener("click", async () => {
        if (!window.confirm(`Revoke ${button.dataset.keyName}? Anything using it stops working at once.`)) return;
        const answer = await api("DELETE", `/api-keys/${button.dataset.revokeKey}`);
        if (answer.ok) window.location.reload();
        else {
          banner.textContent = answer.body?.error ?? `failed (${answer.status})`;
          banner.hidden = false;
        }
      });
    }
    const form = $("#new-key");
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      hideBanner(banner);
      const answer = await api("POST", "/api-keys", { name: $("#key-name").value.trim(), role: $("#key-role").value });
      if (!answer.ok) {
        showErrors(form, banner, answer.body);
        return;
      }
      $("#new-key-value").textContent = answer.body.key;
      $("#new-key-shown").hidden = false;
      form.hidden = true;
    });
  },
};

for (const node of $$("time[data-local]")) node.textContent = new Date(node.getAttribute("datetime")).toLocaleString();
pages[document.body.dataset.page]?.();
