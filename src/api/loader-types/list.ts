import { z } from "zod";
import { connectorFor, listLoaderTypes } from "../../../connectors/registry";
import { workspaceParams } from "../common";
import { defineRoute } from "../route";

const streamBody = z.object({
  name: z.string(),
  primary_key: z.array(z.string()),
  cursor_field: z.string().nullable(),
  supported_sync_modes: z.array(z.enum(["full_refresh", "incremental"])),
  reports_deletes: z.boolean(),
});

const loaderTypeBody = z.object({
  type: z.string(),
  title: z.string(),
  category: z.string(),
  auth_method: z.string(),
  api_version: z.string().nullable(),
  config_schema: z.record(z.string(), z.unknown()).describe("JSON Schema of the config"),
  secret_fields: z.array(z.string()),
  credential_sets: z.array(z.array(z.string())).describe("Alternative credential sets; a config with one complete set is complete"),
  streams: z.array(streamBody),
  streams_discovered_from_config: z.boolean(),
  streams_description: z.string().nullable(),
  reader_available: z.boolean().describe("false: the type can be configured, but runs fail until its reader is built"),
});

export const listLoaderTypesRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loader-types",
    operationId: "listLoaderTypes",
    summary: "List available loader types",
    description: "Every loader type with its config schema (JSON Schema), secret fields and stream catalog.",
    tag: "Loader types",
    auth: "workspace",
    params: workspaceParams,
    responses: { 200: { description: "Loader types", schema: z.array(loaderTypeBody) } },
  },
  (c) =>
    c.json(
      listLoaderTypes().map((spec): z.infer<typeof loaderTypeBody> => {
        const discovered = !Array.isArray(spec.streams);
        return {
          type: spec.type,
          title: spec.title,
          category: spec.category,
          auth_method: spec.auth_method,
          api_version: spec.api_version ?? null,
          config_schema: z.toJSONSchema(spec.config, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
          secret_fields: spec.secret_fields,
          credential_sets: spec.credential_sets,
          streams: Array.isArray(spec.streams)
            ? spec.streams.map((s) => ({
                name: s.name,
                primary_key: s.primary_key,
                cursor_field: s.cursor_field,
                supported_sync_modes: s.supported_sync_modes,
                reports_deletes: s.reports_deletes ?? false,
              }))
            : [],
          streams_discovered_from_config: discovered,
          streams_description: Array.isArray(spec.streams) ? null : spec.streams.description,
          reader_available: connectorFor(spec.type) !== undefined,
        };
      }),
    ),
);
