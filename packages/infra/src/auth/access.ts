/**
 * Which stored resources a caller may see: any one of these metadata patterns must be contained in
 * the resource's metadata (as PostgreSQL `jsonb @>` does). `undefined` means no restriction; an
 * empty list means nothing is visible.
 */
export type Access = Array<Record<string, unknown>> | undefined;

/** `jsonb @>` semantics: objects match key by key, arrays contain every element, scalars are equal. */
export function jsonContains(doc: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    if (!Array.isArray(doc)) return false;
    return pattern.every((p) => doc.some((d) => jsonContains(d, p)));
  }
  if (pattern !== null && typeof pattern === "object") {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return false;
    return Object.entries(pattern).every(([k, v]) => k in doc && jsonContains((doc as Record<string, unknown>)[k], v));
  }
  return doc === pattern;
}

export function canSee(metadata: unknown, access: Access): boolean {
  if (access === undefined) return true;
  return access.some((pattern) => jsonContains(metadata ?? {}, pattern));
}

/**
 * LangGraph handler filters (`{owner: "u1"}`, `{owner: {$eq: "u1"}}`, `{tags: {$contains: "x"}}`) as
 * one containment pattern, plus the equalities that a created resource is stamped with.
 */
export function fromHandlerFilters(filters: Record<string, unknown>): {
  pattern: Record<string, unknown>;
  stamp: Record<string, unknown>;
} {
  const pattern: Record<string, unknown> = {};
  const stamp: Record<string, unknown> = {};
  for (const [key, condition] of Object.entries(filters)) {
    if (condition !== null && typeof condition === "object" && !Array.isArray(condition)) {
      const ops = condition as Record<string, unknown>;
      if ("$eq" in ops) {
        pattern[key] = ops.$eq;
        stamp[key] = ops.$eq;
      }
      if ("$contains" in ops) {
        const wanted = [ops.$contains].flat();
        pattern[key] = wanted;
        if (!("$eq" in ops)) stamp[key] = wanted;
      }
    } else {
      pattern[key] = condition;
      stamp[key] = condition;
    }
  }
  return { pattern, stamp };
}
