import { expect, test } from "bun:test";
import type { AuthUser } from "../auth/user.ts";
import { AppError } from "../errors.ts";
import { createAuthMiddleware } from "./auth.ts";
import { type TestEnv, testApp } from "./testing/app.ts";

function appWithAuth(publicPaths: string[] = []) {
  const { app, lines } = testApp();
  const failures: string[] = [];
  app.use(
    createAuthMiddleware<TestEnv>({
      publicPaths,
      onFailure: (reason) => failures.push(reason),
      authenticate: async (request) => {
        const token = request.headers.get("authorization");
        if (token !== "Bearer good") throw new AppError("unauthorized", "invalid token");
        return { identity: "user-1", permissions: [] } as unknown as AuthUser;
      },
    }),
  );
  app.get("/*", (c) => c.json({ user: c.var.user?.identity ?? null }));
  app.on("OPTIONS", "/*", (c) => c.body(null, 204));
  return { app, lines, failures };
}

test("a valid token reaches the route with the user set", async () => {
  const { app } = appWithAuth();
  const response = await app.request("/threads", { headers: { authorization: "Bearer good" } });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ user: "user-1" });
});

test("a missing or bad token is a 401; the reason is reported and logged, never the token", async () => {
  const { app, lines, failures } = appWithAuth();
  const response = await app.request("/threads", { headers: { authorization: "Bearer sneaky-token" } });
  expect(response.status).toBe(401);
  expect(await response.text()).toBe(`invalid token (request_id: ${response.headers.get("x-request-id")})`);
  expect(failures).toEqual(["invalid token"]);
  expect(JSON.stringify(lines)).not.toContain("sneaky-token");
  expect((await app.request("/threads")).status).toBe(401);
});

test("public paths (exact or prefix*) and CORS preflights skip authentication", async () => {
  const { app } = appWithAuth(["/ok", "/docs/*"]);
  expect(await (await app.request("/ok")).json()).toEqual({ user: null });
  expect((await app.request("/docs/page")).status).toBe(200);
  expect((await app.request("/okay")).status).toBe(401);
  expect((await app.request("/threads", { method: "OPTIONS" })).status).toBe(204);
});
