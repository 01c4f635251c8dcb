import { describe, expect, test } from "bun:test";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { graphSchemas } from "./schemas.ts";

const graph = new StateGraph(Annotation.Root({ text: Annotation<string>(), count: Annotation<number>() }))
  .addNode("shout", (s) => ({ text: s.text }))
  .addEdge(START, "shout")
  .addEdge("shout", END)
  .compile();

describe("graph schemas", () => {
  test("an Annotation graph without typed schemas reports its channel names", () => {
    const schemas = graphSchemas(graph);
    expect(schemas.state_schema).toEqual({ type: "object", properties: { text: {}, count: {} } });
    expect(schemas.config_schema).toEqual({ type: "object", properties: {} });
    expect(schemas.context_schema).toBeNull();
  });

  test("schemas read from TypeScript types take the place of channel names", () => {
    const state = { type: "object", properties: { text: { type: "string" } } };
    const config = { type: "object", properties: { model: { type: "string" } } };
    const schemas = graphSchemas(graph, { state, input: null, output: null, config });
    expect(schemas.state_schema).toBe(state);
    // Where no type could be read, the runtime answer stays.
    expect(schemas.input_schema).toEqual(graphSchemas(graph).input_schema);
    expect(schemas.config_schema).toBe(config);
    expect(schemas.context_schema).toBe(config);
  });
});
