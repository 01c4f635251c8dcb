import { expect, test } from "bun:test";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../errors.ts";
import { notFoundHandler } from "./error-handler.ts";
import { testApp } from "./testing/app.ts";

const json = { accept: "application/json" };

test("an AppError answers its status: the message and request id as text, or {error, message, details, request_id} when JSON is asked for", async () => {
  const { app } = testApp();
  app.get("/missing", () => {
    throw new AppError("not_found", "Thread with ID t not found", { details: { id: "t" } });
  });
  const plain = await app.request("/missing");
  expect(plain.status).toBe(404);
  expect(plain.headers.get("content-type")).toContain("text/plain");
  expect(plain.headers.get("x-error-code")).toBe("not_found");
  expect(await plain.text()).toBe(`Thread with ID t not found (request_id: ${plain.headers.get("x-request-id")})`);
  const given = await app.request("/missing", { headers: { "x-request-id": "caller-7" } });
  expect(await given.text()).toBe("Thread with ID t not found (request_id: caller-7)");
  const asJson = await app.request("/missing", { headers: json });
  expect(await asJson.json()).toEqual({
    error: "not_found",
    message: "Thread with ID t not found",
    details: { id: "t" },
    request_id: asJson.headers.get("x-request-id"),
  });
});

test("an unreachable database is a 503 with Retry-After, logged once however many requests fail", async () => {
  const { app, lines } = testApp();
  app.get("/db", () => {
    throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  });
  for (let i = 0; i < 3; i++) {
    const response = await app.request("/db", { headers: json });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(((await response.json()) as { error: string }).error).toBe("unavailable");
  }
  expect(lines.filter((l) => String(l.msg).startsWith("database unavailable"))).toHaveLength(1);
});

test("an unknown error is a 500 that hides its message and is logged; HTTPExceptions keep their status", async () => {
  const { app, lines } = testApp();
  app.get("/bug", () => {
    throw new Error("secret internals");
  });
  app.get("/big", () => {
    throw new HTTPException(413, { message: "too big" });
  });
  const bug = await app.request("/bug");
  expect(bug.status).toBe(500);
  expect(await bug.text()).toBe(`internal server error (request_id: ${bug.headers.get("x-request-id")})`);
  expect(lines).toContainEqual(expect.objectContaining({ level: "error", msg: "unhandled error" }));
  const big = await app.request("/big", { headers: json });
  expect(big.status).toBe(413);
  expect(((await big.json()) as { error: string }).error).toBe("payload_too_large");
});

test("unknown paths are a 404 naming the method and path", async () => {
  const { app } = testApp();
  app.notFound(notFoundHandler);
  const response = await app.request("/nowhere", { method: "POST" });
  expect(response.status).toBe(404);
  expect(await response.text()).toBe(
    `no route for POST /nowhere (request_id: ${response.headers.get("x-request-id")})`,
  );
});
