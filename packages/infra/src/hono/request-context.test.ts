import { expect, test } from "bun:test";
import { testApp } from "./testing/app.ts";

test("keeps the caller's x-request-id, or generates one, echoes it and logs the request with it", async () => {
  const { app, lines } = testApp();
  app.get("/hello", (c) => c.text(`id=${c.var.requestId}`));
  const given = await app.request("/hello", { headers: { "x-request-id": "abc-123" } });
  expect(given.headers.get("x-request-id")).toBe("abc-123");
  expect(await given.text()).toBe("id=abc-123");
  const generated = await app.request("/hello");
  expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: "request", request_id: "abc-123", method: "GET", path: "/hello", status: 200 }),
  );
});

test("an id longer than 128 characters is replaced", async () => {
  const { app } = testApp();
  app.get("/", (c) => c.text("ok"));
  const response = await app.request("/", { headers: { "x-request-id": "x".repeat(129) } });
  expect(response.headers.get("x-request-id")).not.toBe("x".repeat(129));
});

test("quiet paths log only failures; a 5xx logs at error level", async () => {
  const { app, lines } = testApp({ quietPaths: ["/ok"] });
  app.get("/ok", (c) => c.json({ ok: true }));
  app.get("/boom", () => {
    throw new Error("kaput");
  });
  await app.request("/ok");
  expect(lines.filter((l) => l.path === "/ok")).toHaveLength(0);
  expect((await app.request("/boom")).status).toBe(500);
  expect(lines).toContainEqual(expect.objectContaining({ level: "error", msg: "request failed", path: "/boom" }));
});
