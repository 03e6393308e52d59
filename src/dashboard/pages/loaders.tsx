/** @jsxImportSource hono/jsx */
import { listLoaders } from "../../services/loaders/crud";
import { runsById } from "../../services/runs/latest-runs";
import { roleAtLeast } from "../../services/context";
import { scheduleInWords } from "../cron-words";
import type { DashboardContext } from "../index";
import { Empty, FIRST_HUNDRED, Head, Page, StatusBadge, Time } from "../layout";

const STATUSES = ["active", "paused", "error", "draft"] as const;

export async function loadersPage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const services = c.get("services");
  const filter = STATUSES.find((s) => s === c.req.query("status"));
  const { rows } = await listLoaders(services, viewer.workspaceId, FIRST_HUNDRED);
  const shown = filter ? rows.filter((row) => row.status === filter) : rows;
  const runs = await runsById(services, viewer.workspaceId, shown.flatMap((row) => (row.lastRunId ? [row.lastRunId] : [])));
  const canEdit = roleAtLeast(viewer.role, "admin");
  return c.html(
    <Page title="Loaders" viewer={viewer} current="/loaders">
      <div class="toolbar">
        <nav aria-label="Filter by status" class="filters">
          <a href="/loaders" aria-current={!filter ? "page" : undefined}>
            All ({rows.length})
          </a>
          {STATUSES.map((status) => (
            <a href={`/loaders?status=${status}`} aria-current={filter === status ? "page" : undefined}>
              {status} ({rows.filter((row) => row.status === status).length})
            </a>
          ))}
        </nav>
        {canEdit ? (
          <a class="button primary" href="/loaders/new">
            New loader
          </a>
        ) : null}
      </div>
      {shown.length === 0 ? (
        <Empty>
          {rows.length === 0 ? (
            <p>
              No loaders yet. {canEdit ? <a href="/loaders/new">Create your first loader</a> : "Ask an admin of this workspace to create one"}: pick a
              source type, connect it, choose streams and a schedule.
            </p>
          ) : (
            <p>No loader is {filter}.</p>
          )}
        </Empty>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Loaders">
          <table>
            <Head columns={["Name", "Type", "Status", "Last run", "Rows", "Schedule", "Next run"]} numeric={["Rows"]} />
            <tbody>
              {shown.map((row) => {
                const run = row.lastRunId ? runs.get(row.lastRunId) : undefined;
                return (
                  <tr>
                    <td>
                      <a href={`/loaders/${row.id}`}>{row.name}</a>
                      {row.statusError ? <div class="small error-text">{row.statusError}</div> : null}
                    </td>
                    <td>{row.loaderType}</td>
                    <td>
                      <StatusBadge status={row.status} />
                    </td>
                    <td>
                      {run ? (
                        <a href={`/loaders/${row.id}/runs/${run.id}`}>
                          <StatusBadge status={run.status} /> <Time iso={run.startedAt ?? run.createdAt} />
                        </a>
                      ) : (
                        <span class="muted">never</span>
                      )}
                    </td>
                    <td class="num">{run ? run.rowsLoaded.toLocaleString("en-US") : "—"}</td>
                    <td>{row.schedule ? <span title={row.schedule}>{scheduleInWords(row.schedule)}</span> : <span class="muted">manual</span>}</td>
                    <td>
                      <Time iso={row.status === "active" ? row.nextRunAt : null} empty={row.status === "active" ? "—" : `not while ${row.status}`} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Page>,
  );
}
