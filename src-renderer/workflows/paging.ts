/** Paging over a list the lab serves page by page. */

/** One page of a list of `total` items, `size` to a page. */
export interface PageInfo {
  /** 0-based. */
  page: number;
  pages: number;
  offset: number;
  /** First and last item shown, 1-based, for "41–60 of 400"; 0 and 0 when the list is empty. */
  first: number;
  last: number;
}

/** Page `page` (clamped into range) of `total` items. */
export function pageInfo(total: number, size: number, page: number): PageInfo {
  const pages = Math.max(1, Math.ceil(Math.max(0, total) / Math.max(1, size)));
  const p = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  const offset = p * size;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + size);
  return { page: p, pages, offset, first, last };
}
