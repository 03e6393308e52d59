/** What a rest_api config declares, turned into the engine's stream catalog and the kit's declarative streams. */
import type { JsonObject, StreamSpec, SyncMode } from "../kit/contract";
import { type HttpStream, stateCursor } from "../kit/declarative";
import { ConnectorError } from "../kit/errors";
import { createPaginator } from "../kit/paginators";
import { applyLookback } from "../kit/records";
import type { RestApiConfig, RestApiStream } from "./config";

export function streamSpecs(config: RestApiConfig): StreamSpec[] {
  return config.streams.map((stream) => ({
    name: stream.name,
    primary_key: primaryKey(stream),
    cursor_field: stream.incremental?.cursor_field ?? null,
    supported_sync_modes: stream.incremental ? ["full_refresh", "incremental"] : ["full_refresh"],
  }));
}

function primaryKey(stream: RestApiStream): string[] {
  if (stream.primary_key === undefined) return [];
  return typeof stream.primary_key === "string" ? [stream.primary_key] : stream.primary_key;
}

export function declaredStream(config: RestApiConfig, name: string): RestApiStream {
  const stream = config.streams.find((s) => s.name === name);
  if (!stream) throw new ConnectorError("configuration", `stream "${name}" is not declared in this loader's config`);
  return stream;
}

/**
 * The declarative stream for one read. Incremental runs send the committed cursor minus `lookback_seconds` as an
 * inclusive lower bound (the warehouse merges the re-read rows by primary key); a first incremental run and every
 * full_refresh send no bound and read everything. Each chunk of a run computes the same bound, because the committed
 * state changes only once the run's stream has completed.
 */
export function httpStream(config: RestApiConfig, stream: RestApiStream, syncMode: SyncMode, state: JsonObject | null): HttpStream {
  const incremental = syncMode === "incremental" ? stream.incremental : undefined;
  const committed = incremental ? stateCursor(state) : null;
  return {
    request: {
      url: stream.path,
      query: {
        ...stream.params,
        ...(incremental && committed !== null ? { [incremental.param]: applyLookback(committed, incremental.lookback_seconds) } : {}),
      },
    },
    // The key of `auth.in: "query"` is added to every request by the auth provider; APIs that echo it into their
    // next links must not put it into checkpoints (issue 16 item 6).
    paginator: createPaginator(stream.paginator ?? config.paginator ?? { type: "none" }, { dropLinkParams: queryCredentialParams(config) }),
    ...(stream.records_path ? { recordsPath: stream.records_path } : {}),
    cursorField: stream.incremental?.cursor_field ?? null,
  };
}

/** The query parameters that carry this config's credential: the api_key's name when it is sent in the query. */
export function queryCredentialParams(config: Pick<RestApiConfig, "auth">): string[] {
  return config.auth.type === "api_key" && config.auth.in === "query" ? [config.auth.name] : [];
}
