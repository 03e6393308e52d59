import { z } from "zod";
import { discoverNewLoader, discoverSavedLoader } from "../../services/loaders/inspect-loader";
import { loaderParams, workspaceParams } from "../common";
import { defineRoute } from "../route";
import { discoveredStreamBody, savedStreamBody, unsavedLoaderBody } from "./inspect-schemas";

export const discoverLoaderRoute = defineRoute(
  {
    method: "post",
    path: "/workspaces/{id}/loaders/discover",
    operationId: "discoverLoaderStreams",
    summary: "Discover the streams a loader config can read",
    description: "The streams this config can read right now (the type's catalog, or the source's live discovery for databases), with primary key, cursor, sync modes and columns. 400 when the source refuses the config, 502 when it cannot be reached.",
    tag: "Loaders",
    auth: "workspace",
    params: workspaceParams,
    body: unsavedLoaderBody,
    responses: { 200: { description: "Streams", schema: z.array(discoveredStreamBody) } },
  },
  async (c, { body }) => c.json(await discoverNewLoader(c.get("services"), body)),
);

export const loaderStreamsRoute = defineRoute(
  {
    method: "get",
    path: "/workspaces/{id}/loaders/{loaderId}/streams",
    operationId: "listLoaderStreams",
    summary: "List the streams a saved loader can read",
    description: "As discover, for the stored config; each stream says whether the loader selects it and in which mode.",
    tag: "Loaders",
    auth: "workspace",
    params: loaderParams,
    responses: { 200: { description: "Streams", schema: z.array(savedStreamBody) } },
  },
  async (c, { params }) => c.json(await discoverSavedLoader(c.get("services"), params.id, params.loaderId)),
);
