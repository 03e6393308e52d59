/**
 * Property definitions as GET /crm/v3/properties/{objectType} describes them (research §2 "Schema
 * discovery"), with small constructors so each object type's catalog reads as a list.
 */

export type PropertyType = "string" | "number" | "date" | "datetime" | "enumeration" | "bool";

export interface PropertyOption {
  label: string;
  value: string;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: readonly PropertyOption[];
  hubspotDefined: boolean;
  calculated: boolean;
  readOnlyValue: boolean;
  hasUniqueValue: boolean;
  /** Set on hubspot_owner_id: its options are the account's owners, not a fixed list. */
  referencedObjectType?: "OWNER";
}

export interface PropertyExtras {
  options?: readonly PropertyOption[];
  description?: string;
  custom?: boolean;
  readOnly?: boolean;
  unique?: boolean;
  calculated?: boolean;
}

export function property(
  name: string,
  label: string,
  type: PropertyType,
  fieldType: string,
  groupName: string,
  extras: PropertyExtras = {},
): PropertyDef {
  return {
    name,
    label,
    type,
    fieldType,
    groupName,
    description: extras.description ?? "",
    options: extras.options ?? [],
    hubspotDefined: !extras.custom,
    calculated: extras.calculated ?? false,
    readOnlyValue: extras.readOnly ?? false,
    hasUniqueValue: extras.unique ?? false,
  };
}

export const text = (name: string, label: string, group: string, extras?: PropertyExtras) =>
  property(name, label, "string", "text", group, extras);
export const textarea = (name: string, label: string, group: string, extras?: PropertyExtras) =>
  property(name, label, "string", "textarea", group, extras);
export const number = (name: string, label: string, group: string, extras?: PropertyExtras) =>
  property(name, label, "number", "number", group, extras);
export const datetime = (name: string, label: string, group: string, extras?: PropertyExtras) =>
  property(name, label, "datetime", "date", group, extras);
export const bool = (name: string, label: string, group: string, extras?: PropertyExtras) =>
  property(name, label, "bool", "booleancheckbox", group, {
    ...extras,
    options: [
      { label: "Yes", value: "true" },
      { label: "No", value: "false" },
    ],
  });
export const select = (
  name: string,
  label: string,
  group: string,
  options: readonly PropertyOption[],
  extras?: PropertyExtras,
) => property(name, label, "enumeration", "select", group, { ...extras, options });

/** Option lists written as [value, label] pairs. */
export function options(pairs: readonly (readonly [string, string])[]): PropertyOption[] {
  return pairs.map(([value, label]) => ({ value, label }));
}

/** Options whose label is the value in title case, for HubSpot's upper-case enumerations. */
export function codes(values: readonly string[]): PropertyOption[] {
  return values.map((value) => ({
    value,
    label: value.charAt(0) + value.slice(1).toLowerCase().replaceAll("_", " "),
  }));
}

export function ownerProperty(group: string): PropertyDef {
  return { ...property("hubspot_owner_id", "Owner", "enumeration", "select", group), referencedObjectType: "OWNER" };
}

/**
 * Every CRM object carries an id, a creation and a modification property, filled from the record itself
 * rather than stored. Names differ by type: contacts use `lastmodifieddate`, engagements `hs_createdate`.
 */
export function systemProperties(group: string, created: string, modified: string): PropertyDef[] {
  return [
    number("hs_object_id", "Record ID", group, { readOnly: true, unique: true }),
    datetime(created, "Create Date", group, { readOnly: true }),
    datetime(modified, "Last Modified Date", group, { readOnly: true }),
  ];
}
