/**
 * The catalog against a live org (the fake): `check`, `discover` (custom objects included), `unlistedStream`, and
 * that every stream the static catalog advertises is read with the fields its schema names.
 */
import { describe, expect, it } from "vitest";
import { ConnectorError } from "../../../connectors/kit/errors";
import { salesforceConnector } from "../../../connectors/salesforce";
import { salesforceSpec } from "../../../connectors/salesforce/spec";
import { apiRequests, asDelivered, context, expectedRows, org, readAll, readRequest, records, sfConfig } from "./harness";

const DATA = "/services/data/v66.0";

/** Standard objects of the static catalog that the fake does not model (see its README's object table). */
const NOT_IN_FAKE = ["Campaign", "CampaignMember", "Event", "OpportunityLineItem", "Task"];

describe("salesforce catalog", () => {
  it("check signs in and reads the org's limits", async () => {
    const o = org("check");
    await o.seed();
    await salesforceConnector.check(context().ctx, sfConfig(o));
    const api = apiRequests(await o.requests());
    expect(api.map((r) => [r.method, r.path, r.status])).toEqual([["GET", `${DATA}/limits`, 200]]);
    expect(api[0]!.headers.authorization).toMatch(/^Bearer /);

    await o.faults({ revoke_refresh_token: true });
    const error = await salesforceConnector.check(context().ctx, sfConfig(o)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ kind: "configuration", message: expect.stringMatching(/^Salesforce sign-in failed/) });
  });

  it("discover lists every queryable object, custom ones described, the static catalog's as it is", async () => {
    const o = org("discover");
    await o.seed();
    const streams = await salesforceConnector.discover(context().ctx, sfConfig(o));
    // AggregateResult is in the global describe but not queryable.
    expect(streams.map((s) => s.name)).toEqual(["User", "Account", "Contact", "Lead", "Opportunity", "Case", "Invoice__c"]);
    for (const s of streams.filter((x) => x.name !== "Invoice__c")) expect(s).toBe(salesforceSpec.streams.find((x) => x.name === s.name));

    const invoice = streams.find((s) => s.name === "Invoice__c")!;
    expect(invoice).toMatchObject({
      primary_key: ["Id"],
      cursor_field: "SystemModstamp",
      supported_sync_modes: ["full_refresh", "incremental"],
      reports_deletes: true,
    });
    expect(invoice.json_schema?.properties).toMatchObject({
      Id: { type: "string" },
      SystemModstamp: { type: "string", format: "date-time" },
      Amount__c: { type: ["number", "null"] },
      Paid__c: { type: ["boolean", "null"] },
      Issue_Date__c: { type: ["string", "null"], format: "date" },
      Paid_At__c: { type: ["string", "null"], format: "date-time" },
      Line_Count__c: { type: ["number", "null"] },
      Account__c: { type: ["string", "null"] },
    });
    // Only the object outside the static catalog costs a describe call.
    expect(apiRequests(await o.requests()).map((r) => r.path)).toEqual([`${DATA}/sobjects/`, `${DATA}/sobjects/Invoice__c/describe/`]);
  });

  it("unlistedStream accepts sObject API names outside the static list, and nothing else", () => {
    expect(salesforceSpec.unlistedStream("Invoice__c")).toMatchObject({ name: "Invoice__c", primary_key: ["Id"], cursor_field: "SystemModstamp", reports_deletes: true });
    for (const name of ["ns__Shipment__c", "Product2", "My_Object__c", "Invoice__History"]) expect(salesforceSpec.unlistedStream(name)?.name).toBe(name);
    const refused = ["account", "ACCOUNT", "Bogus__x", "Order_Event__e", "Archive__b", "ns__Thing", "Invoice c", "Invoice___c", "_Invoice__c", "Invoice__c_", "1Invoice", "Id;DROP", ""];
    for (const name of refused) {
      expect(salesforceSpec.unlistedStream(name), name).toBeNull();
    }
  });

  it("a custom object reads with the spec discovery gives it, deletions included", async () => {
    const o = org("custom");
    await o.seed();
    const deleted = await o.mutate({ object: "Invoice__c", delete: 2 });
    const invoice = (await salesforceConnector.discover(context().ctx, sfConfig(o))).find((s) => s.name === "Invoice__c")!;
    const pages = await readAll(context().ctx, sfConfig(o), readRequest(invoice, "incremental"));
    const all = await o.records("Invoice__c");
    expect(records(pages).map((r) => ({ ...r, _loader_deleted_at: undefined }))).toEqual(expectedRows(all, { deleted: true }).map((r) => ({ ...asDelivered(r), _loader_deleted_at: undefined })));
    expect(records(pages).filter((r) => r._loader_deleted_at).map((r) => r.Id).sort()).toEqual([...deleted.deleted].sort());
  });

  it("every stream of the static catalog reads, with every field its schema names", async () => {
    const o = org("catalog");
    await o.seed();
    const available = new Set((await salesforceConnector.discover(context().ctx, sfConfig(o))).map((s) => s.name));
    const missing: string[] = [];
    for (const stream of salesforceSpec.streams) {
      if (!available.has(stream.name)) {
        missing.push(stream.name);
        continue;
      }
      const pages = await readAll(context().ctx, sfConfig(o), readRequest(stream.name, "full_refresh"));
      const all = await o.records(stream.name);
      expect(records(pages), stream.name).toEqual(expectedRows(all).map(asDelivered));
      expect(records(pages).length, stream.name).toBeGreaterThan(0);
      for (const field of Object.keys(stream.json_schema?.properties ?? {})) {
        expect(records(pages).every((r) => field in r), `${stream.name}.${field}`).toBe(true);
      }
    }
    // The fake cannot prove these five; this fails (on purpose) once it models them, so they get read here too.
    expect(missing.sort()).toEqual(NOT_IN_FAKE);
    const error = await readAll(context().ctx, sfConfig(o), readRequest("Task", "full_refresh")).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "configuration", message: 'Salesforce object "Task" does not exist in this org, or the integration user has no access to it' });
  });
});
