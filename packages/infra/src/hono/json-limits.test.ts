import { describe, expect, test } from "bun:test";
import { jsonProblem, MAX_JSON_DEPTH } from "./json-limits.ts";

const nested = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe("JSON limits", () => {
  test(`up to ${MAX_JSON_DEPTH} levels pass; deeper is named by its path, however deep, without recursion`, () => {
    expect(jsonProblem(nested(MAX_JSON_DEPTH), "body")).toBeUndefined();
    expect(jsonProblem({ m: nested(MAX_JSON_DEPTH) }, "body")).toStartWith("body.m.a.a");
    expect(jsonProblem(nested(200_000), "body")).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  test("a NUL character in a string or a key is named; arrays show their index", () => {
    expect(jsonProblem({ list: ["ok", "x\u0000"] }, "body")).toBe(
      "body.list[1]: contains a NUL character (\\u0000), which cannot be stored",
    );
    expect(jsonProblem({ "k\u0000": 1 }, "query")).toStartWith("query: a key contains a NUL character");
    expect(jsonProblem({ a: "plain", b: [1, null, true] }, "body")).toBeUndefined();
  });
});
