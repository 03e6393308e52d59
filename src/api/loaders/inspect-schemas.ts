import { z } from "zod";
import { selectedStreamInput } from "./schemas";

const syncMode = z.enum(["full_refresh", "incremental"]);

export const unsavedLoaderBody = z
  .object({
    loader_type: z.string().min(1),
    config: z.record(z.string(), z.unknown()),
    selected_streams: z.array(selectedStreamInput).optional().describe("Checked against what the config can read"),
  })
  .strict();

export const previewBody = z
  .object({
    loader_type: z.string().min(1),
    config: z.record(z.string(), z.unknown()),
    stream: z.string().min(1).max(255),
  })
  .strict();

export const discoveredStreamBody = z.object({
  name: z.string(),
  primary_key: z.array(z.string()),
  cursor_field: z.string().nullable(),
  supported_sync_modes: z.array(syncMode),
  columns: z.array(z.object({ name: z.string(), type: z.union([z.string(), z.array(z.string())]) })).describe("From the stream's JSON schema, where the source declares one"),
});

export const savedStreamBody = discoveredStreamBody.extend({
  selected: z.object({ sync_mode: syncMode }).nullable().describe("Whether the loader selects it, and in which mode"),
});

export const previewResponse = z.object({
  stream: discoveredStreamBody,
  records: z.array(z.record(z.string(), z.unknown())).describe("The first page (at most 100 records), as the source sent them"),
  columns: z.array(z.object({ name: z.string(), type: z.string() })).describe("The warehouse table they would become, metadata columns included"),
});

export const checkEvents =
  "Server-Sent Events: `step` events {step, status, message} for network, authentication, permissions (every selected stream is readable in its mode) and first_read (one page), then a `result` event {success, message}.";
