/**
 * Salesforce end to end through the engine: API → trigger → queue → RunTracker → warehouse, against the fake org.
 * Row counts and values are compared with the fake's own records (its control API), across full_refresh and
 * incremental runs, updates, creates and deletes, the daily API limit, and a custom object outside the catalog.
 */
import { describe, expect, it } from "vitest";
import { snakeCase } from "../../../src/warehouses/naming";
import { as, bootstrapWorkspace, type Caller, createD1Source } from "../../helpers/api";
import { createLoader, d1Rows, streamOf, triggerAndWait, uniqueName } from "../../helpers/engine";
import { servedLoaderType } from "../../helpers/connector";
import { createPostgresSource, postgresReader } from "../../helpers/postgres";
import { CLIENT_ID, CLIENT_SECRET, expectedRows, type FakeOrg, org, type Row, SMALL } from "./harness";

const DATA = "/services/data/v66.0";
const { query, columnTypes, dropAfterAll } = postgresReader();

async function createSalesforceLoader(caller: Caller, sourceId: string, o: FakeOrg, streams: Array<{ name: string; sync_mode: string }>) {
  const schema = uniqueName("SF_RAW");
  const loader = await createLoader(caller, {
    name: "Salesforce CRM Loader",
    loader_type: "salesforce",
    source_id: sourceId,
    config: { instance_url: "https://mycompany.my.salesforce.com", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: o.refreshToken },
    target_schema: schema,
    selected_streams: streams,
    sync_mode: "incremental",
  });
  expect(loader.status).toBe("active");
  return { loader, schema: schema.toLowerCase() };
}

const ms = (value: unknown) => (value instanceof Date ? value.getTime() : Date.parse(String(value).replace(/([+-]\d{2})(\d{2})$/, "$1:$2")));

/** The warehouse row of a fake record, compared on a few columns of every type the object has. */
function expectRowMatches(row: Row | undefined, record: Row, columns: string[]) {
  expect(row, String(record.Id)).toBeDefined();
  for (const field of columns) {
    const cell = row![snakeCase(field)];
    const value = record[field];
    if (field === "SystemModstamp" || field === "CreatedDate") expect(ms(cell), `${record.Id}.${field}`).toBe(ms(value));
    else if (typeof value === "number") expect(Number(cell), `${record.Id}.${field}`).toBe(value);
    else if (typeof value === "boolean") expect(Boolean(cell), `${record.Id}.${field}`).toBe(value);
    else expect(cell ?? null, `${record.Id}.${field}`).toEqual(value ?? null);
  }
}

const ACCOUNT_COLUMNS = ["Id", "Name", "Type", "Industry", "AnnualRevenue", "NumberOfEmployees", "BillingCity", "Description", "IsDeleted", "SystemModstamp"];

describe("salesforce → PostgreSQL through the engine", () => {
  it("loads incremental and full_refresh streams across chunks, then merges updates, creates and soft-deletes", async () => {
    const owner = await bootstrapWorkspace();
    const o = org("e2e-pg");
    // 9,000 accounts are five 2,000-record pages: more than one chunk (CHUNK_MAX_PAGES is 4 in tests).
    await o.seed({ ...SMALL, Account: 9000, Contact: 300 });
    const { loader, schema } = await createSalesforceLoader(owner, await createPostgresSource(owner), o, [
      { name: "Account", sync_mode: "incremental" },
      { name: "Contact", sync_mode: "full_refresh" },
    ]);
    dropAfterAll(schema);

    const first = await triggerAndWait(owner, loader.id);
    expect(first).toMatchObject({ status: "completed", rows_loaded: 9300, streams_failed: 0 });
    const accounts = await o.records("Account");
    const rows = await query(`select * from "${schema}"."account" order by id`);
    expect(rows).toHaveLength(9000);
    expect(rows.map((r) => r.id)).toEqual(accounts.map((a) => a.Id).sort());
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    for (const account of accounts) expectRowMatches(byId.get(account.Id as string), account, ACCOUNT_COLUMNS);
    expect(rows.every((r) => r._loader_deleted_at === null && r._loader_run_id === first.id)).toBe(true);
    const types = await columnTypes(schema, "account");
    // Typed from the catalog schema where it names the field, else from the values (DESIGN §4).
    expect(types).toMatchObject({ id: "text", system_modstamp: "timestamp with time zone", created_date: "timestamp with time zone", is_deleted: "boolean", name: "text", description: "text" });
    expect(Object.keys(types)).not.toContain("billing_address");
    expect(Object.keys(types)).not.toContain("attributes");
    expect(await query(`select 1 from "${schema}"."contact"`)).toHaveLength(300);
    // Two chunks: the second one describes again and continues the first one's query locator, with no new query.
    // Every page is fetched once: the first chunk does not prefetch past the page that ends it.
    const accountCalls = (await o.requests())
      .filter((r) => /\/(sobjects\/Account\/|queryAll|query\/)/.test(r.path))
      .map((r) => r.path.replace(/01g\w+/, "<locator>"));
    expect(accountCalls).toEqual([
      `${DATA}/sobjects/Account/describe/`,
      `${DATA}/queryAll`,
      ...[2000, 4000, 6000].map((n) => `${DATA}/query/<locator>-${n}`),
      `${DATA}/sobjects/Account/describe/`,
      `${DATA}/query/<locator>-8000`,
    ]);

    const greatest = expectedRows(accounts).at(-1)!.SystemModstamp;
    const changed = await o.mutate({ object: "Account", update: 4, delete: 3, create: 2 });
    const contactsGone = await o.mutate({ object: "Contact", delete: 5 });
    const second = await triggerAndWait(owner, loader.id);
    const after = await o.records("Account");
    // Inclusive lower bound: the changed records plus the ones that tied with the last run's greatest stamp.
    const reread = expectedRows(after, { deleted: true, since: String(greatest) });
    expect(streamOf(second, "Account")).toMatchObject({ status: "completed", rows_loaded: reread.length });
    expect(streamOf(second, "Contact")).toMatchObject({ status: "completed", rows_loaded: 295 });

    const merged = await query(`select * from "${schema}"."account" order by id`);
    expect(merged).toHaveLength(9002);
    const mergedById = new Map(merged.map((r) => [r.id as string, r]));
    for (const id of [...changed.updated, ...changed.created, ...changed.deleted]) {
      const record = after.find((a) => a.Id === id)!;
      expectRowMatches(mergedById.get(id), record, ACCOUNT_COLUMNS);
      expect(mergedById.get(id)!._loader_run_id).toBe(second.id);
    }
    const softDeleted = merged.filter((r) => r._loader_deleted_at !== null);
    expect(softDeleted.map((r) => r.id).sort()).toEqual([...changed.deleted].sort());
    for (const row of softDeleted) {
      expect(row.is_deleted).toBe(true);
      expect(ms(row._loader_deleted_at)).toBe(ms(row.system_modstamp));
    }
    const contacts = await query<{ id: string }>(`select id from "${schema}"."contact"`);
    expect(contacts).toHaveLength(295);
    for (const id of contactsGone.deleted) expect(contacts.map((c) => c.id)).not.toContain(id);
  });
});

describe("salesforce → D1 through the engine", () => {
  it("a custom object outside the static catalog (Invoice__c) resolves, loads and merges", async () => {
    const owner = await bootstrapWorkspace();
    const o = org("e2e-custom");
    await o.seed();
    const { loader, schema } = await createSalesforceLoader(owner, await createD1Source(owner), o, [{ name: "Invoice__c", sync_mode: "incremental" }]);
    const first = await triggerAndWait(owner, loader.id);
    expect(first, JSON.stringify(first.streams)).toMatchObject({ status: "completed", rows_loaded: SMALL.Invoice__c, streams_failed: 0 });
    const table = `${schema}__invoice__c`;
    const invoices = await o.records("Invoice__c");
    const rows = await d1Rows(table);
    expect(rows.map((r) => r.id)).toEqual(invoices.map((i) => i.Id).sort());
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    for (const invoice of invoices) expectRowMatches(byId.get(invoice.Id as string), invoice, ["Id", "Name", "Amount__c", "Status__c", "Account__c", "Notes__c", "SystemModstamp"]);

    const changed = await o.mutate({ object: "Invoice__c", delete: 1, create: 1 });
    expect((await triggerAndWait(owner, loader.id)).status).toBe("completed");
    const after = await d1Rows(table);
    expect(after).toHaveLength(SMALL.Invoice__c + 1);
    expect(after.filter((r) => r._loader_deleted_at !== null).map((r) => r.id)).toEqual(changed.deleted);
  });

  it("the daily API limit fails the stream, keeps what was loaded, leaves the loader active; the next run completes", async () => {
    const owner = await bootstrapWorkspace();
    const o = org("e2e-daily");
    await o.seed({ ...SMALL, Opportunity: 4500 });
    const { loader, schema } = await createSalesforceLoader(owner, await createD1Source(owner), o, [{ name: "Opportunity", sync_mode: "incremental" }]);
    // describe, the query and the second page are the three calls allowed; the third page is refused.
    await o.faults({ daily_limit: 3 });
    const failed = await triggerAndWait(owner, loader.id);
    expect(failed).toMatchObject({ status: "failed", rows_loaded: 4000, streams_failed: 1 });
    expect(streamOf(failed, "Opportunity").error_message).toMatch(/^Salesforce daily API request limit reached \(REQUEST_LIMIT_EXCEEDED/);
    expect(await d1Rows(`${schema}__opportunity`)).toHaveLength(4000);
    expect((await as(owner)(`/loaders/${loader.id}`)).json.status).toBe("active");

    await o.faults({ daily_limit: 100000, api_usage: 0 });
    const next = await triggerAndWait(owner, loader.id);
    // The failed run committed no state, so this run reads the whole object again; the merge keeps one row per Id.
    expect(next).toMatchObject({ status: "completed", rows_loaded: 4500 });
    const rows = await d1Rows(`${schema}__opportunity`);
    expect(rows.map((r) => r.id)).toEqual((await o.records("Opportunity")).map((r) => r.Id).sort());
  });
});

describe("GET /loader-types", () => {
  it("serves the salesforce catalog the connector reads, with its reader available", async () => {
    const salesforce = await servedLoaderType("salesforce");
    const { salesforceConnector } = await import("../../../connectors/salesforce");
    expect(salesforce).toMatchObject({ reader_available: true, api_version: "v66.0", streams_discovered_from_config: false });
    expect(salesforce.streams).toEqual(
      salesforceConnector.streams.map((s) => ({
        name: s.name,
        primary_key: ["Id"],
        cursor_field: "SystemModstamp",
        supported_sync_modes: ["full_refresh", "incremental"],
        reports_deletes: s.name !== "User",
      })),
    );
  });
});
