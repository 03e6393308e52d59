/**
 * The fake org's objects, declared as data. Field names, types and picklist values follow the standard objects
 * of a Sales/Service Cloud org (Account, Contact, Lead, Opportunity, Case, User) plus one custom object; only a
 * representative subset of each object's fields is modelled.
 */
import type { FieldDef, FieldType, ObjectDef } from "./schema";

const field = (name: string, label: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label,
  type,
  nillable: true,
  filterable: true,
  sortable: true,
  ...extra,
});
const text = (name: string, label: string, length: number, extra: Partial<FieldDef> = {}) =>
  field(name, label, "string", { length, ...extra });
/** Text areas longer than 255 characters are "long text areas": SOQL can select them but not filter or sort. */
const longText = (name: string, label: string, length = 32000) =>
  field(name, label, "textarea", { length, filterable: false, sortable: false });
const shortArea = (name: string, label: string) => field(name, label, "textarea", { length: 255 });
const picklist = (name: string, label: string, values: string[]) =>
  field(name, label, "picklist", { length: 255, picklist: values });
const lookup = (name: string, label: string, target: string, relationshipName: string, childRelationshipName?: string) =>
  field(name, label, "reference", { length: 18, referenceTo: [target], relationshipName, childRelationshipName });
const flag = (name: string, label: string, extra: Partial<FieldDef> = {}) =>
  field(name, label, "boolean", { nillable: false, ...extra });
const money = (name: string, label: string, precision = 18, scale = 2) =>
  field(name, label, "currency", { precision, scale });
const integer = (name: string, label: string, precision = 8) => field(name, label, "int", { precision, scale: 0 });
const date = (name: string, label: string) => field(name, label, "date");
const dateTime = (name: string, label: string, extra: Partial<FieldDef> = {}) => field(name, label, "datetime", extra);
const email = (name: string, label: string) => field(name, label, "email", { length: 80 });
const phone = (name: string, label: string) => field(name, label, "phone", { length: 40 });
const url = (name: string, label: string) => field(name, label, "url", { length: 255 });
/** Compound address: selectable as one JSON object; its components are the filterable fields. */
const address = (name: string, label: string) =>
  field(name, label, "address", { filterable: false, sortable: false, calculated: true });

const system = { system: true, nillable: false } as const;
const idField = () => field("Id", "Record ID", "id", { length: 18, ...system });
const isDeleted = () => flag("IsDeleted", "Deleted", { system: true });
const ownerId = () => ({ ...lookup("OwnerId", "Owner ID", "User", "Owner"), nillable: false });
function audit(): FieldDef[] {
  return [
    dateTime("CreatedDate", "Created Date", system),
    { ...lookup("CreatedById", "Created By ID", "User", "CreatedBy"), ...system },
    dateTime("LastModifiedDate", "Last Modified Date", system),
    { ...lookup("LastModifiedById", "Last Modified By ID", "User", "LastModifiedBy"), ...system },
    dateTime("SystemModstamp", "System Modstamp", system),
  ];
}
function postal(prefix: string, label: string): FieldDef[] {
  return [
    shortArea(`${prefix}Street`, `${label} Street`),
    text(`${prefix}City`, `${label} City`, 40),
    text(`${prefix}State`, `${label} State/Province`, 80),
    text(`${prefix}PostalCode`, `${label} Zip/Postal Code`, 20),
    text(`${prefix}Country`, `${label} Country`, 80),
    address(`${prefix}Address`, `${label} Address`),
  ];
}
const personName = (): FieldDef[] => [
  text("LastName", "Last Name", 80, { nillable: false }),
  text("FirstName", "First Name", 40),
  picklist("Salutation", "Salutation", ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."]),
  text("Name", "Full Name", 121, { nameField: true, calculated: true, nillable: false }),
];

export const INDUSTRIES = [
  "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting",
  "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance",
  "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
  "Not For Profit", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
  "Utilities", "Other",
];
export const LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"];
export const RATINGS = ["Hot", "Warm", "Cold"];
export const LEAD_STATUSES = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"];
/** Stage → default probability, as in a default org's sales process. */
export const OPPORTUNITY_STAGES: ReadonlyArray<readonly [string, number, string]> = [
  ["Prospecting", 10, "Pipeline"],
  ["Qualification", 10, "Pipeline"],
  ["Needs Analysis", 20, "Pipeline"],
  ["Value Proposition", 50, "Pipeline"],
  ["Id. Decision Makers", 60, "Pipeline"],
  ["Perception Analysis", 70, "Pipeline"],
  ["Proposal/Price Quote", 75, "Pipeline"],
  ["Negotiation/Review", 90, "Pipeline"],
  ["Closed Won", 100, "Closed"],
  ["Closed Lost", 0, "Omitted"],
];
export const CASE_STATUSES = ["New", "Working", "Escalated", "Closed"];
export const INVOICE_STATUSES = ["Draft", "Sent", "Paid", "Overdue", "Void"];

/** What the catalog's business objects all allow; an object that does not (User, AggregateResult) says so. */
const REPLICABLE = { queryable: true, replicateable: true, retrieveable: true, deletable: true } as const;

const user: ObjectDef = {
  name: "User",
  label: "User",
  labelPlural: "Users",
  keyPrefix: "005",
  custom: false,
  ...REPLICABLE,
  // Users are deactivated, never deleted: no IsDeleted field and no getDeleted support.
  deletable: false,
  fields: [
    idField(),
    text("Username", "Username", 80, { nillable: false, unique: true }),
    text("LastName", "Last Name", 80, { nillable: false }),
    text("FirstName", "First Name", 40),
    text("Name", "Full Name", 121, { nameField: true, calculated: true, nillable: false }),
    text("Alias", "Alias", 8, { nillable: false }),
    { ...email("Email", "Email"), nillable: false },
    flag("IsActive", "Active"),
    text("Title", "Title", 80),
    text("Department", "Department", 80),
    lookup("ManagerId", "Manager ID", "User", "Manager", "ManagedUsers"),
    picklist("UserType", "User Type", ["Standard", "PowerPartner", "CsnOnly", "AutomatedProcess"]),
    picklist("TimeZoneSidKey", "Time Zone", ["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo"]),
    dateTime("LastLoginDate", "Last Login", { system: true }),
    ...audit(),
  ],
};

const account: ObjectDef = {
  name: "Account",
  label: "Account",
  labelPlural: "Accounts",
  keyPrefix: "001",
  custom: false,
  ...REPLICABLE,
  fields: [
    idField(),
    isDeleted(),
    text("Name", "Account Name", 255, { nameField: true, nillable: false }),
    picklist("Type", "Account Type", ["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"]),
    lookup("ParentId", "Parent Account ID", "Account", "Parent", "ChildAccounts"),
    ...postal("Billing", "Billing"),
    phone("Phone", "Account Phone"),
    url("Website", "Website"),
    picklist("Industry", "Industry", INDUSTRIES),
    money("AnnualRevenue", "Annual Revenue", 18, 0),
    integer("NumberOfEmployees", "Employees"),
    picklist("Rating", "Account Rating", RATINGS),
    longText("Description", "Account Description"),
    ownerId(),
    ...audit(),
    date("LastActivityDate", "Last Activity"),
  ],
};

const contact: ObjectDef = {
  name: "Contact",
  label: "Contact",
  labelPlural: "Contacts",
  keyPrefix: "003",
  custom: false,
  ...REPLICABLE,
  fields: [
    idField(),
    isDeleted(),
    lookup("AccountId", "Account ID", "Account", "Account", "Contacts"),
    ...personName(),
    ...postal("Mailing", "Mailing"),
    phone("Phone", "Business Phone"),
    phone("MobilePhone", "Mobile Phone"),
    email("Email", "Email"),
    text("Title", "Title", 128),
    text("Department", "Department", 80),
    picklist("LeadSource", "Lead Source", LEAD_SOURCES),
    date("Birthdate", "Birthdate"),
    flag("HasOptedOutOfEmail", "Email Opt Out"),
    longText("Description", "Contact Description"),
    ownerId(),
    ...audit(),
    date("LastActivityDate", "Last Activity"),
  ],
};

const lead: ObjectDef = {
  name: "Lead",
  label: "Lead",
  labelPlural: "Leads",
  keyPrefix: "00Q",
  custom: false,
  ...REPLICABLE,
  fields: [
    idField(),
    isDeleted(),
    ...personName(),
    text("Title", "Title", 128),
    text("Company", "Company", 255, { nillable: false }),
    text("City", "City", 40),
    text("State", "State/Province", 80),
    text("Country", "Country", 80),
    phone("Phone", "Phone"),
    email("Email", "Email"),
    url("Website", "Website"),
    picklist("LeadSource", "Lead Source", LEAD_SOURCES),
    { ...picklist("Status", "Status", LEAD_STATUSES), nillable: false },
    picklist("Industry", "Industry", INDUSTRIES),
    picklist("Rating", "Rating", RATINGS),
    money("AnnualRevenue", "Annual Revenue", 18, 0),
    integer("NumberOfEmployees", "Employees"),
    flag("IsConverted", "Converted"),
    date("ConvertedDate", "Converted Date"),
    lookup("ConvertedAccountId", "Converted Account ID", "Account", "ConvertedAccount"),
    lookup("ConvertedContactId", "Converted Contact ID", "Contact", "ConvertedContact"),
    flag("IsUnreadByOwner", "Unread By Owner"),
    ownerId(),
    ...audit(),
  ],
};

const opportunity: ObjectDef = {
  name: "Opportunity",
  label: "Opportunity",
  labelPlural: "Opportunities",
  keyPrefix: "006",
  custom: false,
  ...REPLICABLE,
  fields: [
    idField(),
    isDeleted(),
    lookup("AccountId", "Account ID", "Account", "Account", "Opportunities"),
    text("Name", "Name", 120, { nameField: true, nillable: false }),
    longText("Description", "Description"),
    { ...picklist("StageName", "Stage", OPPORTUNITY_STAGES.map(([stage]) => stage)), nillable: false },
    money("Amount", "Amount"),
    field("Probability", "Probability (%)", "percent", { precision: 3, scale: 0 }),
    { ...money("ExpectedRevenue", "Expected Amount"), calculated: true },
    { ...date("CloseDate", "Close Date"), nillable: false },
    picklist("Type", "Opportunity Type", ["Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"]),
    text("NextStep", "Next Step", 255),
    picklist("LeadSource", "Lead Source", LEAD_SOURCES),
    flag("IsClosed", "Closed", { calculated: true }),
    flag("IsWon", "Won", { calculated: true }),
    { ...picklist("ForecastCategory", "Forecast Category", ["Omitted", "Pipeline", "BestCase", "Forecast", "Closed"]), nillable: false },
    ownerId(),
    ...audit(),
    integer("FiscalYear", "Fiscal Year", 4),
    integer("FiscalQuarter", "Fiscal Quarter", 1),
  ],
};

const supportCase: ObjectDef = {
  name: "Case",
  label: "Case",
  labelPlural: "Cases",
  keyPrefix: "500",
  custom: false,
  ...REPLICABLE,
  fields: [
    idField(),
    isDeleted(),
    text("CaseNumber", "Case Number", 30, { autoNumber: true, nameField: true, nillable: false, unique: true }),
    lookup("ContactId", "Contact ID", "Contact", "Contact", "Cases"),
    lookup("AccountId", "Account ID", "Account", "Account", "Cases"),
    text("SuppliedName", "Web Name", 80),
    email("SuppliedEmail", "Web Email"),
    text("SuppliedPhone", "Web Phone", 40),
    picklist("Type", "Case Type", ["Mechanical", "Electrical", "Electronic", "Structural", "Other"]),
    picklist("Status", "Status", CASE_STATUSES),
    picklist("Reason", "Case Reason", ["Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other"]),
    picklist("Origin", "Case Origin", ["Phone", "Email", "Web"]),
    text("Subject", "Subject", 255),
    picklist("Priority", "Priority", ["High", "Medium", "Low"]),
    longText("Description", "Description"),
    flag("IsClosed", "Closed", { calculated: true }),
    dateTime("ClosedDate", "Closed Date"),
    flag("IsEscalated", "Escalated"),
    ownerId(),
    ...audit(),
  ],
};

const invoice: ObjectDef = {
  name: "Invoice__c",
  label: "Invoice",
  labelPlural: "Invoices",
  keyPrefix: "a0B",
  custom: true,
  ...REPLICABLE,
  fields: [
    idField(),
    ownerId(),
    isDeleted(),
    text("Name", "Invoice Number", 80, { autoNumber: true, nameField: true, nillable: false }),
    ...audit(),
    lookup("Account__c", "Account", "Account", "Account__r", "Invoices__r"),
    lookup("Opportunity__c", "Opportunity", "Opportunity", "Opportunity__r", "Invoices__r"),
    money("Amount__c", "Amount", 16, 2),
    picklist("Status__c", "Status", INVOICE_STATUSES),
    date("Issue_Date__c", "Issue Date"),
    date("Due_Date__c", "Due Date"),
    flag("Paid__c", "Paid"),
    dateTime("Paid_At__c", "Paid At"),
    field("Tax_Rate__c", "Tax Rate", "percent", { precision: 5, scale: 2 }),
    field("Line_Count__c", "Line Count", "double", { precision: 18, scale: 0 }),
    email("Billing_Email__c", "Billing Email"),
    longText("Notes__c", "Notes", 32768),
  ],
};

/**
 * A real global describe lists hundreds of objects, many of them not queryable; one is enough to make a
 * connector prove it filters on `queryable`/`replicateable` instead of syncing everything it sees.
 */
const aggregateResult: ObjectDef = {
  name: "AggregateResult",
  label: "Aggregate Result",
  labelPlural: "Aggregate Result",
  keyPrefix: "",
  custom: false,
  queryable: false,
  replicateable: false,
  retrieveable: false,
  deletable: false,
  fields: [idField()],
};

/** Objects in dependency order: a generator may only reference objects listed before it. */
export const OBJECTS: readonly ObjectDef[] = [user, account, contact, lead, opportunity, supportCase, invoice, aggregateResult];

const byLowerName = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));
export function findObject(name: string): ObjectDef | undefined {
  return byLowerName.get(name.toLowerCase());
}

export function isCustomName(name: string): boolean {
  return name.endsWith("__c") || name.endsWith("__r");
}
