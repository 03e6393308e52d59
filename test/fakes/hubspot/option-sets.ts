/**
 * Enumeration options and pipelines shared by the catalog (what the properties API reports) and the
 * generators (what values records hold), so the two can never disagree.
 */
import { codes, options, type PropertyOption } from "./property-defs";

export const LIFECYCLE_STAGES = options([
  ["subscriber", "Subscriber"],
  ["lead", "Lead"],
  ["marketingqualifiedlead", "Marketing Qualified Lead"],
  ["salesqualifiedlead", "Sales Qualified Lead"],
  ["opportunity", "Opportunity"],
  ["customer", "Customer"],
  ["evangelist", "Evangelist"],
  ["other", "Other"],
]);

export const LEAD_STATUSES = codes([
  "NEW",
  "OPEN",
  "IN_PROGRESS",
  "OPEN_DEAL",
  "UNQUALIFIED",
  "ATTEMPTED_TO_CONTACT",
  "CONNECTED",
  "BAD_TIMING",
]);

export const INDUSTRIES = codes([
  "COMPUTER_SOFTWARE",
  "FINANCIAL_SERVICES",
  "HOSPITAL_HEALTH_CARE",
  "RETAIL",
  "MARKETING_AND_ADVERTISING",
  "LOGISTICS_AND_SUPPLY_CHAIN",
  "EDUCATION_MANAGEMENT",
  "CONSTRUCTION",
]);

export const ACCOUNT_TIERS = options([
  ["tier_1", "Tier 1"],
  ["tier_2", "Tier 2"],
  ["tier_3", "Tier 3"],
]);

export const PREFERRED_CHANNELS = options([
  ["email", "Email"],
  ["phone", "Phone"],
  ["sms", "SMS"],
]);

export const DEAL_TYPES = options([
  ["newbusiness", "New Business"],
  ["existingbusiness", "Existing Business"],
]);

export const DEAL_PRIORITIES = options([
  ["low", "Low"],
  ["medium", "Medium"],
  ["high", "High"],
]);

export const TICKET_PRIORITIES = codes(["LOW", "MEDIUM", "HIGH", "URGENT"]);
export const TICKET_CATEGORIES = codes(["PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY"]);
export const TICKET_SOURCES = codes(["EMAIL", "CHAT", "PHONE", "FORM"]);

export const RECURRING_PERIODS = options([
  ["P1M", "Monthly"],
  ["P3M", "Quarterly"],
  ["P12M", "Annually"],
]);

export const CALL_DIRECTIONS = codes(["INBOUND", "OUTBOUND"]);
export const CALL_STATUSES = codes(["COMPLETED", "NO_ANSWER", "BUSY", "FAILED", "CANCELED"]);
export const EMAIL_DIRECTIONS = codes(["EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"]);
export const EMAIL_STATUSES = codes(["SENT", "BOUNCED", "FAILED", "SCHEDULED"]);
export const MEETING_OUTCOMES = codes(["SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"]);
export const TASK_STATUSES = codes(["NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"]);
export const TASK_PRIORITIES = codes(["NONE", "LOW", "MEDIUM", "HIGH"]);
export const TASK_TYPES = codes(["EMAIL", "CALL", "TODO"]);

export const values = (list: readonly PropertyOption[]) => list.map((option) => option.value);

export interface PipelineStage {
  id: string;
  label: string;
  metadata: Record<string, string>;
}

export interface Pipeline {
  id: string;
  label: string;
  stages: readonly PipelineStage[];
}

/** The default sales pipeline every HubSpot account starts with; stage ids are HubSpot's internal names. */
export const DEAL_PIPELINES: readonly Pipeline[] = [
  {
    id: "default",
    label: "Sales Pipeline",
    stages: (
      [
        ["appointmentscheduled", "Appointment Scheduled", "0.2"],
        ["qualifiedtobuy", "Qualified To Buy", "0.4"],
        ["presentationscheduled", "Presentation Scheduled", "0.6"],
        ["decisionmakerboughtin", "Decision Maker Bought-In", "0.8"],
        ["contractsent", "Contract Sent", "0.9"],
        ["closedwon", "Closed Won", "1.0"],
        ["closedlost", "Closed Lost", "0.0"],
      ] as const
    ).map(([id, label, probability]) => ({
      id,
      label,
      metadata: { isClosed: String(id === "closedwon" || id === "closedlost"), probability },
    })),
  },
];

/** The default support pipeline: HubSpot names its ticket pipeline and stages with numeric strings. */
export const TICKET_PIPELINES: readonly Pipeline[] = [
  {
    id: "0",
    label: "Support Pipeline",
    stages: (
      [
        ["1", "New", "OPEN"],
        ["2", "Waiting on contact", "OPEN"],
        ["3", "Waiting on us", "OPEN"],
        ["4", "Closed", "CLOSED"],
      ] as const
    ).map(([id, label, ticketState]) => ({ id, label, metadata: { ticketState } })),
  },
];

export const stageOptions = (pipelines: readonly Pipeline[]): PropertyOption[] =>
  pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => ({ value: stage.id, label: stage.label })));
