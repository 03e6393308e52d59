/** Global describe (`GET /sobjects/`) and sObject describe (`GET /sobjects/{Object}/describe/`) bodies. */
import { OBJECTS } from "./catalog";
import type { FieldDef, FieldType, ObjectDef } from "./schema";

const SOAP_TYPES: Readonly<Record<FieldType, string>> = {
  id: "tns:ID",
  reference: "tns:ID",
  string: "xsd:string",
  picklist: "xsd:string",
  textarea: "xsd:string",
  email: "xsd:string",
  phone: "xsd:string",
  url: "xsd:string",
  boolean: "xsd:boolean",
  int: "xsd:int",
  double: "xsd:double",
  currency: "xsd:double",
  percent: "xsd:double",
  date: "xsd:date",
  datetime: "xsd:dateTime",
  address: "urn:address",
};

const TEXT_TYPES = new Set<FieldType>(["string", "picklist", "textarea", "email", "phone", "url"]);

function objectUrls(version: string, def: ObjectDef) {
  const base = `/services/data/v${version}/sobjects/${def.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

function globalEntry(version: string, def: ObjectDef) {
  return {
    activateable: false,
    createable: def.queryable,
    custom: def.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: def.deletable,
    deprecatedAndHidden: false,
    feedEnabled: def.queryable,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix || null,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: def.queryable,
    mergeable: ["Account", "Contact", "Lead", "Case"].includes(def.name),
    mruEnabled: def.queryable,
    name: def.name,
    queryable: def.queryable,
    replicateable: def.replicateable,
    retrieveable: def.retrieveable,
    searchable: def.queryable,
    triggerable: def.queryable,
    undeletable: def.deletable,
    updateable: def.queryable,
    urls: objectUrls(version, def),
  };
}

export function globalDescribe(version: string) {
  return { encoding: "UTF-8", maxBatchSize: 200, sobjects: OBJECTS.map((def) => globalEntry(version, def)) };
}

export function basicInfo(version: string, def: ObjectDef) {
  return { objectDescribe: globalEntry(version, def), recentItems: [] };
}

function describeField(def: ObjectDef, field: FieldDef) {
  const text = TEXT_TYPES.has(field.type);
  const idLike = field.type === "id" || field.type === "reference";
  const length = text ? (field.length ?? 255) : idLike ? 18 : 0;
  const numeric = field.type === "double" || field.type === "currency" || field.type === "percent";
  const writable = !field.system && !field.calculated && !field.autoNumber;
  const compound = /^(Billing|Mailing)(Street|City|State|PostalCode|Country)$/.exec(field.name);
  return {
    aggregatable: field.filterable && field.type !== "boolean",
    autoNumber: field.autoNumber ?? false,
    byteLength: text ? length * 3 : length,
    calculated: field.calculated ?? false,
    caseSensitive: false,
    compoundFieldName: compound ? `${compound[1]}Address` : null,
    createable: writable,
    custom: field.name.endsWith("__c"),
    defaultValue: field.type === "boolean" ? false : null,
    defaultedOnCreate: field.system === true || field.type === "boolean" || field.name === "OwnerId",
    digits: field.type === "int" ? (field.precision ?? 9) : 0,
    externalId: false,
    filterable: field.filterable,
    groupable: field.filterable && !numeric && field.type !== "datetime",
    idLookup: field.type === "id" || field.unique === true,
    label: field.label,
    length,
    name: field.name,
    nameField: field.nameField ?? false,
    nillable: field.nillable,
    picklistValues: (field.picklist ?? []).map((value) => ({ active: true, defaultValue: false, label: value, validFor: null, value })),
    polymorphicForeignKey: false,
    precision: numeric ? (field.precision ?? 18) : 0,
    referenceTo: field.referenceTo ?? [],
    relationshipName: field.relationshipName ?? null,
    restrictedPicklist: false,
    scale: numeric ? (field.scale ?? 0) : 0,
    soapType: SOAP_TYPES[field.type],
    sortable: field.sortable,
    type: field.type,
    unique: field.unique ?? false,
    updateable: writable && def.queryable,
  };
}

/** Child relationships are the lookups other objects hold to this one. */
function childRelationships(def: ObjectDef) {
  const out = [];
  for (const child of OBJECTS) {
    for (const field of child.fields) {
      if (field.referenceTo?.includes(def.name)) {
        out.push({
          cascadeDelete: false,
          childSObject: child.name,
          deprecatedAndHidden: false,
          field: field.name,
          junctionIdListNames: [],
          junctionReferenceTo: [],
          relationshipName: field.childRelationshipName ?? null,
          restrictedDelete: false,
        });
      }
    }
  }
  return out;
}

export function describeObject(version: string, def: ObjectDef) {
  const entry = globalEntry(version, def);
  const base = `/services/data/v${version}/sobjects/${def.name}`;
  return {
    ...entry,
    actionOverrides: [],
    childRelationships: childRelationships(def),
    compactLayoutable: def.queryable,
    fields: def.fields.map((field) => describeField(def, field)),
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: [
      {
        active: true,
        available: true,
        defaultRecordTypeMapping: true,
        developerName: "Master",
        master: true,
        name: "Master",
        recordTypeId: "012000000000000AAA",
        urls: { layout: `${base}/describe/layouts/012000000000000AAA` },
      },
    ],
    searchLayoutable: def.queryable,
    supportedScopes: [{ label: "All " + def.labelPlural.toLowerCase(), name: "everything" }],
    urls: { ...entry.urls, layouts: `${base}/describe/layouts`, listviews: `${base}/listviews`, quickActions: `${base}/quickActions` },
  };
}
