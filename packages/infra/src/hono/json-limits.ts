/** How deep a request's JSON may nest (objects and arrays); deeper is a 422 before any query runs. */
export const MAX_JSON_DEPTH = 64;

/**
 * Why a request value cannot be stored as it is, or undefined: nested deeper than `maxDepth`
 * (PostgreSQL's jsonb operators recurse and run out of stack; PGlite spins instead), or a NUL
 * character in a string or key (jsonb and text columns refuse `\u0000`). Walks without recursion,
 * so a hostile depth cannot overflow this process's stack either.
 */
export function jsonProblem(value: unknown, root: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number, string]> = [[value, 0, root]];
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop() as [unknown, number, string];
    if (typeof current === "string") {
      if (current.includes("\u0000")) return `${path}: contains a NUL character (\\u0000), which cannot be stored`;
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth >= maxDepth) return `${path}: nested deeper than ${maxDepth} levels`;
    for (const [key, inner] of Object.entries(current)) {
      if (key.includes("\u0000")) return `${path}: a key contains a NUL character (\\u0000), which cannot be stored`;
      stack.push([inner, depth + 1, Array.isArray(current) ? `${path}[${key}]` : `${path}.${key}`]);
    }
  }
  return undefined;
}
