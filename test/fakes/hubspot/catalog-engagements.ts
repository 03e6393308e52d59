/**
 * Engagements (calls, emails, meetings, notes, tasks) are CRM objects of their own in v3, with
 * `hs_createdate` for creation and `hs_timestamp` for when the activity happened.
 */
import type { CrmObjectDef, CrmObjectName } from "./catalog";
import {
  CALL_DIRECTIONS,
  CALL_STATUSES,
  EMAIL_DIRECTIONS,
  EMAIL_STATUSES,
  MEETING_OUTCOMES,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
} from "./option-sets";
import {
  datetime,
  number,
  ownerProperty,
  select,
  systemProperties,
  text,
  textarea,
  type PropertyDef,
} from "./property-defs";

const GROUP = "engagement";

function engagement(
  name: CrmObjectName,
  singular: string,
  objectTypeId: string,
  queryProperties: readonly string[],
  own: readonly PropertyDef[],
): CrmObjectDef {
  // Calls, meetings, notes and tasks are granted with the contacts scopes; emails have their own (verify).
  const email = name === "emails";
  return {
    name,
    singular,
    objectTypeId,
    createdProperty: "hs_createdate",
    modifiedProperty: "hs_lastmodifieddate",
    defaultProperties: ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    queryProperties,
    readScope: email ? "sales-email-read" : "crm.objects.contacts.read",
    writeScope: email ? "sales-email-read" : "crm.objects.contacts.write",
    schemaScope: email ? "sales-email-read" : "crm.objects.contacts.read",
    properties: [
      ...systemProperties(GROUP, "hs_createdate", "hs_lastmodifieddate"),
      datetime("hs_timestamp", "Activity date", GROUP),
      ownerProperty(GROUP),
      ...own,
    ],
  };
}

export const ENGAGEMENT_OBJECTS = {
  calls: engagement("calls", "call", "0-48", ["hs_call_title", "hs_call_body"], [
    text("hs_call_title", "Call Title", GROUP),
    textarea("hs_call_body", "Call notes", GROUP),
    number("hs_call_duration", "Call duration (ms)", GROUP),
    select("hs_call_direction", "Call direction", GROUP, CALL_DIRECTIONS),
    select("hs_call_status", "Call status", GROUP, CALL_STATUSES),
  ]),
  emails: engagement("emails", "email", "0-49", ["hs_email_subject", "hs_email_text"], [
    text("hs_email_subject", "Email subject", GROUP),
    textarea("hs_email_text", "Email body", GROUP),
    select("hs_email_direction", "Email direction", GROUP, EMAIL_DIRECTIONS),
    select("hs_email_status", "Email send status", GROUP, EMAIL_STATUSES),
  ]),
  meetings: engagement("meetings", "meeting", "0-47", ["hs_meeting_title", "hs_meeting_body"], [
    text("hs_meeting_title", "Meeting name", GROUP),
    textarea("hs_meeting_body", "Meeting description", GROUP),
    datetime("hs_meeting_start_time", "Start time", GROUP),
    datetime("hs_meeting_end_time", "End time", GROUP),
    text("hs_meeting_location", "Location", GROUP),
    select("hs_meeting_outcome", "Meeting outcome", GROUP, MEETING_OUTCOMES),
  ]),
  notes: engagement("notes", "note", "0-46", ["hs_note_body"], [textarea("hs_note_body", "Note body", GROUP)]),
  tasks: engagement("tasks", "task", "0-27", ["hs_task_subject", "hs_task_body"], [
    text("hs_task_subject", "Task title", GROUP),
    textarea("hs_task_body", "Task notes", GROUP),
    select("hs_task_status", "Task status", GROUP, TASK_STATUSES),
    select("hs_task_priority", "Priority", GROUP, TASK_PRIORITIES),
    select("hs_task_type", "Task type", GROUP, TASK_TYPES),
  ]),
} as const;
