import { expect, test } from "bun:test";
import { Hono } from "hono";
import { createPreferMinimal } from "./prefer.ts";

function app() {
  const hono = new Hono();
  hono.use(createPreferMinimal());
  hono.post("/things", (c) => c.json({ id: 1 }));
  hono.get("/things", (c) => c.json([{ id: 1 }]));
  hono.post("/fail", (c) => c.json({ error: "x" }, 409));
  return hono;
}

test("Prefer: return=minimal turns a successful write into 204 with Preference-Applied", async () => {
  const response = await app().request("/things", { method: "POST", headers: { prefer: "return=minimal" } });
  expect(response.status).toBe(204);
  expect(response.headers.get("preference-applied")).toBe("return=minimal");
  expect(await response.text()).toBe("");
});

test("reads, errors and requests without the preference keep their body", async () => {
  const get = await app().request("/things", { headers: { prefer: "return=minimal" } });
  expect(await get.json()).toEqual([{ id: 1 }]);
  const fail = await app().request("/fail", { method: "POST", headers: { prefer: "return=minimal" } });
  expect(fail.status).toBe(409);
  const plain = await app().request("/things", { method: "POST" });
  expect(await plain.json()).toEqual({ id: 1 });
  const other = await app().request("/things", { method: "POST", headers: { prefer: "return=representation" } });
  expect(other.status).toBe(200);
});
