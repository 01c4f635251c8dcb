import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

const State = Annotation.Root({
  count: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
});

/** The benchmark's trivial 2-node graph: measures the server, not the graph. */
export const trivial = new StateGraph(State)
  .addNode("first", () => ({ count: 1 }))
  .addNode("second", () => ({ count: 1 }))
  .addEdge(START, "first")
  .addEdge("first", "second")
  .addEdge("second", END)
  .compile();
