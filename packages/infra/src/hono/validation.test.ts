import { expect, test } from "bun:test";
import { z } from "zod";
import { testApp } from "./testing/app.ts";
import { parseInput, readJsonBody } from "./validation.ts";

const json = { accept: "application/json" };

function app() {
  const { app: hono } = testApp();
  const body = z.object({ limit: z.number().int().max(1000) });
  hono.post("/search", async (c) => c.json(parseInput(body, (await readJsonBody(c)) ?? {}, "body")));
  hono.get("/items/:id", (c) => c.json(parseInput(z.object({ id: z.uuid() }), c.req.param(), "path")));
  return hono;
}

test("a valid body is parsed whatever the content type (Studio sends text/plain)", async () => {
  const response = await app().request("/search", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: '{"limit": 5}',
  });
  expect(await response.json()).toEqual({ limit: 5 });
});

test("malformed JSON is a 400; a schema violation is a 422 naming the field", async () => {
  const malformed = await app().request("/search", { method: "POST", body: "{nope", headers: json });
  expect(malformed.status).toBe(400);
  const invalid = await app().request("/search", { method: "POST", body: '{"limit": 5000}', headers: json });
  expect(invalid.status).toBe(422);
  const error = (await invalid.json()) as { message: string; details: Array<{ field: string }> };
  expect(error.message).toMatch(/^body\.limit: /);
  expect(error.details[0]?.field).toBe("body.limit");
});

test("JSON nested past the limit and NUL characters are 422 before any handler logic", async () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = { a: deep };
  const nested = await app().request("/search", { method: "POST", body: JSON.stringify(deep), headers: json });
  expect(nested.status).toBe(422);
  expect(((await nested.json()) as { message: string }).message).toContain("nested deeper than 64 levels");
  const nul = await app().request("/items/%00", { headers: json });
  expect(nul.status).toBe(422);
  expect(((await nul.json()) as { message: string }).message).toContain("NUL");
});
