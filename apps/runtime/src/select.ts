/** Keeps only the requested fields of each row (`select` in search bodies). */
export function selectFields<T extends object>(rows: T[], fields: readonly string[] | undefined): Partial<T>[] {
  if (!fields) return rows;
  return rows.map(
    (row) => Object.fromEntries(fields.map((f) => [f, (row as Record<string, unknown>)[f]])) as Partial<T>,
  );
}
