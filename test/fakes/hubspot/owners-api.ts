/**
 * /crm/v3/owners[/{id}]: the account's users as owners, paged like objects (limit up to 500), filterable by
 * email, with deactivated users under archived=true (research §2 stream table; v3 owners changelog).
 */
import { data, flag, listAfter, listLimit, methodNotAllowed, nextLink, requireScopes, type RouteContext } from "./context";
import { notFound } from "./errors";
import { iso } from "./gen-helpers";
import { ok, type Reply } from "./http-util";
import type { OwnerRecord } from "./records";
import { TEAMS } from "./words";

const OWNERS_SCOPE = "crm.objects.owners.read";
const LIST_DEFAULT = 100;
const LIST_MAX = 500;

function renderOwner(owner: OwnerRecord) {
  const team = TEAMS.find((candidate) => candidate.id === owner.teamId);
  return {
    id: String(owner.id),
    email: owner.email,
    type: "PERSON",
    firstName: owner.firstName,
    lastName: owner.lastName,
    // A deactivated user keeps only userIdIncludingInactive (verify).
    ...(owner.archived ? {} : { userId: owner.userId }),
    userIdIncludingInactive: owner.userId,
    createdAt: iso(owner.createdAt),
    updatedAt: iso(owner.updatedAt),
    archived: owner.archived,
    ...(team ? { teams: [{ id: team.id, name: team.name, primary: true }] } : {}),
  };
}

function list(ctx: RouteContext): Reply {
  const limit = listLimit(ctx, LIST_DEFAULT, LIST_MAX);
  if (typeof limit !== "number") return limit;
  const after = listAfter(ctx);
  if (typeof after !== "number") return after;
  const archived = flag(ctx, "archived");
  const email = ctx.query.get("email")?.toLowerCase();
  const candidates = data(ctx)
    .owners.filter((owner) => owner.archived === archived && owner.id >= after)
    .filter((owner) => email === undefined || owner.email.toLowerCase() === email);
  const page = candidates.slice(0, limit);
  const last = page[page.length - 1];
  const nextAfter = last && candidates.length > page.length ? String(last.id + 1) : null;
  return ok({
    results: page.map(renderOwner),
    ...(nextAfter ? { paging: { next: { after: nextAfter, link: nextLink(ctx, nextAfter) } } } : {}),
  });
}

function getOne(ctx: RouteContext, idSegment: string): Reply {
  const byUserId = ctx.query.get("idProperty") === "userId";
  const owner = data(ctx).owners.find((candidate) => String(byUserId ? candidate.userId : candidate.id) === idSegment);
  if (!owner || owner.archived !== flag(ctx, "archived")) return notFound();
  return ok(renderOwner(owner));
}

export function ownersApi(ctx: RouteContext, rest: readonly string[]): Reply {
  const denied = requireScopes(ctx, [OWNERS_SCOPE]);
  if (denied) return denied;
  if (ctx.method !== "GET") return methodNotAllowed();
  const [id, ...more] = rest;
  if (more.length > 0) return notFound();
  return id === undefined ? list(ctx) : getOne(ctx, id);
}
