import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HumanMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { startTestMcpServer, type TestMcpServer } from "../../testing/mcp-server.ts";
import { createReactAgent } from "./graph.ts";

let mcp: TestMcpServer;
beforeAll(async () => {
  mcp = await startTestMcpServer();
});
afterAll(() => mcp.stop());

const agent = () => createReactAgent({ checkpointer: new MemorySaver(), config: {} });
const run = (configurable: Record<string, unknown>, text = "2+3?") =>
  agent().invoke(
    { messages: [new HumanMessage(text)] },
    { configurable: { thread_id: crypto.randomUUID(), ...configurable } },
  );

describe("react-agent", () => {
  test("without tools the model answers once", async () => {
    const result = await run({ model: "fake:bot" }, "hello");
    expect(result.messages.map((m) => m.content)).toEqual(["hello", "bot: hello"]);
  });

  test("calls an MCP tool and answers with its result", async () => {
    const result = await run({
      mcp_servers: [{ name: "calc", url: mcp.httpUrl }],
      fake_script: [{ tool_calls: [{ name: "add", args: { a: 2, b: 3 } }] }, "The sum is 5."],
    });
    const types = result.messages.map((m) => m.getType());
    expect(types).toEqual(["human", "ai", "tool", "ai"]);
    expect(result.messages[2]?.content).toBe("5");
    expect(result.messages[3]?.content).toBe("The sum is 5.");
  });

  test("a failing tool, a timeout and a down server become tool errors; the run finishes", async () => {
    const result = await run({
      mcp_servers: [
        { name: "calc", url: mcp.httpUrl, call_timeout_ms: 200 },
        { name: "down", url: "http://127.0.0.1:9/mcp", connect_timeout_ms: 300 },
      ],
      fake_script: [
        {
          tool_calls: [
            { name: "fail", args: {} },
            { name: "slow", args: { ms: 2000 } },
            { name: "search", args: { q: "x" } },
          ],
        },
        "Sorry, the tools failed.",
      ],
    });
    const tools = result.messages.filter((m) => m.getType() === "tool");
    expect(tools.map((m) => (m as unknown as { status: string }).status)).toEqual(["error", "error", "error"]);
    expect(String(tools[0]?.content)).toContain("failed on purpose");
    expect(String(tools[1]?.content)).toMatch(/timed out|timeout/i);
    expect(String(tools[2]?.content)).toContain("MCP server 'down' is unavailable");
    expect(result.messages.at(-1)?.content).toBe("Sorry, the tools failed.");
  });

  test("bad settings are a 422 before anything runs", () => {
    expect(() => createReactAgent.validateSettings({ model: "nope:x" })).toThrow(/unknown model provider/);
    expect(() => createReactAgent.validateSettings({ temperature: 9 })).toThrow(/temperature/);
    expect(() => createReactAgent.validateSettings({ mcp_servers: [{ name: "x" }] })).toThrow(/mcp_servers.0.url/);
    expect(() => createReactAgent.validateSettings({ model: "fake:x", other_key: 1 })).not.toThrow();
  });
});
