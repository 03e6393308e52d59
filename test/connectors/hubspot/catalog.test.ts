/**
 * The hubspot entry of GET /loader-types against what the connector really reads: every advertised stream reads
 * from the fake in each sync mode it claims, its key and cursor fields are on every record, the fields its schema
 * names arrive, and the streams that claim deletes deliver them.
 */
import { describe, expect, it } from "vitest";
import { hubspotConnector } from "../../../connectors/hubspot";
import { servedLoaderType, servedStreams } from "../../helpers/connector";
import { context, readAll, readRequest, records, tenant } from "./harness";

describe("hubspot catalog", () => {
  it("is served as the connector declares it, with its reader available", async () => {
    const entry = await servedLoaderType("hubspot");
    expect(entry).toMatchObject({ reader_available: true, api_version: "v3", streams_discovered_from_config: false });
    expect(entry.streams).toEqual(servedStreams(hubspotConnector.streams));
    expect(entry.streams.map((s: any) => s.name)).toEqual([
      "contacts",
      "companies",
      "deals",
      "tickets",
      "line_items",
      "products",
      "calls",
      "emails",
      "meetings",
      "notes",
      "tasks",
      "owners",
      "deal_pipelines",
      "ticket_pipelines",
    ]);
  });

  it("every catalog stream reads in each mode it claims, with its key, cursor and schema fields", async () => {
    const t = tenant("catalog");
    await t.seed({ owners: 30, contacts: 60, companies: 60, deals: 60, tickets: 60, products: 20, line_items: 60, calls: 30, emails: 30, meetings: 30, notes: 30, tasks: 30 });
    for (const stream of hubspotConnector.streams) {
      const full = records(await readAll(context().ctx, t.config(), readRequest(stream.name, "full_refresh")));
      expect(full.length, stream.name).toBeGreaterThan(0);
      const required = [...stream.primary_key, ...(stream.cursor_field ? [stream.cursor_field] : [])];
      for (const record of full) for (const field of required) expect(record[field], `${stream.name}.${field}`).not.toBeNull();
      // Every field the schema names arrives on live records, except archivedAt, which only archived ones carry.
      const named = Object.keys(stream.json_schema?.properties ?? {}).filter((field) => field !== "archivedAt");
      for (const field of named) expect(full.some((record) => field in record), `${stream.name}.${field}`).toBe(true);

      if (!stream.supported_sync_modes.includes("incremental")) continue;
      const removed = stream.reports_deletes ? await t.mutate({ object: stream.name, delete: 1 }) : null;
      const pages = await readAll(context().ctx, t.config(), readRequest(stream.name, "incremental", { cursor: "2025-01-01T00:00:00.000Z" }));
      expect(pages.at(-1)!.state, stream.name).toEqual({ cursor: expect.any(String) });
      const deleted = records(pages).filter((record) => record._loader_deleted_at);
      if (!removed) continue;
      const tombstone = deleted.find((record) => record.id === removed.deleted[0]);
      expect(tombstone, `${stream.name} delete`).toMatchObject({ archived: true, _loader_deleted_at: removed.at });
      if (stream.name !== "owners") expect(tombstone).toMatchObject({ archivedAt: removed.at });
    }
  });
});
