import type { MiddlewareHandler } from "hono";

/**
 * `Prefer: return=minimal` (RFC 7240) on a write: a successful answer drops its body and becomes
 * 204, with `Preference-Applied`; errors and streams are left as they are.
 */
export function createPreferMinimal(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return;
    const prefer = c.req.header("prefer") ?? "";
    if (!/(^|[\s,;])return=minimal($|[\s,;])/i.test(prefer)) return;
    if (c.res.status !== 200 || (c.res.headers.get("content-type") ?? "").includes("text/event-stream")) return;
    const headers = new Headers(c.res.headers);
    headers.delete("content-type");
    headers.delete("content-length");
    headers.set("Preference-Applied", "return=minimal");
    c.res = new Response(null, { status: 204, headers });
  };
}
