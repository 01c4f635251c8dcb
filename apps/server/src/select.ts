import { AppError } from "@fractal/infra/errors";
import { z } from "zod";

/** Keeps only the requested fields of each row (`select` in search bodies). */
export function selectFields<T extends object>(rows: T[], fields: readonly string[] | undefined): Partial<T>[] {
  if (!fields) return rows;
  return rows.map(
    (row) => Object.fromEntries(fields.map((f) => [f, (row as Record<string, unknown>)[f]])) as Partial<T>,
  );
}

/**
 * `select` as a query parameter: repeated (`select=a&select=b`), comma-separated, or the JSON array
 * the JS SDK sends for array parameters (`select=["values.messages"]`).
 */
export const querySelect = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const items = [value].flat().flatMap((item) => {
    const text = item.trim();
    if (!text.startsWith("[")) return text.split(",");
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === "string")) return parsed as string[];
    } catch {}
    ctx.addIssue({ code: "custom", message: "select is a list of field names" });
    return [];
  });
  const fields = items.map((s) => s.trim()).filter((s) => s.length > 0);
  if (fields.length > 100 || fields.some((s) => s.length > 256)) {
    ctx.addIssue({ code: "custom", message: "at most 100 fields of 256 characters" });
  }
  return fields;
});

/** The fields of a thread state (`GET /threads/{id}/state`, history entries) a client may select. */
const STATE_FIELDS = new Set([
  "values",
  "next",
  "tasks",
  "checkpoint",
  "parent_checkpoint",
  "metadata",
  "created_at",
  "interrupts",
]);

/**
 * Keeps the selected fields of a thread state: a field name, or `values.<key>` for one key of the
 * values. An unknown field is a 422 naming it.
 */
export function selectState<T extends Record<string, unknown>>(
  state: T,
  fields: readonly string[] | undefined,
  where: string,
) {
  if (!fields || fields.length === 0) return state;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.startsWith("values.")) {
      const key = field.slice("values.".length);
      const values = (state.values ?? {}) as Record<string, unknown>;
      out.values = { ...(out.values as Record<string, unknown> | undefined), [key]: values[key] };
    } else if (STATE_FIELDS.has(field)) {
      out[field] = state[field];
    } else {
      throw new AppError("validation_failed", `${where}.select: unknown field '${field}'`, {
        details: { allowed: [...STATE_FIELDS, "values.<key>"] },
      });
    }
  }
  return out;
}

/** Checks `select` against a row's fields (runs), naming the first unknown one. */
export function checkFields(fields: readonly string[] | undefined, allowed: readonly string[], where: string): void {
  const unknown = fields?.find((f) => !allowed.includes(f));
  if (unknown) {
    throw new AppError("validation_failed", `${where}.select: unknown field '${unknown}'`, { details: { allowed } });
  }
}

const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[-?\d+\])*$/;

/** An `extract` path: `values.messages[-1].content` (dotted keys, list indexes, negative from the end). */
export const extractPath = z.string().min(1).max(256).regex(PATH, "a dotted path such as values.messages[-1].content");

/** Reads a path (see extractPath) out of a value; a step that does not exist gives null. */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(-?\d+)\]/g)) {
    if (current === null || current === undefined) return null;
    if (index !== undefined) {
      if (!Array.isArray(current)) return null;
      const i = Number(index);
      current = current[i < 0 ? current.length + i : i];
    } else {
      current = typeof current === "object" ? (current as Record<string, unknown>)[key as string] : undefined;
    }
  }
  return current ?? null;
}
