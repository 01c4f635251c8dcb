/** Serialises a value for a jsonb column (pg would turn a JS array into a Postgres array). */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Dates from pg become ISO strings at the storage boundary, as the API returns them. */
export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export type SortOrder = "asc" | "desc";

export interface Page<T> {
  items: T[];
  /** Offset of the next page when more rows exist. */
  next: number | null;
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<T>(rows: T[], limit: number, offset: number): Page<T> {
  const more = rows.length > limit;
  return { items: more ? rows.slice(0, limit) : rows, next: more ? offset + limit : null };
}
