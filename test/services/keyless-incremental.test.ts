/**
 * A discovered stream with no primary key and no cursor can never be incremental (issue 16 item 9): refused at
 * save time from the source's live discovery (400 with a message), and at run start (the stream fails with a
 * configuration message, the loader goes to `error`) — never a run that appends the whole table again.
 * Against the machine's real PostgreSQL as the source, loading into D1.
 */
import { describe, expect, it } from "vitest";
import { as, bootstrapWorkspace, createD1Source, expectError, pgConfig } from "../helpers/api";
import { createLoader, triggerAndWait, uniqueName } from "../helpers/engine";
import { postgresReader } from "../helpers/postgres";

const { query, dropAfterAll } = postgresReader();

async function seedSchema(): Promise<string> {
  const schema = uniqueName("keyless").toLowerCase();
  dropAfterAll(schema);
  await query(`create schema "${schema}"`);
  await query(`create table "${schema}".keyed (id int primary key, note text, updated_at timestamptz not null default now())`);
  await query(`create table "${schema}".keyless (note text, updated_at timestamptz not null default now())`);
  await query(`insert into "${schema}".keyed (id, note) select g, 'n' || g from generate_series(1, 50) g`);
  await query(`insert into "${schema}".keyless (note) select 'n' || g from generate_series(1, 50) g`);
  return schema;
}

function loaderBody(sourceId: string, schema: string, streams: Array<{ name: string; sync_mode: string }>) {
  return {
    name: "App database",
    loader_type: "postgresql",
    source_id: sourceId,
    config: { ...pgConfig(), schemas: [schema] },
    target_schema: uniqueName("kl"),
    sync_mode: "full_refresh",
    selected_streams: streams,
  };
}

describe("keyless incremental streams", () => {
  it("are refused at save time, on create and on update, with a message saying why; close names are suggested", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = await seedSchema();
    const refused = await as(owner)("/loaders", { method: "POST", body: loaderBody(sourceId, schema, [{ name: `${schema}.keyless`, sync_mode: "incremental" }]) });
    expectError(refused, 400, "validation_failed");
    expect(refused.json.details).toEqual([{ path: "selected_streams.0.sync_mode", message: expect.stringContaining("no primary key and no cursor") }]);
    expect((await as(owner)("/loaders")).json).toEqual([]);

    const typo = await as(owner)("/loaders", { method: "POST", body: loaderBody(sourceId, schema, [{ name: `${schema}.keyles`, sync_mode: "full_refresh" }]) });
    expectError(typo, 400, "validation_failed");
    expect(typo.json.details[0].message).toContain(`did you mean "${schema}.keyless"`);

    const loader = await createLoader(owner, loaderBody(sourceId, schema, [{ name: `${schema}.keyless`, sync_mode: "full_refresh" }, { name: `${schema}.keyed`, sync_mode: "incremental" }]));
    const update = await as(owner)(`/loaders/${loader.id}`, { method: "PUT", body: { selected_streams: [{ name: `${schema}.keyless`, sync_mode: "incremental" }] } });
    expectError(update, 400, "validation_failed");
    expect((await as(owner)(`/loaders/${loader.id}`)).json.selected_streams).toEqual(loader.selected_streams);
  });

  it("fail their stream at run start with a configuration message when the table lost its key after saving", async () => {
    const owner = await bootstrapWorkspace();
    const sourceId = await createD1Source(owner);
    const schema = await seedSchema();
    const loader = await createLoader(owner, loaderBody(sourceId, schema, [{ name: `${schema}.keyed`, sync_mode: "incremental" }]));
    expect((await triggerAndWait(owner, loader.id)).status).toBe("completed");

    await query(`alter table "${schema}".keyed drop constraint keyed_pkey`);
    const run = await triggerAndWait(owner, loader.id);
    expect(run).toMatchObject({ status: "failed", rows_loaded: 0, streams: [{ name: `${schema}.keyed`, status: "failed" }] });
    expect(run.streams[0].error_message).toContain("no primary key and no cursor");
    const after = (await as(owner)(`/loaders/${loader.id}`)).json;
    expect(after.status).toBe("error");
    expect(after.status_error).toContain("full_refresh");
  });
});
