/**
 * `rest_api`: any JSON REST API, described entirely by its config (DESIGN §5) and read by the kit's declarative
 * loop, like dlt's rest_api source or an Airbyte low-code manifest written by the user.
 */
import type { Connector } from "../kit/contract";
import { readHttpStream } from "../kit/declarative";
import { applyPatch } from "../kit/paginators";
import { extractRecords } from "../kit/records";
import { restApiClient } from "./client";
import { credentialSetsFor, REST_API_SECRET_FIELDS, type RestApiConfig, restApiConfigSchema } from "./config";
import { declaredStream, httpStream, streamSpecs } from "./streams";

export const restApiConnector = {
  type: "rest_api",
  title: "REST API",
  category: "api",
  auth_method: "configurable",
  config: restApiConfigSchema,
  secret_fields: REST_API_SECRET_FIELDS,
  // The needed secret depends on auth.type, which a static list cannot express: `credentialSetsFor` decides, and
  // this fallback (nothing required) never blocks an auth-less API.
  credential_sets: [[]],
  credentialSetsFor,
  streams: {
    discovered_from_config: true,
    description: "One stream per entry of the config's `streams`: path, records_path, primary_key, paginator, incremental cursor.",
  },
  streamsFromConfig: streamSpecs,

  async discover(_ctx, config) {
    return streamSpecs(config);
  },

  /** Reads the first page of the first stream: proves the URL, the credentials and the records_path. */
  async check(ctx, config) {
    const first = config.streams[0];
    if (!first) return;
    const stream = httpStream(config, first, "full_refresh", null);
    const body = await restApiClient(ctx, config).getJson(applyPatch(stream.request, stream.paginator.request(null)));
    extractRecords(body, stream.recordsPath);
  },

  async *read(ctx, config, request) {
    const declared = declaredStream(config, request.stream.name);
    const stream = httpStream(config, declared, request.sync_mode, request.state);
    yield* readHttpStream({ ...ctx, http: restApiClient(ctx, config) }, stream, { state: request.state, checkpoint: request.checkpoint });
  },
} satisfies Connector<RestApiConfig>;
