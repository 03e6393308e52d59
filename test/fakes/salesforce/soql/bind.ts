/**
 * Binds parsed SOQL to the org's schema: resolves field and relationship paths (case-insensitively, as SOQL
 * does) and reports the API's own INVALID_TYPE / INVALID_FIELD reasons for names that do not exist.
 */
import { findObject } from "../catalog";
import type { FieldDef, ObjectDef } from "../schema";
import { SoqlError } from "./errors";
import type { Path } from "./parser";

export interface ResolvedPath {
  /** Reference fields walked before the final field (`Account.Owner.Name` → AccountId, OwnerId). */
  hops: Array<{ via: FieldDef; target: ObjectDef }>;
  field: FieldDef;
  /** Canonical dotted form, for duplicate detection. */
  key: string;
}

export function resolveObject(name: string, pos: number): ObjectDef {
  const def = findObject(name);
  if (!def) {
    throw new SoqlError(
      "INVALID_TYPE",
      pos,
      `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  if (!def.queryable) throw new SoqlError("INVALID_TYPE_FOR_OPERATION", pos, `entity type ${def.name} does not support query`);
  return def;
}

export function resolvePath(root: ObjectDef, path: Path): ResolvedPath {
  let current = root;
  const hops: ResolvedPath["hops"] = [];
  const names: string[] = [];
  const last = path.segments.length - 1;
  for (const [i, segment] of path.segments.entries()) {
    const lower = segment.toLowerCase();
    if (i === last) {
      const field = current.fields.find((f) => f.name.toLowerCase() === lower);
      if (!field) {
        throw new SoqlError(
          "INVALID_FIELD",
          path.pos,
          `No such column '${segment}' on entity '${current.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      names.push(field.name);
      return { hops, field, key: names.join(".").toLowerCase() };
    }
    const via = current.fields.find((f) => f.relationshipName?.toLowerCase() === lower);
    const target = via?.referenceTo?.[0] ? findObject(via.referenceTo[0]) : undefined;
    if (!via || !target || !via.relationshipName) {
      throw new SoqlError(
        "INVALID_FIELD",
        path.pos,
        `Didn't understand relationship '${segment}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    hops.push({ via, target });
    names.push(via.relationshipName);
    current = target;
  }
  throw new SoqlError("MALFORMED_QUERY", path.pos, "empty field path");
}
