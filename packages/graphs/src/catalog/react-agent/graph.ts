import type { GraphContext } from "@fractal/infra/graph-context";
import { AIMessage, type BaseMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { END, MessagesZodState, START, StateGraph } from "@langchain/langgraph";
import { connectMcpServers, type McpFailure } from "../../mcp/connect.ts";
import { configurableOf, settingsModel } from "../model-settings.ts";
import { approveToolCalls } from "./approval.ts";
import { parseReactAgentSettings, type ReactAgentSettings, reactAgentSettings } from "./settings.ts";

type Obj = Record<string, unknown>;

/** The caller's Authorization header, present when the operator lists it in http.configurable_headers. */
function callerAuthorization(configurable: Obj): string | undefined {
  return typeof configurable.authorization === "string" ? configurable.authorization : undefined;
}

async function withTools<T>(
  settings: ReactAgentSettings,
  configurable: Obj,
  use: (tools: StructuredToolInterface[], failures: McpFailure[]) => Promise<T>,
): Promise<T> {
  if (settings.mcp_servers.length === 0) return use([], []);
  const toolset = await connectMcpServers(settings.mcp_servers, { authorization: callerAuthorization(configurable) });
  try {
    return await use(toolset.tools, toolset.failures);
  } finally {
    await toolset.close();
  }
}

function unavailable(call: { name: string }, failures: McpFailure[]): string {
  const down = failures.map((f) => `MCP server '${f.server}' is unavailable: ${f.message}`);
  return [`Error: tool '${call.name}' is not available.`, ...down].join(" ");
}

/**
 * A tool-calling agent: the configured model answers with the system prompt first; when it asks
 * for tools, they run (from the configured MCP servers) and the model is called again. A tool that
 * fails, times out, or whose server is down answers with an error message the model sees; the run
 * goes on.
 */
export function createReactAgent(ctx: GraphContext) {
  return new StateGraph(MessagesZodState, reactAgentSettings)
    .addNode("agent", async (state, config) => {
      const configurable = configurableOf(config);
      const settings = parseReactAgentSettings(configurable);
      const model = settingsModel(settings, configurable, ctx.providers);
      return withTools(settings, configurable, async (tools, failures) => {
        for (const failure of failures) config.writer?.({ type: "mcp_error", ...failure });
        const bound = tools.length > 0 && model.bindTools ? model.bindTools(tools) : model;
        const input: BaseMessage[] = [new SystemMessage(settings.system_prompt), ...state.messages];
        return { messages: [await bound.invoke(input, config)] };
      });
    })
    .addNode("tools", async (state, config) => {
      const configurable = configurableOf(config);
      const settings = parseReactAgentSettings(configurable);
      const last = state.messages.at(-1) as AIMessage;
      // Review comes first: nothing connects or runs until a person has decided.
      const calls = approveToolCalls(last.tool_calls ?? [], settings.interrupt_on);
      const edited = calls.some((call, i) => call !== last.tool_calls?.[i] && !call.rejected);
      return withTools(settings, configurable, async (tools, failures) => {
        const byName = new Map(tools.map((tool) => [tool.name, tool]));
        const messages = await Promise.all(
          calls.map(async (call) => {
            const id = call.id ?? "";
            if (call.rejected)
              return new ToolMessage({ content: call.rejected, tool_call_id: id, name: call.name, status: "error" });
            const tool = byName.get(call.name);
            if (!tool)
              return new ToolMessage({ content: unavailable(call, failures), tool_call_id: id, status: "error" });
            try {
              return (await tool.invoke({ ...call, type: "tool_call" }, config)) as ToolMessage;
            } catch (error) {
              const message = `Error: ${(error as Error)?.message ?? String(error)}`;
              return new ToolMessage({ content: message, tool_call_id: id, name: call.name, status: "error" });
            }
          }),
        );
        // An edited call replaces the model's in the conversation (same message id), so history shows what ran.
        const revised = edited
          ? [
              new AIMessage({
                id: last.id,
                content: last.content,
                name: last.name,
                additional_kwargs: last.additional_kwargs,
                response_metadata: last.response_metadata,
                tool_calls: calls.map(({ rejected: _, ...call }) => call),
              }),
            ]
          : [];
        return { messages: [...revised, ...messages] };
      });
    })
    .addEdge(START, "agent")
    .addConditionalEdges(
      "agent",
      (state) => ((state.messages.at(-1) as AIMessage).tool_calls?.length ? "tools" : END),
      ["tools", END],
    )
    .addEdge("tools", "agent")
    .compile({ checkpointer: ctx.checkpointer, store: ctx.store, name: "react-agent" });
}

/** Checked when an assistant or run is created, so bad settings are a 422 then, not a failed run. */
createReactAgent.validateSettings = (values: Record<string, unknown>) => {
  parseReactAgentSettings(values);
};
