import { describe, expect, test } from "bun:test";
import { querySelect, readPath, selectState } from "./select.ts";

describe("select and extract", () => {
  test("a query select is repeated, comma-separated or the SDK's JSON array, and bounded", () => {
    expect(querySelect.parse('["values.messages","next"]')).toEqual(["values.messages", "next"]);
    expect(querySelect.parse("values, next")).toEqual(["values", "next"]);
    expect(querySelect.parse(["a", "b,c"])).toEqual(["a", "b", "c"]);
    expect(querySelect.safeParse("[1, 2]").success).toBe(false);
    expect(querySelect.safeParse(Array.from({ length: 101 }, (_, i) => `f${i}`).join(",")).success).toBe(false);
    expect(querySelect.safeParse("x".repeat(257)).success).toBe(false);
  });

  test("selectState keeps fields and single value keys; an unknown field is a 422 naming it", () => {
    const state = { values: { a: 1, b: 2 }, next: ["n"], tasks: [], metadata: { step: 1 } };
    expect(selectState(state, ["values.a", "next"], "query")).toEqual({ values: { a: 1 }, next: ["n"] });
    expect(selectState(state, undefined, "query")).toBe(state);
    expect(() => selectState(state, ["nope"], "body")).toThrow("body.select: unknown field 'nope'");
  });

  test("readPath follows keys and indexes, negative from the end; a missing step is null", () => {
    const thread = { values: { messages: [{ content: "a" }, { content: "b" }] } };
    expect(readPath(thread, "values.messages[-1].content")).toBe("b");
    expect(readPath(thread, "values.messages[0]")).toEqual({ content: "a" });
    expect(readPath(thread, "values.messages[5].content")).toBeNull();
    expect(readPath(thread, "values.none.deeper")).toBeNull();
  });
});
