/**
 * Per-object record factories (business fields only; ids, ownership and audit fields are added by dataset.ts)
 * and the one visible field each object changes when the control API "updates" a record.
 */
import {
  CASE_STATUSES,
  INDUSTRIES,
  INVOICE_STATUSES,
  LEAD_SOURCES,
  LEAD_STATUSES,
  OPPORTUNITY_STAGES,
  RATINGS,
} from "./catalog";
import type { Rng } from "../shared/prng";
import { DAY_MS, type SfRecord, toDateString } from "./records";
import {
  CASE_SUBJECTS,
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  DEPARTMENTS,
  DESCRIPTIONS,
  FIRST_NAMES,
  JOB_TITLES,
  LAST_NAMES,
  NEXT_STEPS,
  OPPORTUNITY_PRODUCTS,
  PLACES,
  STREET_NAMES,
} from "./vocabulary";

export interface GenContext {
  rng: Rng;
  /** 1-based position of the record within its object. */
  serial: number;
  createdAt: number;
  /** A live record of `object` created no later than this one, if any. */
  parent(object: string): SfRecord | undefined;
}

type Generator = (ctx: GenContext) => SfRecord;

const maybe = <T>(rng: Rng, probability: number, value: () => T): T | null => (rng.chance(probability) ? value() : null);
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

function person(rng: Rng) {
  const firstName = maybe(rng, 0.97, () => rng.pick(FIRST_NAMES));
  const lastName = rng.pick(LAST_NAMES);
  return { FirstName: firstName, LastName: lastName, Name: firstName ? `${firstName} ${lastName}` : lastName };
}

function emailFor(first: string | null, last: string, domain: string): string {
  const local = `${first ?? "info"}.${last}`
    .normalize("NFKD")
    .replace(/[^A-Za-z.]/g, "")
    .toLowerCase();
  return `${local}@${domain}`;
}

function companyName(rng: Rng): string {
  return `${rng.pick(COMPANY_STEMS)} ${rng.pick(COMPANY_SUFFIXES)}`;
}

function domainOf(company: string): string {
  return `${company.split(" ")[0]?.toLowerCase().replace(/[^a-z]/g, "") || "example"}.example.com`;
}

function phoneNumber(rng: Rng): string {
  return `(${rng.int(200, 989)}) ${rng.int(200, 999)}-${String(rng.int(0, 9999)).padStart(4, "0")}`;
}

function postal(rng: Rng, prefix: string): SfRecord {
  const [city, state, country, code] = rng.pick(PLACES);
  return {
    [`${prefix}Street`]: `${rng.int(1, 9999)} ${rng.pick(STREET_NAMES)}${rng.chance(0.1) ? `\nSuite ${rng.int(100, 999)}` : ""}`,
    [`${prefix}City`]: city,
    [`${prefix}State`]: state,
    [`${prefix}PostalCode`]: code,
    [`${prefix}Country`]: country,
  };
}

const user: Generator = ({ rng, serial, parent }) => {
  const name = person(rng);
  const first = serial === 1 ? "Integration" : name.FirstName;
  const last = serial === 1 ? "User" : name.LastName;
  return {
    // Usernames are globally unique in Salesforce, hence the serial.
    Username: emailFor(first, last, "fake-org.example.com").replace("@", `${serial}@`),
    FirstName: first,
    LastName: last,
    Name: first ? `${first} ${last}` : last,
    Alias: `${(first ?? "").slice(0, 1)}${last}`.normalize("NFKD").toLowerCase().replace(/[^a-z]/g, "").slice(0, 5) || "user",
    Email: emailFor(first, last, "fake-org.example.com"),
    // A few deactivated users still own records, as in any org older than a year.
    IsActive: serial === 1 || rng.chance(0.9),
    Title: serial === 1 ? "API Integration" : rng.pick(JOB_TITLES),
    Department: rng.pick(DEPARTMENTS),
    ManagerId: serial > 3 ? str(parent("User")?.Id) : null,
    UserType: serial === 1 ? "Standard" : rng.pick(["Standard", "Standard", "Standard", "PowerPartner"]),
    TimeZoneSidKey: rng.pick(["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo"]),
  };
};

const account: Generator = ({ rng, createdAt, parent }) => {
  const name = companyName(rng);
  const parentAccount = rng.chance(0.08) ? parent("Account") : undefined;
  return {
    Name: name,
    Type: maybe(rng, 0.85, () => rng.pick(["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"])),
    ParentId: str(parentAccount?.Id),
    ...(rng.chance(0.9) ? postal(rng, "Billing") : {}),
    Phone: maybe(rng, 0.8, () => phoneNumber(rng)),
    Website: maybe(rng, 0.7, () => `https://www.${domainOf(name)}`),
    Industry: maybe(rng, 0.85, () => rng.pick(INDUSTRIES)),
    AnnualRevenue: maybe(rng, 0.6, () => rng.int(1, 5000) * 100_000),
    NumberOfEmployees: maybe(rng, 0.7, () => rng.int(1, 250_000)),
    Rating: maybe(rng, 0.5, () => rng.pick(RATINGS)),
    Description: maybe(rng, 0.3, () => rng.pick(DESCRIPTIONS)),
    LastActivityDate: maybe(rng, 0.5, () => toDateString(createdAt + rng.int(0, 120) * DAY_MS)),
  };
};

const contact: Generator = ({ rng, createdAt, parent }) => {
  // Private contacts (no account) exist in every real org.
  const acct = rng.chance(0.93) ? parent("Account") : undefined;
  const name = person(rng);
  const domain = acct ? domainOf(String(acct.Name)) : "gmail.example.com";
  return {
    AccountId: str(acct?.Id),
    Salutation: maybe(rng, 0.4, () => rng.pick(["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."])),
    ...name,
    ...(rng.chance(0.7) ? postal(rng, "Mailing") : {}),
    Phone: maybe(rng, 0.7, () => phoneNumber(rng)),
    MobilePhone: maybe(rng, 0.4, () => phoneNumber(rng)),
    Email: maybe(rng, 0.9, () => emailFor(name.FirstName, name.LastName, domain)),
    Title: maybe(rng, 0.8, () => rng.pick(JOB_TITLES)),
    Department: maybe(rng, 0.5, () => rng.pick(DEPARTMENTS)),
    LeadSource: maybe(rng, 0.6, () => rng.pick(LEAD_SOURCES)),
    Birthdate: maybe(rng, 0.2, () => toDateString(Date.UTC(rng.int(1950, 2002), rng.int(0, 11), rng.int(1, 28)))),
    HasOptedOutOfEmail: rng.chance(0.07),
    Description: maybe(rng, 0.1, () => rng.pick(DESCRIPTIONS)),
    LastActivityDate: maybe(rng, 0.4, () => toDateString(createdAt + rng.int(0, 90) * DAY_MS)),
  };
};

const lead: Generator = ({ rng, createdAt, parent }) => {
  const name = person(rng);
  const company = companyName(rng);
  const [city, state, country] = rng.pick(PLACES);
  const converted = rng.chance(0.2);
  const convertedAccount = converted ? parent("Account") : undefined;
  const convertedContact = converted ? parent("Contact") : undefined;
  return {
    Salutation: maybe(rng, 0.3, () => rng.pick(["Mr.", "Ms.", "Dr."])),
    ...name,
    Title: maybe(rng, 0.7, () => rng.pick(JOB_TITLES)),
    Company: company,
    City: city,
    State: state,
    Country: country,
    Phone: maybe(rng, 0.6, () => phoneNumber(rng)),
    Email: maybe(rng, 0.85, () => emailFor(name.FirstName, name.LastName, domainOf(company))),
    Website: maybe(rng, 0.4, () => `https://${domainOf(company)}`),
    LeadSource: maybe(rng, 0.8, () => rng.pick(LEAD_SOURCES)),
    Status: converted ? "Closed - Converted" : rng.pick(LEAD_STATUSES.filter((s) => s !== "Closed - Converted")),
    Industry: maybe(rng, 0.6, () => rng.pick(INDUSTRIES)),
    Rating: maybe(rng, 0.4, () => rng.pick(RATINGS)),
    AnnualRevenue: maybe(rng, 0.3, () => rng.int(1, 900) * 100_000),
    NumberOfEmployees: maybe(rng, 0.4, () => rng.int(1, 20_000)),
    IsConverted: converted,
    ConvertedDate: converted ? toDateString(createdAt + rng.int(1, 60) * DAY_MS) : null,
    ConvertedAccountId: str(convertedAccount?.Id),
    ConvertedContactId: str(convertedContact?.Id),
    IsUnreadByOwner: rng.chance(0.15),
  };
};

function stageFields(stage: string): SfRecord {
  const entry = OPPORTUNITY_STAGES.find(([name]) => name === stage);
  const probability = entry?.[1] ?? 0;
  return {
    StageName: stage,
    Probability: probability,
    ForecastCategory: entry?.[2] ?? "Pipeline",
    IsClosed: stage.startsWith("Closed"),
    IsWon: stage === "Closed Won",
  };
}

function withExpectedRevenue(record: SfRecord): SfRecord {
  const amount = record.Amount;
  const probability = record.Probability;
  record.ExpectedRevenue =
    typeof amount === "number" && typeof probability === "number" ? Math.round(amount * probability) / 100 : null;
  return record;
}

const opportunity: Generator = ({ rng, createdAt, parent }) => {
  const acct = rng.chance(0.97) ? parent("Account") : undefined;
  const closeAt = createdAt + rng.int(7, 270) * DAY_MS;
  const closeDate = new Date(closeAt);
  const stage = rng.pick(OPPORTUNITY_STAGES)[0];
  return withExpectedRevenue({
    AccountId: str(acct?.Id),
    Name: `${acct ? String(acct.Name) : companyName(rng)} - ${rng.pick(OPPORTUNITY_PRODUCTS)}`,
    Description: maybe(rng, 0.2, () => rng.pick(DESCRIPTIONS)),
    ...stageFields(stage),
    Amount: maybe(rng, 0.92, () => rng.int(10, 50_000) * 25 + rng.int(0, 99) / 100),
    CloseDate: toDateString(closeAt),
    Type: maybe(rng, 0.8, () => rng.pick(["Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"])),
    NextStep: maybe(rng, 0.5, () => rng.pick(NEXT_STEPS)),
    LeadSource: maybe(rng, 0.6, () => rng.pick(LEAD_SOURCES)),
    FiscalYear: closeDate.getUTCFullYear(),
    FiscalQuarter: Math.floor(closeDate.getUTCMonth() / 3) + 1,
  });
};

const supportCase: Generator = ({ rng, serial, createdAt, parent }) => {
  const requester = rng.chance(0.8) ? parent("Contact") : undefined;
  const status = rng.pick(CASE_STATUSES);
  const closed = status === "Closed";
  return {
    CaseNumber: String(serial).padStart(8, "0"),
    ContactId: str(requester?.Id),
    AccountId: str(requester?.AccountId),
    SuppliedName: requester ? null : maybe(rng, 0.6, () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`),
    SuppliedEmail: requester ? null : maybe(rng, 0.6, () => `${rng.pick(["help", "ops", "it"])}@${domainOf(companyName(rng))}`),
    SuppliedPhone: null,
    Type: maybe(rng, 0.7, () => rng.pick(["Mechanical", "Electrical", "Electronic", "Structural", "Other"])),
    Status: status,
    Reason: maybe(rng, 0.5, () => rng.pick(["Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other"])),
    Origin: rng.pick(["Phone", "Email", "Web"]),
    Subject: rng.pick(CASE_SUBJECTS),
    Priority: rng.pick(["High", "Medium", "Medium", "Low"]),
    Description: maybe(rng, 0.6, () => rng.pick(DESCRIPTIONS)),
    IsClosed: closed,
    ClosedDate: closed ? createdAt + rng.int(600, 30 * 86_400) * 1000 : null,
    IsEscalated: status === "Escalated",
  };
};

const invoice: Generator = ({ rng, serial, createdAt, parent }) => {
  const opp = rng.chance(0.75) ? parent("Opportunity") : undefined;
  const acct = opp ? undefined : parent("Account");
  const status = rng.pick(INVOICE_STATUSES);
  const paid = status === "Paid";
  return {
    Name: `INV-${String(serial).padStart(6, "0")}`,
    Account__c: str(opp ? opp.AccountId : acct?.Id),
    Opportunity__c: str(opp?.Id),
    Amount__c: rng.int(100, 2_000_000) / 100,
    Status__c: status,
    Issue_Date__c: toDateString(createdAt),
    Due_Date__c: toDateString(createdAt + rng.pick([15, 30, 45, 60]) * DAY_MS),
    Paid__c: paid,
    Paid_At__c: paid ? createdAt + rng.int(1, 60 * 86_400) * 1000 : null,
    Tax_Rate__c: rng.pick([0, 5, 7.25, 8.875, 19, 20, 21]),
    Line_Count__c: rng.int(1, 40),
    Billing_Email__c: maybe(rng, 0.8, () => `billing@${domainOf(companyName(rng))}`),
    Notes__c: maybe(rng, 0.15, () => rng.pick(DESCRIPTIONS)),
  };
};

export const GENERATORS: Readonly<Record<string, Generator>> = {
  User: user,
  Account: account,
  Contact: contact,
  Lead: lead,
  Opportunity: opportunity,
  Case: supportCase,
  Invoice__c: invoice,
};

function nextOf<T>(values: readonly T[], current: unknown): T {
  const at = values.indexOf(current as T);
  const next = values[(at + 1) % values.length];
  if (next === undefined) throw new Error("empty value list");
  return next;
}

/** What an "update" changes, per object: always a different value, so tests can see the edit. */
export const TOUCHES: Readonly<Record<string, (record: SfRecord, now: number) => void>> = {
  User: (r) => {
    r.Title = nextOf(JOB_TITLES, r.Title);
  },
  Account: (r) => {
    r.AnnualRevenue = (typeof r.AnnualRevenue === "number" ? r.AnnualRevenue : 0) + 100_000;
  },
  Contact: (r) => {
    r.Title = nextOf(JOB_TITLES, r.Title);
  },
  Lead: (r) => {
    if (r.IsConverted === true) r.Rating = nextOf(RATINGS, r.Rating);
    else r.Status = nextOf(LEAD_STATUSES.filter((s) => s !== "Closed - Converted"), r.Status);
  },
  Opportunity: (r) => {
    Object.assign(r, stageFields(nextOf(OPPORTUNITY_STAGES.map(([s]) => s), r.StageName)));
    withExpectedRevenue(r);
  },
  Case: (r) => {
    r.Priority = nextOf(["High", "Medium", "Low"], r.Priority);
  },
  Invoice__c: (r, now) => {
    r.Status__c = nextOf(INVOICE_STATUSES, r.Status__c);
    r.Paid__c = r.Status__c === "Paid";
    r.Paid_At__c = r.Paid__c ? now : null;
  },
};
