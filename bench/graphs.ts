import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

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

// A fake chat model that streams its answer token by token (one token per character), with no delay.
const model = new FakeListChatModel({ responses: ["one two three four five"] });

/**
 * The benchmark's chat graph: a `MessagesAnnotation` thread and one node that streams a fake model's
 * answer. Each turn adds two messages, so the thread's history grows with every run.
 */
export const chat = new StateGraph(MessagesAnnotation)
  .addNode("model", async (state) => {
    const reply = await model.invoke(state.messages.slice(-1));
    return { messages: [new AIMessage({ content: reply.content, id: reply.id })] };
  })
  .addEdge(START, "model")
  .addEdge("model", END)
  .compile();
