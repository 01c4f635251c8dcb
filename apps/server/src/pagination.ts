import type { Access } from "@fractal/infra/auth/access";
import type { Context } from "hono";
import { accessFor } from "./access.ts";
import type { AppEnv } from "./env.ts";

/** Sets `X-Pagination-Next` (the next page's offset) when there is one, and returns the page's rows. */
function pageItems<T>(c: Context, page: { items: T[]; next: number | null }): T[] {
  if (page.next !== null) c.header("X-Pagination-Next", String(page.next));
  return page.items;
}

/** One page of a search, restricted to what the caller may see (`<resource>:search`). */
export async function searchVisible<B extends Record<string, unknown>, T>(
  c: Context<AppEnv>,
  resource: "assistants" | "threads",
  body: B,
  search: (query: B & { access: Access }) => Promise<{ items: T[]; next: number | null }>,
): Promise<T[]> {
  const access = await accessFor(c, `${resource}:search`, body);
  return pageItems(c, await search({ ...body, access }));
}
