import { describe, expect, it } from "vitest";
import { d1TableName } from "../../src/warehouses/d1";
import { loadedTableName } from "../../src/warehouses";
import {
  MAX_IDENTIFIER_LENGTH,
  columnNames,
  quoteIdentifier,
  schemaName,
  snakeCase,
  stableHash,
  stagingTableName,
  tableName,
} from "../../src/warehouses/naming";

describe("naming", () => {
  it.each([
    ["Contact", "contact"],
    ["payment_intents", "payment_intents"],
    ["Foo__c", "foo__c"],
    ["lineItems", "line_items"],
    ["HTTPStatus", "http_status"],
    ["AccountID", "account_id"],
    ["address2Line", "address2_line"],
    ["Total ($)", "total"],
    ["first name", "first_name"],
    ["hs-object-id", "hs_object_id"],
    ["Café", "cafe"],
    ["2fa", "_2fa"],
    ["_private", "_private"],
  ])("snake_case(%s) = %s", (input, expected) => {
    expect(snakeCase(input)).toBe(expected);
  });

  it("gives names without letters or digits a stable hashed name", () => {
    expect(snakeCase("日本")).toBe(`_${stableHash("日本")}`);
    expect(snakeCase("日本")).not.toBe(snakeCase("中文"));
  });

  it("lower-cases the target schema and prefixes D1 tables with it", () => {
    expect(schemaName("SALESFORCE_RAW")).toBe("salesforce_raw");
    expect(tableName("Contact")).toBe("contact");
    expect(d1TableName("SALESFORCE_RAW", "Contact")).toBe("salesforce_raw__contact");
    expect(loadedTableName("d1", "Stripe", "payment_intents")).toBe("stripe__payment_intents");
    expect(loadedTableName("postgresql", "SALESFORCE_RAW", "Foo__c")).toBe("salesforce_raw.foo__c");
  });

  it("resolves collisions from the names alone: the normal-form field keeps the name", () => {
    const mapping = columnNames(["fooBar", "foo_bar", "FooBar", "id"]);
    expect(mapping.get("foo_bar")).toBe("foo_bar");
    expect(mapping.get("fooBar")).toBe(`foo_bar_${stableHash("fooBar")}`);
    expect(mapping.get("FooBar")).toBe(`foo_bar_${stableHash("FooBar")}`);
    expect(mapping.get("id")).toBe("id");
    // Same input in another order, another batch, another run: the same mapping.
    expect(columnNames(["id", "FooBar", "foo_bar", "fooBar"])).toEqual(mapping);
  });

  it("without a normal-form field, the first name in code-unit order keeps it", () => {
    const mapping = columnNames(["fooBar", "FooBar"]);
    expect(mapping.get("FooBar")).toBe("foo_bar");
    expect(mapping.get("fooBar")).toBe(`foo_bar_${stableHash("fooBar")}`);
    expect(columnNames(["fooBar"]).get("fooBar")).toBe("foo_bar");
  });

  it("never gives a source field a metadata column's name", () => {
    const mapping = columnNames(["_loader_run_id", "_LoaderSyncedAt", "_loader_batch_id", "name"]);
    expect(mapping.get("_loader_run_id")).toBe(`_loader_run_id_${stableHash("_loader_run_id")}`);
    expect(mapping.get("_LoaderSyncedAt")).toBe(`_loader_synced_at_${stableHash("_LoaderSyncedAt")}`);
    expect(mapping.get("_loader_batch_id")).toBe(`_loader_batch_id_${stableHash("_loader_batch_id")}`);
    expect(mapping.get("name")).toBe("name");
  });

  it("truncates long names to 63 characters with a hash that keeps them distinct", () => {
    const a = `${"very_long_field_name_".repeat(4)}alpha`;
    const b = `${"very_long_field_name_".repeat(4)}beta`;
    const mapping = columnNames([a, b]);
    for (const name of mapping.values()) {
      expect(name.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
    expect(mapping.get(a)).not.toBe(mapping.get(b));
    expect(stagingTableName("x".repeat(63), "run-1").length).toBe(MAX_IDENTIFIER_LENGTH);
    expect(stagingTableName("contact", "run-1")).not.toBe(stagingTableName("contact", "run-2"));
  });

  it("quotes only valid identifiers", () => {
    expect(quoteIdentifier("salesforce_raw")).toBe('"salesforce_raw"');
    expect(() => quoteIdentifier('x"; DROP TABLE y; --')).toThrow(/Invalid warehouse identifier/);
    expect(() => quoteIdentifier("Upper")).toThrow(/Invalid warehouse identifier/);
  });
});
