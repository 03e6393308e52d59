/** @jsxImportSource hono/jsx */
/**
 * Usage: rows written and estimated cost per day and per loader, from the same report as GET …/usage. Charts are
 * server-rendered SVG bars (no script, nothing inline for the CSP), each with a title and an accessible name, and
 * the same numbers follow in tables for screen readers and for copying.
 */
import { usageQuery } from "../../api/usage/schemas";
import { type UsageTotal, usageReport } from "../../services/usage/usage-report";
import type { DashboardContext } from "../index";
import { Empty, Head, Page } from "../layout";

const DEFAULT_DAYS = 30;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const integer = (n: number) => n.toLocaleString("en-US");
/** Costs of single runs are fractions of a cent: six decimals keep them readable and distinct. */
const usd = (n: number) => `$${n.toFixed(6)}`;

interface Bar {
  label: string;
  value: number;
  text: string;
}

/** Vertical bars, one per day; the axis labels only the first and last day so narrow screens stay legible. */
function DayChart(props: { id: string; title: string; bars: Bar[] }) {
  const width = 640;
  const height = 160;
  const max = Math.max(...props.bars.map((b) => b.value), 0);
  const slot = width / Math.max(props.bars.length, 1);
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-labelledby={`${props.id}-title`} id={props.id}>
      <title id={`${props.id}-title`}>{props.title}</title>
      <line class="chart-axis" x1="0" y1={height} x2={width} y2={height} />
      {props.bars.map((bar, index) => {
        const h = max > 0 ? Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * (height - 8)) : 0;
        return (
          <rect class="chart-bar" x={(index * slot + slot * 0.15).toFixed(1)} y={(height - h).toFixed(1)} width={(slot * 0.7).toFixed(1)} height={h.toFixed(1)} data-label={bar.label}>
            <title>{`${bar.label}: ${bar.text}`}</title>
          </rect>
        );
      })}
      {props.bars.length > 0 ? (
        <>
          <text class="chart-label" x="0" y={height + 16}>
            {props.bars[0]!.label}
          </text>
          <text class="chart-label" x={width} y={height + 16} text-anchor="end">
            {props.bars.at(-1)!.label}
          </text>
        </>
      ) : null}
    </svg>
  );
}

/** Horizontal bars, one per loader, with the figure written beside each. */
function LoaderChart(props: { id: string; title: string; bars: Bar[] }) {
  const row = 28;
  const labelWidth = 200;
  const barWidth = 300;
  const width = labelWidth + barWidth + 140;
  const max = Math.max(...props.bars.map((b) => b.value), 0);
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${props.bars.length * row + 4}`} role="img" aria-labelledby={`${props.id}-title`} id={props.id}>
      <title id={`${props.id}-title`}>{props.title}</title>
      {props.bars.map((bar, index) => {
        const w = max > 0 ? Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * barWidth) : 0;
        const y = index * row + 4;
        return (
          <g>
            <text class="chart-label" x={labelWidth - 8} y={y + 15} text-anchor="end">
              {bar.label.length > 28 ? `${bar.label.slice(0, 27)}…` : bar.label}
            </text>
            <rect class="chart-bar" x={labelWidth} y={y} width={w.toFixed(1)} height={row - 10} data-label={bar.label}>
              <title>{`${bar.label}: ${bar.text}`}</title>
            </rect>
            <text class="chart-value" x={labelWidth + w + 6} y={y + 15}>
              {bar.text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export async function usagePage(c: DashboardContext) {
  const viewer = c.get("viewer");
  const now = Date.now();
  const defaults = { from: day(now - (DEFAULT_DAYS - 1) * 86_400_000), to: day(now) };
  const asked = { from: c.req.query("from") ?? defaults.from, to: c.req.query("to") ?? defaults.to };
  const parsed = usageQuery.safeParse(asked);
  const range = parsed.success ? parsed.data : defaults;
  const problem = parsed.success ? null : parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ");
  const report = await usageReport(c.get("services"), viewer.workspaceId, range.from, range.to);
  const loaderName = (l: { name: string | null; loader_id: string }) => l.name ?? `deleted loader ${l.loader_id.slice(0, 8)}`;

  return c.html(
    <Page title="Usage" viewer={viewer} current="/usage">
      <p class="muted">
        What your runs cost on Cloudflare: requests, pages, rows, queue messages and Durable Object calls, counted by every run, priced at the published
        Workers Paid rates beyond the included allowances (read {report.prices.read_on}). CPU time is estimated from the chunks' wall time, an upper bound.
      </p>
      <form class="filters usage-range" method="get" action="/usage">
        <label>
          From <input type="date" name="from" value={range.from} required />
        </label>
        <label>
          To <input type="date" name="to" value={range.to} required />
        </label>
        <button type="submit">Show</button>
      </form>
      {problem ? (
        <p class="error" role="alert" id="usage-error">
          {`That range was not valid (${problem}); showing ${range.from} to ${range.to}.`}
        </p>
      ) : null}
      <section class="card" aria-labelledby="usage-totals-title">
      <h2 id="usage-totals-title">{`${range.from} to ${range.to}`}</h2>
      <dl class="facts usage-totals">
        <dt>Runs</dt>
        <dd class="num" id="usage-runs">{integer(report.runs)}</dd>
        <dt>Rows written</dt>
        <dd class="num" id="usage-rows">{integer(report.usage.rows_written)}</dd>
        <dt>Source requests</dt>
        <dd class="num" id="usage-requests">{integer(report.usage.source_requests)}</dd>
        <dt>Estimated cost</dt>
        <dd class="num" id="usage-cost">{usd(report.estimated_cost_usd)}</dd>
      </dl>
      </section>
      {report.runs === 0 ? (
        <Empty>
          <p>
            No runs between {range.from} and {range.to}. Runs count their usage as they go: <a href="/loaders">open a loader</a> and choose “Run now”, or pick another range.
          </p>
        </Empty>
      ) : (
        <>
          <section class="card" aria-labelledby="usage-days-title">
            <h2 id="usage-days-title">Per day</h2>
            <div class="charts">
              <figure class="chart-figure">
                <figcaption class="small muted">Rows written per day</figcaption>
                <DayChart id="chart-rows-per-day" title={`Rows written per day, ${range.from} to ${range.to}`} bars={report.days.map((d) => ({ label: d.date, value: d.usage.rows_written, text: `${integer(d.usage.rows_written)} rows` }))} />
              </figure>
              <figure class="chart-figure">
                <figcaption class="small muted">Estimated cost per day</figcaption>
                <DayChart id="chart-cost-per-day" title={`Estimated cost per day, ${range.from} to ${range.to}`} bars={report.days.map((d) => ({ label: d.date, value: d.estimated_cost_usd, text: usd(d.estimated_cost_usd) }))} />
              </figure>
            </div>
            <UsageTable id="usage-days" caption="Usage per day" first="Day" rows={report.days.filter((d) => d.runs > 0).map((d) => ({ label: d.date, total: d }))} />
          </section>
          <section class="card" aria-labelledby="usage-loaders-title">
            <h2 id="usage-loaders-title">Per loader</h2>
            <div class="charts">
              <figure class="chart-figure">
                <figcaption class="small muted">Rows written per loader</figcaption>
                <LoaderChart id="chart-rows-per-loader" title="Rows written per loader" bars={report.loaders.map((l) => ({ label: loaderName(l), value: l.usage.rows_written, text: `${integer(l.usage.rows_written)} rows` }))} />
              </figure>
              <figure class="chart-figure">
                <figcaption class="small muted">Estimated cost per loader</figcaption>
                <LoaderChart id="chart-cost-per-loader" title="Estimated cost per loader" bars={report.loaders.map((l) => ({ label: loaderName(l), value: l.estimated_cost_usd, text: usd(l.estimated_cost_usd) }))} />
              </figure>
            </div>
            <UsageTable id="usage-loaders" caption="Usage per loader" first="Loader" rows={report.loaders.map((l) => ({ label: loaderName(l), href: l.name ? `/loaders/${l.loader_id}` : undefined, total: l }))} />
          </section>
        </>
      )}
    </Page>,
  );
}

function UsageTable(props: { id: string; caption: string; first: string; rows: Array<{ label: string; href?: string | undefined; total: UsageTotal }> }) {
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-label={props.caption}>
      <table id={props.id}>
        <caption class="sr-only">{props.caption}</caption>
        <Head columns={[props.first, "Runs", "Rows written", "Source requests", "Pages", "Queue messages", "DO requests", "Estimated cost"]} numeric={["Runs", "Rows written", "Source requests", "Pages", "Queue messages", "DO requests", "Estimated cost"]} />
        <tbody>
          {props.rows.map(({ label, href, total }) => (
            <tr data-usage-row={label}>
              <td>{href ? <a href={href}>{label}</a> : label}</td>
              <td class="num">{integer(total.runs)}</td>
              <td class="num" data-cell="rows">{integer(total.usage.rows_written)}</td>
              <td class="num" data-cell="requests">{integer(total.usage.source_requests)}</td>
              <td class="num">{integer(total.usage.pages)}</td>
              <td class="num">{integer(total.usage.queue_messages_sent + total.usage.queue_messages_received)}</td>
              <td class="num">{integer(total.usage.durable_object_requests)}</td>
              <td class="num" data-cell="cost">{usd(total.estimated_cost_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
