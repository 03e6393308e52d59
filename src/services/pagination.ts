/**
 * Lists answer a bare array without `page`/`page_size` (as the seed shows) and the envelope with either
 * (DESIGN §2). A bare list is capped so it stays bounded.
 */
export interface PageRequest {
  paged: boolean;
  page: number;
  pageSize: number;
  limit: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageRequest(query: { page?: number; page_size?: number }, bareLimit: number): PageRequest {
  const paged = query.page !== undefined || query.page_size !== undefined;
  const page = query.page ?? 1;
  const pageSize = query.page_size ?? DEFAULT_PAGE_SIZE;
  return paged
    ? { paged, page, pageSize, limit: pageSize, offset: (page - 1) * pageSize }
    : { paged, page: 1, pageSize: bareLimit, limit: bareLimit, offset: 0 };
}
