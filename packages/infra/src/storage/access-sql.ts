import { type RawBuilder, sql } from "kysely";
import type { Access } from "../auth/access.ts";

/** The SQL condition of an Access on a table's `metadata` column (`true` when unrestricted). */
export function accessCondition(access: Access, column = "metadata"): RawBuilder<boolean> {
  if (access === undefined) return sql<boolean>`true`;
  if (access.length === 0) return sql<boolean>`false`;
  const ref = sql.ref(column);
  return sql<boolean>`(${sql.join(
    access.map((pattern) => sql`${ref} @> ${JSON.stringify(pattern)}::jsonb`),
    sql` or `,
  )})`;
}
