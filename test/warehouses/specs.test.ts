/** Each warehouse type's config is defined once (src/warehouses/<type>/spec.ts): the API and the adapter agree. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sourceTypes } from "../../src/services/sources/source-types";
import { createWarehouse, parseWarehouseConfig, warehouseSpecs } from "../../src/warehouses";
import { postgresqlSpec } from "../../src/warehouses/postgresql/spec";
import { as, bootstrapWorkspace, pgConfig } from "../helpers/api";

describe("warehouse specs", () => {
  it("the sources API validates with the same specs createWarehouse parses with", () => {
    expect(sourceTypes).toBe(warehouseSpecs);
    expect(Object.keys(warehouseSpecs).sort()).toEqual(["bigquery", "d1", "databricks", "postgresql", "snowflake"]);
    for (const [type, spec] of Object.entries(warehouseSpecs)) expect(spec.type).toBe(type);
  });

  it("a PostgreSQL config the API refuses, the adapter refuses too, naming the same field", async () => {
    const owner = await bootstrapWorkspace();
    const bad = { ...pgConfig(), port: 70000 };
    const api = await as(owner)("/sources", { method: "POST", body: { name: "pg", source_type: "postgresql", config: bad } });
    expect(api.status).toBe(400);
    expect(JSON.stringify(api.json)).toContain("config.port");
    expect(() => createWarehouse({ source_type: "postgresql", config: bad }, { warehouseDb: env.WAREHOUSE, development: true })).toThrow(
      expect.objectContaining({ kind: "configuration", message: expect.stringContaining('postgresql config: "port"') }),
    );
    // Defaults come from the spec in both places.
    const { port: _port, sslmode: _sslmode, ...bare } = pgConfig();
    expect(parseWarehouseConfig(postgresqlSpec, bare, false)).toMatchObject({ port: 5432, sslmode: "require" });
    expect(() => parseWarehouseConfig(postgresqlSpec, { ...bare, sslmode: "disable" }, false)).toThrow(/only allowed in development mode/);
  });
});
