/** `?limit=&cursor=` lists, as INTERFACES.md describes: `{items, next_cursor}`. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Builds a page from `limit + 1` fetched items: the extra one only says whether more exist. */
export function pageOf<T>(fetched: T[], limit: number, cursorOf: (item: T) => string): Page<T> {
  const items = fetched.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: fetched.length > limit && last !== undefined ? cursorOf(last) : null };
}
