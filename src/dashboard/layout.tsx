/** @jsxImportSource hono/jsx */
/**
 * The page frame every dashboard page shares: navigation, the signed-in workspace, and the two meta tags the
 * client script reads (workspace id and CSRF token) to call the JSON API. No inline script or style anywhere, so
 * the Content-Security-Policy can forbid both.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Role } from "../services/context";
import { SCHEMA_CHANGE_POLICIES, type SchemaChangePolicy } from "../warehouses/schema-changes";

export interface Viewer {
  workspaceId: string;
  workspaceName: string;
  keyName: string;
  role: Role;
  csrf: string;
}

const NAV = [
  { href: "/loaders", label: "Loaders" },
  { href: "/sources", label: "Warehouses" },
  { href: "/api-keys", label: "API keys" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/usage", label: "Usage" },
] as const;

export function Page(props: { title: string; viewer?: Viewer; current?: string; children?: Child; script?: string }) {
  const { viewer } = props;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Loaders`}</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        {viewer ? <meta name="loaders-workspace" content={viewer.workspaceId} /> : null}
        {viewer ? <meta name="loaders-csrf" content={viewer.csrf} /> : null}
        {viewer ? <meta name="loaders-role" content={viewer.role} /> : null}
        <script type="module" src="/assets/dashboard.js"></script>
      </head>
      <body data-page={props.script ?? ""}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/loaders">
            Loaders
          </a>
          {viewer ? (
            <nav aria-label="Main">
              <ul>
                {NAV.map((item) => (
                  <li>
                    <a href={item.href} aria-current={props.current === item.href ? "page" : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {viewer ? (
            <form class="whoami" method="post" action="/signout">
              <span>
                {viewer.workspaceName} · {viewer.keyName} ({viewer.role})
              </span>
              <input type="hidden" name="_csrf" value={viewer.csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
      </html>
    </>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

export function Empty(props: { children?: Child }) {
  return <div class="empty">{props.children}</div>;
}

/** Server-rendered times are UTC ISO seconds; the client script rewrites them into the reader's local time. */
export function Time(props: { iso: string | null; empty?: string }) {
  if (!props.iso) return <span class="muted">{props.empty ?? "—"}</span>;
  return (
    <time datetime={props.iso} data-local="">
      {props.iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC")}
    </time>
  );
}

/** JSON for the client script, in a non-executable block (CSP allows it: it is data, not script). */
export function Data(props: { id: string; value: unknown }) {
  const json = JSON.stringify(props.value).replaceAll("<", "\\u003c");
  return <script type="application/json" id={props.id} dangerouslySetInnerHTML={{ __html: json }}></script>;
}

/** A table's header row; the columns named in `numeric` are right-aligned, as their cells are. */
export function Head(props: { columns: string[]; numeric?: string[] }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column) => (
          <th scope="col" class={props.numeric?.includes(column) ? "num" : undefined}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

const POLICY_LABELS: Record<SchemaChangePolicy, string> = {
  allow_all: "Allow all: add new columns and widen types",
  allow_columns: "Allow columns: add new columns, fail the stream on a type change",
  block: "Block all: fail the stream on any change",
};

/** The loader's schema_change_policy as a select (the wizard and the loader's edit form). */
export function SchemaPolicyField(props: { id: string; value?: SchemaChangePolicy }) {
  return (
    <div class="field">
      <label for={props.id}>When the source's schema changes</label>
      <select id={props.id} name="schema_change_policy" data-path="schema_change_policy">
        {SCHEMA_CHANGE_POLICIES.map((policy) => (
          <option value={policy} selected={policy === (props.value ?? "allow_all")}>
            {POLICY_LABELS[policy]}
          </option>
        ))}
      </select>
      <p class="help">A blocked change leaves the table as it was; the run shows what was refused.</p>
    </div>
  );
}

/** The dashboard lists the first hundred of each resource (the API's largest page). */
export const FIRST_HUNDRED = { paged: false, page: 1, pageSize: 100, limit: 100, offset: 0 } as const;
