/**
 * Invariants every loader type's spec must hold, checked over all fourteen specs at once: what GET /loader-types
 * serves must be consistent with how loaders are validated, encrypted and completed.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { StreamSpec } from "../../connectors/kit/contract";
import { type AnySpec, isComplete, rows, withCredentials } from "./fixtures";

type JsonSchemaNode = {
  type?: string | string[];
  description?: string;
  writeOnly?: boolean;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  required?: string[];
};

const CATEGORIES = ["crm", "payments", "ecommerce", "analytics", "advertising", "marketing", "database", "api", "productivity", "files"];

const jsonSchemaOf = (spec: AnySpec) => z.toJSONSchema(spec.config) as JsonSchemaNode;

function nodeAt(schema: JsonSchemaNode, path: string): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = schema;
  for (const part of path.split(".")) node = node?.properties?.[part];
  return node;
}

/** Every property of the schema, nested objects and array items included, with a readable path. */
function allProperties(schema: JsonSchemaNode, prefix = ""): Array<[string, JsonSchemaNode]> {
  const found: Array<[string, JsonSchemaNode]> = [];
  for (const [name, node] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    found.push([path, node], ...allProperties(node, `${path}.`));
    if (node.items) found.push(...allProperties(node.items, `${path}[].`));
  }
  return found;
}

function checkStreams(streams: StreamSpec[]) {
  const names = streams.map((stream) => stream.name);
  expect(new Set(names).size, `duplicate stream names in ${names.join(", ")}`).toBe(names.length);
  for (const stream of streams) {
    const label = `stream ${stream.name}`;
    // The warehouse table is the name in snake_case: it must be an identifier.
    expect(stream.name, label).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    expect(stream.primary_key.length, `${label} has no primary key`).toBeGreaterThan(0);
    expect(stream.supported_sync_modes, label).toContain("full_refresh");
    const incremental = stream.supported_sync_modes.includes("incremental");
    expect(incremental, `${label}: incremental iff it has a cursor`).toBe(stream.cursor_field !== null);
    const properties = stream.json_schema?.properties ?? {};
    for (const key of stream.primary_key) expect(properties[key]?.type, `${label}: key ${key} is typed`).toBeDefined();
    if (stream.cursor_field) {
      const cursor = properties[stream.cursor_field];
      expect(cursor?.type, `${label}: cursor is typed and never null`).toMatch(/^(string|integer)$/);
      // A string cursor is only ordered if it is a date or timestamp.
      if (cursor?.type === "string") expect(cursor.format, `${label}: string cursor has a date format`).toMatch(/^date(-time)?$/);
    }
  }
}

describe("the loader-type catalog", () => {
  it("covers the seed's types except rest_api, each once, with the four config-discovered ones marked", () => {
    const types = rows.map((row) => row.spec.type);
    expect(types.sort()).toEqual(
      [
        "facebook_ads",
        "ga4",
        "google_ads",
        "google_sheets",
        "hubspot",
        "klaviyo",
        "linkedin_ads",
        "mailchimp",
        "mysql",
        "postgresql",
        "s3",
        "salesforce",
        "shopify",
        "stripe",
      ].sort(),
    );
    const discovered = rows.filter((row) => !Array.isArray(row.spec.streams)).map((row) => row.spec.type);
    expect(discovered.sort()).toEqual(["google_sheets", "mysql", "postgresql", "s3"]);
  });

  describe.each(rows.map((row) => [row.spec.type, row] as const))("%s", (_type, row) => {
    const { spec } = row;

    it("serves its config as JSON Schema, every field described, unknown keys closed off", () => {
      const schema = jsonSchemaOf(spec);
      expect(schema.type).toBe("object");
      // The form a user fills in is the input side: defaulted and credential fields are not required there, and
      // (unlike the output side, which always closes objects) additionalProperties reflects .strict().
      const input = z.toJSONSchema(spec.config, { io: "input" }) as JsonSchemaNode;
      expect(input).toMatchObject({ type: "object", additionalProperties: false });
      for (const [name, node] of Object.entries(input.properties ?? {})) {
        if (node.default !== undefined) expect(input.required ?? [], `${name} has a default`).not.toContain(name);
      }
      for (const path of spec.credential_sets.flat()) expect(input.required ?? []).not.toContain(path);
      const properties = allProperties(schema);
      expect(properties.length).toBeGreaterThan(0);
      for (const [path, node] of properties) {
        if (path.endsWith("[]")) continue;
        expect(node.description, `${spec.type} ${path} has a description`).toEqual(expect.stringMatching(/\S{3}/));
      }
      expect(spec.title).toMatch(/\S/);
      expect(CATEGORIES).toContain(spec.category);
      // One method per credential set, in order (spec-helpers' convention).
      expect(spec.auth_method).toMatch(/^[a-z0-9_]+(\|[a-z0-9_]+)*$/);
      expect(spec.auth_method.split("|")).toHaveLength(spec.credential_sets.length);
    });

    it("marks exactly its secret fields: listed, present in the schema, write-only and optional", () => {
      const schema = jsonSchemaOf(spec);
      expect(spec.secret_fields.length).toBeGreaterThan(0);
      for (const path of spec.secret_fields) {
        expect(nodeAt(schema, path), `${path} exists`).toBeDefined();
        expect(schema.required ?? [], `${path} may arrive later (draft)`).not.toContain(path);
      }
      const writeOnly = allProperties(schema)
        .filter(([, node]) => node.writeOnly)
        .map(([path]) => path);
      expect(writeOnly.sort()).toEqual([...spec.secret_fields].sort());
    });

    it("names credential sets whose fields exist, are optional, and complete the config", () => {
      const schema = jsonSchemaOf(spec);
      expect(spec.credential_sets.length).toBeGreaterThan(0);
      for (const set of spec.credential_sets) {
        expect(set.length).toBeGreaterThan(0);
        for (const path of set) {
          expect(nodeAt(schema, path), `${path} exists`).toBeDefined();
          expect(schema.required ?? []).not.toContain(path);
        }
        const parsed = spec.config.safeParse(withCredentials(row, set));
        expect(parsed.error?.issues, `set ${set.join("+")} validates`).toBeUndefined();
        expect(isComplete(spec, parsed.data), `set ${set.join("+")} completes the config`).toBe(true);
      }
    });

    it("accepts a config without credentials, as a draft", () => {
      const parsed = spec.config.safeParse(row.draft);
      expect(parsed.error?.issues).toBeUndefined();
      expect(isComplete(spec, parsed.data)).toBe(false);
    });

    it("rejects unknown keys", () => {
      const parsed = spec.config.safeParse({ ...row.draft, not_a_field: "x" });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues).toContainEqual(expect.objectContaining({ code: "unrecognized_keys", keys: ["not_a_field"] }));
    });

    it.runIf(spec.credential_sets.length > 1)("rejects a config that mixes two credential sets", () => {
      const [first, second] = spec.credential_sets as [string[], string[]];
      const mixed = { ...withCredentials(row, first), ...withCredentials(row, second) };
      const parsed = spec.config.safeParse(mixed);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/one set of credentials/);
    });

    it("defaults api_version to the version the spec pins", () => {
      const versionField = jsonSchemaOf(spec).properties?.api_version;
      if (versionField) expect(versionField.default).toBe(spec.api_version);
      else if (spec.api_version !== undefined) expect(spec.api_version).toMatch(/^v?\d/);
    });

    it.runIf(Array.isArray(spec.streams))("lists a consistent stream catalog", () => {
      const streams = spec.streams as StreamSpec[];
      expect(streams.length).toBeGreaterThan(0);
      checkStreams(streams);
    });

    it.runIf(!Array.isArray(spec.streams))("explains how its streams are discovered", () => {
      expect(spec.streams).toMatchObject({ discovered_from_config: true, description: expect.stringMatching(/\S{10}/) });
    });

    it.runIf(spec.streamsFromConfig !== undefined)("derives a consistent catalog from a config", () => {
      const config = spec.config.parse(row.draft);
      const streams = spec.streamsFromConfig!(config);
      expect(streams.length).toBeGreaterThan(0);
      checkStreams(streams);
      if (Array.isArray(spec.streams)) expect(streams.map((s) => s.name)).toEqual(spec.streams.map((s) => s.name));
    });
  });
});
