/**
 * A small in-memory API for paginator tests, answering each paging style from the same 23 items so a test can check
 * that a walk returns every item exactly once. The fake REST API server covers the same styles end to end.
 */
import type { Handler } from "./fake-fetch";

export const ITEMS = Array.from({ length: 23 }, (_, i) => ({ id: i + 1, updated_at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() }));

const json = (body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { headers });
const int = (q: URLSearchParams, name: string, fallback: number) => Number(q.get(name) ?? fallback);

export const pagedApi: Handler = (request) => {
  const url = new URL(request.url);
  const q = url.searchParams;
  switch (url.pathname) {
    case "/page": {
      const size = int(q, "per_page", 10);
      const page = int(q, "page", 1);
      return json({ items: ITEMS.slice((page - 1) * size, page * size), meta: { total_pages: Math.ceil(ITEMS.length / size) } });
    }
    case "/page0": {
      // Zero-based pages, no total: paging ends at the short page.
      const size = int(q, "size", 10);
      const page = int(q, "p", 0);
      return json(ITEMS.slice(page * size, (page + 1) * size));
    }
    case "/offset": {
      // Caps the page size at 5 whatever is asked, as real APIs do; only `total` tells the client to go on.
      const limit = Math.min(int(q, "limit", 5), 5);
      const offset = int(q, "offset", 0);
      return json({ data: ITEMS.slice(offset, offset + limit), total: ITEMS.length });
    }
    case "/cursor": {
      const limit = int(q, "limit", 10);
      const after = int(q, "after", 0);
      const page = ITEMS.filter((i) => i.id > after).slice(0, limit);
      const last = page.at(-1)?.id;
      return json({ results: page, paging: { next: last !== undefined && last < ITEMS.length ? { after: String(last) } : null } });
    }
    case "/next": {
      const from = int(q, "from", 0);
      const next = from + 10 < ITEMS.length ? `/next?from=${from + 10}&filter=${q.get("filter")}` : null;
      return json({ data: ITEMS.slice(from, from + 10), links: { next } });
    }
    case "/link": {
      const page = int(q, "page", 1);
      const last = Math.ceil(ITEMS.length / 10);
      const rels = [`<https://api.example.com/link?page=${last}>; rel="last"`];
      if (page < last) rels.unshift(`<https://api.example.com/link?page=${page + 1}>; title="next, please"; rel="next"`);
      if (page > 1) rels.push(`<https://api.example.com/link?page=${page - 1}>; rel="prev"`);
      return json(ITEMS.slice((page - 1) * 10, page * 10), { link: rels.join(", ") });
    }
    case "/all":
      return json({ records: ITEMS });
    case "/stuck-cursor":
      return json({ results: ITEMS.slice(0, 2), next: "same" });
    case "/empty":
      return json({ items: [], meta: { total_pages: 0 } });
  }
  return new Response('{"message":"no such route"}', { status: 404 });
};
