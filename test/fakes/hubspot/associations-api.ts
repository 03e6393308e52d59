/**
 * POST /crm/v4/associations/{from}/{to}/batch/read: search results carry no associations, so connectors
 * read them here in batches (research §2 "Envelope & pagination"). Type ids are HubSpot's defined ones;
 * a primary company link is reported with both its unlabelled and its "Primary" type.
 */
import { CRM_OBJECTS, resolveObjectType, type CrmObjectName } from "./catalog";
import { data, jsonBody, methodNotAllowed, requireScopes, type RouteContext } from "./context";
import { notFound, validationError } from "./errors";
import { ok, type Reply } from "./http-util";

const MAX_INPUTS = 1000;

/** HubSpot-defined association type ids: unlabelled, and primary where the pair has a primary company. */
const TYPE_IDS: Partial<Record<`${CrmObjectName}:${CrmObjectName}`, { unlabeled: number; primary?: number }>> = {
  "contacts:companies": { unlabeled: 279, primary: 1 },
  "companies:contacts": { unlabeled: 280, primary: 2 },
  "deals:contacts": { unlabeled: 3 },
  "contacts:deals": { unlabeled: 4 },
  "deals:companies": { unlabeled: 341, primary: 5 },
  "companies:deals": { unlabeled: 342, primary: 6 },
  "contacts:tickets": { unlabeled: 15 },
  "tickets:contacts": { unlabeled: 16 },
  // (verify) from here on: ticket ↔ company, line item ↔ deal and the engagement pairs.
  "companies:tickets": { unlabeled: 340, primary: 25 },
  "tickets:companies": { unlabeled: 339, primary: 26 },
  "deals:line_items": { unlabeled: 19 },
  "line_items:deals": { unlabeled: 20 },
  "companies:calls": { unlabeled: 181 },
  "calls:companies": { unlabeled: 182 },
  "companies:emails": { unlabeled: 185 },
  "emails:companies": { unlabeled: 186 },
  "companies:meetings": { unlabeled: 187 },
  "meetings:companies": { unlabeled: 188 },
  "companies:notes": { unlabeled: 189 },
  "notes:companies": { unlabeled: 190 },
  "companies:tasks": { unlabeled: 191 },
  "tasks:companies": { unlabeled: 192 },
  "contacts:calls": { unlabeled: 193 },
  "calls:contacts": { unlabeled: 194 },
  "contacts:emails": { unlabeled: 197 },
  "emails:contacts": { unlabeled: 198 },
  "contacts:meetings": { unlabeled: 199 },
  "meetings:contacts": { unlabeled: 200 },
  "contacts:notes": { unlabeled: 201 },
  "notes:contacts": { unlabeled: 202 },
  "contacts:tasks": { unlabeled: 203 },
  "tasks:contacts": { unlabeled: 204 },
};

function inputIds(body: unknown): string[] | null {
  if (typeof body !== "object" || body === null || !("inputs" in body) || !Array.isArray(body.inputs)) return null;
  const ids = body.inputs.map((input: unknown) =>
    typeof input === "object" && input !== null && "id" in input ? String(input.id) : null,
  );
  return ids.every((id): id is string => id !== null) ? ids : null;
}

export function associationsApi(ctx: RouteContext, rest: readonly string[]): Reply {
  const [fromSegment, toSegment, batch, read, ...more] = rest;
  if (fromSegment === undefined || toSegment === undefined || batch !== "batch" || read !== "read" || more.length > 0) {
    return notFound();
  }
  if (ctx.method !== "POST") return methodNotAllowed();
  const from = resolveObjectType(fromSegment);
  const to = resolveObjectType(toSegment);
  if (!from) return validationError(`Unable to infer object type from: ${fromSegment}`);
  if (!to) return validationError(`Unable to infer object type from: ${toSegment}`);
  const denied = requireScopes(ctx, [from.readScope, to.readScope]);
  if (denied) return denied;
  const body = jsonBody(ctx);
  if (!body.ok) return body.reply;
  const ids = inputIds(body.value);
  if (!ids) return validationError("Invalid input JSON: expected {inputs: [{id}]}");
  if (ids.length > MAX_INPUTS) return validationError(`Batch size must be at most ${MAX_INPUTS}`);
  const store = data(ctx);
  const types = TYPE_IDS[`${from.name}:${to.name}`];
  const startedAt = new Date(ctx.now).toISOString();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const id of ids) {
    const record = store.objects[from.name].byId.get(Number(id));
    const links = (record?.archivedAt === null ? (record.associations[to.name] ?? []) : []).filter(
      (entry) => store.objects[to.name].byId.get(entry.id)?.archivedAt === null,
    );
    if (!types || links.length === 0) {
      // Shape of HubSpot's per-input error in a 207 multi-status answer (verify).
      errors.push({
        status: "error",
        category: "OBJECT_NOT_FOUND",
        subCategory: "crm.associations.NO_ASSOCIATIONS_FOUND",
        message: `No ${CRM_OBJECTS[to.name].singular} is associated with ${from.singular} ${id}.`,
        context: { fromObjectId: [id], toObjectType: [to.singular] },
      });
      continue;
    }
    results.push({
      from: { id },
      to: links.map((entry) => ({
        toObjectId: entry.id,
        associationTypes: [
          { category: "HUBSPOT_DEFINED", typeId: types.unlabeled, label: null },
          ...(entry.primary && types.primary !== undefined
            ? [{ category: "HUBSPOT_DEFINED", typeId: types.primary, label: "Primary" }]
            : []),
        ],
      })),
    });
  }
  const completedAt = new Date(ctx.now).toISOString();
  const body207 = errors.length > 0 ? { numErrors: errors.length, errors } : {};
  return ok({ status: "COMPLETE", results, ...body207, startedAt, completedAt }, errors.length > 0 ? 207 : 200);
}
