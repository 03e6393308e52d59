/** The shape of the fake org's metadata: objects and fields, declared as data in catalog.ts. */

export type FieldType =
  | "id"
  | "string"
  | "boolean"
  | "int"
  | "double"
  | "currency"
  | "percent"
  | "date"
  | "datetime"
  | "reference"
  | "picklist"
  | "textarea"
  | "email"
  | "phone"
  | "url"
  | "address";

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Character length for text types. */
  length?: number;
  precision?: number;
  scale?: number;
  nillable: boolean;
  referenceTo?: string[];
  /** Parent relationship name used in SOQL paths (`Account.Name`, `Account__r.Name`). */
  relationshipName?: string;
  /** Name of the child relationship this lookup creates on the parent (`Contacts`, `Invoices__r`). */
  childRelationshipName?: string;
  picklist?: string[];
  /** Long text areas (> 255) and compound fields can be neither filtered nor sorted in SOQL. */
  filterable: boolean;
  sortable: boolean;
  /** System-maintained or formula: read-only through the API. */
  calculated?: boolean;
  system?: boolean;
  autoNumber?: boolean;
  nameField?: boolean;
  unique?: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  queryable: boolean;
  replicateable: boolean;
  retrieveable: boolean;
  deletable: boolean;
  fields: FieldDef[];
}

/** Type groups that decide how SOQL literals compare against a field. */
export function literalClass(type: FieldType): "datetime" | "date" | "boolean" | "number" | "text" | "compound" {
  switch (type) {
    case "datetime":
      return "datetime";
    case "date":
      return "date";
    case "boolean":
      return "boolean";
    case "int":
    case "double":
    case "currency":
    case "percent":
      return "number";
    case "address":
      return "compound";
    default:
      return "text";
  }
}

export function isIdLike(type: FieldType): boolean {
  return type === "id" || type === "reference";
}
