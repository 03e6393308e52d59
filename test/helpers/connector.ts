/**
 * What every connector harness shares: reaching a fake that test/global-setup.ts started (test/fakes/index.ts), and
 * the engine's side of a read — a development kit client with HOST_OVERRIDES as src/engine/extract-chunk.ts builds
 * it, with waits recorded instead of slept. A fake's control endpoints are ./fake-control.ts (Node tests use it too).
 * Each harness keeps only what is specific to its API (tenant shape, config, catalog, request-log type).
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { Connector, ConnectorContext, JsonObject, Page, ReadRequest, SourceRecord, StreamSpec, SyncMode } from "../../connectors/kit/contract";
import { hostOverridesFromJson } from "../../connectors/kit/host-policy";
import { createHttpClient, type HttpClientOptions } from "../../connectors/kit/http";
import { as, bootstrapWorkspace } from "./api";

export function fakePort(name: string): number {
  const port = (JSON.parse(env.FAKE_PORTS) as Record<string, number>)[name];
  if (!port) throw new Error(`the "${name}" fake is not registered in test/fakes/index.ts, so FAKE_PORTS has no port for it`);
  return port;
}

/** The fake's own loopback address (production hosts reach it through HOST_OVERRIDES instead). */
export function fakeBase(name: string): string {
  return `http://127.0.0.1:${fakePort(name)}`;
}

/** Vars every Worker has (wrangler.toml, overridden by the vitest config); test/env.d.ts declares only test ones. */
const vars = env as unknown as { ENVIRONMENT?: string; HOST_OVERRIDES?: string };

/** The engine's side of a read: `client` adjusts the kit client, `now` is the clock the connector sees. */
export function connectorContext(client: Partial<HttpClientOptions> = {}, now: () => Date = () => new Date()) {
  const sleeps: number[] = [];
  const controller = new AbortController();
  const http = createHttpClient({
    development: vars.ENVIRONMENT === "development",
    hostOverrides: hostOverridesFromJson(vars.HOST_OVERRIDES),
    signal: controller.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...client,
  });
  const ctx: ConnectorContext = { http, signal: controller.signal, now, development: vars.ENVIRONMENT === "development" };
  return { ctx, sleeps, controller };
}

export function streamNamed(streams: readonly StreamSpec[], name: string, unlisted?: (name: string) => StreamSpec | null): StreamSpec {
  const found = streams.find((s) => s.name === name) ?? unlisted?.(name);
  if (!found) throw new Error(`no stream ${name}`);
  return found;
}

export type ReadRequestOf = (stream: StreamSpec | string, syncMode: SyncMode, state?: JsonObject | null, checkpoint?: JsonObject | null) => ReadRequest;

/** A harness's `readRequest`, naming streams the way `resolve` looks them up. */
export function readRequestFor(resolve: (name: string) => StreamSpec): ReadRequestOf {
  return (stream, syncMode, state = null, checkpoint = null) => ({
    stream: typeof stream === "string" ? resolve(stream) : stream,
    sync_mode: syncMode,
    state,
    checkpoint,
  });
}

/** Every page of a read that must succeed, each kept as `keep` makes it the moment it arrives. */
export async function readPages<C extends JsonObject>(
  connector: Connector<C>,
  ctx: ConnectorContext,
  config: C,
  request: ReadRequest,
  keep: (page: Page) => Page = (page) => page,
): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of connector.read(ctx, config, request)) pages.push(keep(page));
  return pages;
}

export const records = (pages: Page[]): SourceRecord[] => pages.flatMap((page) => page.records);

/** The entry GET /loader-types serves for `type`, as a fresh workspace sees it. */
export async function servedLoaderType(type: string): Promise<any> {
  const owner = await bootstrapWorkspace();
  const res = await as(owner)("/loader-types");
  expect(res.status).toBe(200);
  return res.json.find((entry: { type: string }) => entry.type === type);
}

/** How GET /loader-types renders a catalog's streams. */
export function servedStreams(streams: readonly StreamSpec[]) {
  return streams.map((s) => ({
    name: s.name,
    primary_key: s.primary_key,
    cursor_field: s.cursor_field,
    supported_sync_modes: s.supported_sync_modes,
    reports_deletes: s.reports_deletes ?? false,
  }));
}
