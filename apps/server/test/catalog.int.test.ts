import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startTestMcpServer, type TestMcpServer } from "@fractal/graphs/testing/mcp-server";
import { startFakeOpenAI } from "@fractal/infra/testing/openai-server";
import { expectStatus } from "./expect-status.ts";
import { MODES, rawRequest, type TestServer, useTestServer } from "./harness.ts";

const human = (content: string) => ({ messages: [{ role: "user", content }] });
type Event = { event: string; data: unknown };
type Message = { type: string; content: unknown; tool_calls?: unknown[]; status?: string };

async function collect(stream: AsyncIterable<Event>): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

// An OpenAI-compatible endpoint: what the model was asked is visible in its recorded requests.
const openai = startFakeOpenAI();
let mcp: TestMcpServer;
beforeAll(async () => {
  mcp = await startTestMcpServer();
});
afterAll(async () => {
  openai.stop();
  await mcp.stop();
});

const chatRequests = () => openai.requests.filter((r) => r.path === "/v1/chat/completions");

for (const mode of MODES) {
  describe(`react-agent (${mode})`, () => {
    const current = useTestServer(mode, {
      OPENAI_COMPATIBLE_BASE_URL: openai.baseUrl,
      OPENAI_COMPATIBLE_API_KEY: "compat-secret-key",
    });
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("MCP tool calls stream as messages-tuple: the call, the tool result, the answer", async () => {
      const events = await collect(
        server.client.runs.stream(null, "react-agent", {
          input: human("what is 2+3?"),
          config: {
            configurable: {
              mcp_servers: [{ name: "calc", url: mcp.httpUrl }],
              fake_script: [
                { content: "Adding.", tool_calls: [{ name: "add", args: { a: 2, b: 3 } }] },
                "The sum is 5.",
              ],
            },
          },
          streamMode: ["messages-tuple", "values"],
        }) as AsyncIterable<Event>,
      );
      const tuples = events.filter((e) => e.event === "messages") as Array<{
        data: [Message & { tool_call_chunks?: Array<{ name?: string; args?: string }> }, { langgraph_node: string }];
      }>;
      const callChunk = tuples.find((t) => t.data[0].tool_call_chunks?.length);
      expect(callChunk?.data[0].tool_call_chunks?.[0]).toMatchObject({ name: "add", args: '{"a":2,"b":3}' });
      expect(callChunk?.data[0].tool_calls).toEqual([
        { name: "add", args: { a: 2, b: 3 }, id: "call_0_0", type: "tool_call" },
      ]);
      expect(callChunk?.data[1].langgraph_node).toBe("agent");
      const toolResult = tuples.find((t) => t.data[0].type === "tool");
      expect(toolResult?.data[0].content).toBe("5");
      expect(toolResult?.data[1].langgraph_node).toBe("tools");
      const answer = tuples
        .filter((t) => t.data[1].langgraph_node === "agent")
        .map((t) => String(t.data[0].content))
        .join("");
      expect(answer).toBe("Adding.The sum is 5.");
      const final = events.filter((e) => e.event === "values").at(-1)?.data as { messages: Message[] };
      expect(final.messages.map((m) => m.type)).toEqual(["human", "ai", "tool", "ai"]);
      expect(mcp.calls.at(-1)).toBe("add");
    });

    test("an assistant's model and system prompt reach the model call; a run override wins", async () => {
      const assistant = await server.client.assistants.create({
        graphId: "react-agent",
        config: {
          configurable: {
            model: "openai-compatible:assistant-model",
            system_prompt: "Answer in one word.",
            temperature: 0.2,
          },
        },
      });
      const before = chatRequests().length;
      const first = (await server.client.runs.wait(null, assistant.assistant_id, { input: human("hello") })) as {
        messages: Message[];
      };
      expect(first.messages.at(-1)?.content).toBe("assistant-model heard: hello");
      const asked = chatRequests()[before];
      expect(asked?.body).toMatchObject({
        model: "assistant-model",
        temperature: 0.2,
        messages: [
          { role: "system", content: "Answer in one word." },
          { role: "user", content: "hello" },
        ],
      });
      // The configured endpoint gets its configured key; the key never shows in the API.
      expect(asked?.authorization).toBe("Bearer compat-secret-key");
      expect(JSON.stringify(await server.client.assistants.get(assistant.assistant_id))).not.toContain("compat-secret");

      // Run config beats the assistant's; run context is below run config, above the assistant.
      await server.client.runs.wait(null, assistant.assistant_id, {
        input: human("again"),
        config: { configurable: { model: "openai-compatible:run-model" } },
        context: { model: "openai-compatible:context-model", system_prompt: "From the run context." },
      });
      expect(chatRequests().at(-1)?.body).toMatchObject({
        model: "run-model",
        temperature: 0.2,
        messages: [
          { role: "system", content: "From the run context." },
          { role: "user", content: "again" },
        ],
      });
    });

    test("config_schema shows the settings with Open Agent Platform UI hints", async () => {
      const assistant = (await server.client.assistants.search({ graphId: "react-agent" }))[0];
      const schemas = await server.client.assistants.getSchemas(assistant?.assistant_id ?? "");
      const properties = (schemas.config_schema as { properties: Record<string, Record<string, unknown>> }).properties;
      expect(Object.keys(properties).sort()).toEqual([
        "base_url",
        "interrupt_on",
        "max_tokens",
        "mcp_servers",
        "model",
        "system_prompt",
        "temperature",
      ]);
      expect(properties.model?.x_oap_ui_config).toMatchObject({ type: "select", default: "fake:echo" });
      expect(properties.temperature?.x_oap_ui_config).toMatchObject({ type: "slider", min: 0, max: 2 });
      expect(properties.system_prompt?.x_oap_ui_config).toMatchObject({ type: "textarea" });
      expect(schemas.context_schema).toEqual(schemas.config_schema);
    });

    test("an unknown provider is a 422 at assistant creation, patch and run creation", async () => {
      const bad = { configurable: { model: "nope:model" } };
      const created = await rawRequest(
        server.url,
        "POST",
        "/assistants",
        JSON.stringify({ graph_id: "react-agent", config: bad }),
      );
      expect(created.status).toBe(422);
      expect(created.body).toMatchObject({ error: "validation_failed" });
      expect((created.body as { message: string }).message).toContain("unknown model provider in 'nope:model'");
      const good = await server.client.assistants.create({ graphId: "react-agent" });
      await expectStatus(server.client.assistants.update(good.assistant_id, { config: bad }), 422);
      await expectStatus(server.client.runs.create(null, good.assistant_id, { input: human("x"), config: bad }), 422);
      await expectStatus(server.client.assistants.create({ graphId: "react-agent", context: { temperature: 7 } }), 422);
      expect((await server.client.assistants.get(good.assistant_id)).config).toEqual({});
    });

    test("tool approval: interrupt_on pauses before a tool; edit runs the edited call, reject answers the model", async () => {
      const thread = await server.client.threads.create();
      const configurable = {
        mcp_servers: [{ name: "calc", url: mcp.httpUrl }],
        interrupt_on: { add: { allowed_decisions: ["edit", "reject"], description: "Check the sum" } },
        fake_script: [{ content: "Adding.", tool_calls: [{ name: "add", args: { a: 2, b: 3 } }] }, "Done."],
      };
      await server.client.runs.wait(thread.thread_id, "react-agent", {
        input: human("2+3?"),
        config: { configurable },
      });
      const paused = await server.client.threads.getState(thread.thread_id);
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
      expect(paused.tasks[0]?.interrupts[0]?.value).toEqual({
        action_requests: [{ name: "add", args: { a: 2, b: 3 }, description: "Check the sum" }],
        review_configs: [{ action_name: "add", allowed_decisions: ["edit", "reject"] }],
      });
      // Approve is not allowed here: the answer is refused and the same question comes back with the reason.
      await server.client.runs.wait(thread.thread_id, "react-agent", {
        command: { resume: { decisions: [{ type: "approve" }] } },
        config: { configurable },
      });
      const again = await server.client.threads.getState(thread.thread_id);
      expect(again.tasks[0]?.interrupts[0]?.value).toMatchObject({ error: expect.stringContaining("not allowed") });
      const edited = (await server.client.runs.wait(thread.thread_id, "react-agent", {
        command: { resume: { decisions: [{ type: "edit", edited_action: { name: "add", args: { a: 40, b: 2 } } }] } },
        config: { configurable: { ...configurable, fake_script: [configurable.fake_script[0], "The sum is 42."] } },
      })) as { messages: Message[] };
      const tool = edited.messages.find((m) => m.type === "tool");
      expect(JSON.stringify(tool?.content)).toContain("42");
      const call = edited.messages.find((m) => m.type === "ai" && m.tool_calls?.length) as { tool_calls: unknown[] };
      expect(call.tool_calls).toMatchObject([{ name: "add", args: { a: 40, b: 2 } }]);
      expect(edited.messages.at(-1)?.content).toBe("The sum is 42.");

      const other = await server.client.threads.create();
      await server.client.runs.wait(other.thread_id, "react-agent", { input: human("2+3?"), config: { configurable } });
      const rejected = (await server.client.runs.wait(other.thread_id, "react-agent", {
        command: { resume: { decisions: [{ type: "reject", message: "no maths today" }] } },
        config: { configurable: { ...configurable, fake_script: [configurable.fake_script[0], "Alright."] } },
      })) as { messages: Message[] };
      const refusal = rejected.messages.find((m) => m.type === "tool");
      expect(refusal).toMatchObject({ content: "no maths today", status: "error" });
      expect(rejected.messages.at(-1)?.content).toBe("Alright.");
    });

    test("a failing MCP server and a failing tool are tool errors; the run succeeds", async () => {
      const thread = await server.client.threads.create();
      const events = await collect(
        server.client.runs.stream(thread.thread_id, "react-agent", {
          input: human("try"),
          config: {
            configurable: {
              mcp_servers: [
                { name: "calc", url: mcp.sseUrl, transport: "sse", call_timeout_ms: 300 },
                { name: "down", url: "http://127.0.0.1:9/mcp", connect_timeout_ms: 500 },
              ],
              fake_script: [
                { tool_calls: [{ name: "fail" }, { name: "slow", args: { ms: 3000 } }, { name: "lookup" }] },
                "Could not finish.",
              ],
            },
          },
          streamMode: ["custom", "values"],
        }) as AsyncIterable<Event>,
      );
      expect(events.find((e) => e.event === "custom")?.data).toMatchObject({ type: "mcp_error", server: "down" });
      const final = events.filter((e) => e.event === "values").at(-1)?.data as { messages: Message[] };
      const tools = final.messages.filter((m) => m.type === "tool");
      expect(tools.map((m) => m.status)).toEqual(["error", "error", "error"]);
      expect(String(tools[0]?.content)).toContain("failed on purpose");
      expect(String(tools[2]?.content)).toContain("MCP server 'down' is unavailable");
      expect(final.messages.at(-1)?.content).toBe("Could not finish.");
      const runs = await server.client.runs.list(thread.thread_id);
      expect(runs[0]?.status).toBe("success");
    });
  });
}

for (const mode of MODES) {
  describe(`research-agent (${mode})`, () => {
    const current = useTestServer(mode);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("streams progress, stops for plan review (HITL middleware shape), resumes with decisions, reports", async () => {
      const thread = await server.client.threads.create();
      const first = await collect(
        server.client.runs.stream(thread.thread_id, "research-agent", {
          input: human("solar power"),
          config: { configurable: { max_steps: 2, fake_script: ["1. Panel efficiency\n2. Storage costs"] } },
          streamMode: ["custom", "updates"],
        }) as AsyncIterable<Event>,
      );
      const progress = first.filter((e) => e.event === "custom").map((e) => e.data);
      expect(progress).toEqual([
        { type: "progress", stage: "planning", topic: "solar power" },
        { type: "progress", stage: "planned", plan: ["Panel efficiency", "Storage costs"] },
      ]);
      const interrupt = first.find((e) => e.event === "updates" && "__interrupt__" in (e.data as object));
      const pending = (interrupt?.data ?? { __interrupt__: [] }) as { __interrupt__: Array<{ value: unknown }> };
      // What Agent Chat UI shows Approve / Edit / Reject for.
      expect(pending.__interrupt__[0]?.value).toEqual({
        action_requests: [
          {
            name: "research_plan",
            args: { topic: "solar power", plan: ["Panel efficiency", "Storage costs"] },
            description: expect.stringContaining("Approve this research plan"),
          },
        ],
        review_configs: [{ action_name: "research_plan", allowed_decisions: ["approve", "edit", "reject"] }],
      });
      const paused = await server.client.threads.get(thread.thread_id);
      expect(paused.status).toBe("interrupted");

      const plan = ["Storage costs", "Grid integration"];
      const resumed = await collect(
        server.client.runs.stream(thread.thread_id, "research-agent", {
          command: {
            resume: { decisions: [{ type: "edit", edited_action: { name: "research_plan", args: { plan } } }] },
          },
          config: { configurable: { fake_script: ["Findings."] } },
          streamMode: ["custom", "values"],
        }) as AsyncIterable<Event>,
      );
      const stages = resumed.filter((e) => e.event === "custom").map((e) => (e.data as { stage: string }).stage);
      expect(stages.filter((s) => s === "researching")).toHaveLength(2);
      expect(stages.filter((s) => s === "researched")).toHaveLength(2);
      expect(stages.at(-1)).toBe("reporting");
      const final = resumed.filter((e) => e.event === "values").at(-1)?.data as { report: string; messages: Message[] };
      expect(final.report).toBe("# solar power\n\n## Storage costs\n\nFindings.\n\n## Grid integration\n\nFindings.");
      expect(final.messages.at(-1)?.content).toBe(final.report);
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("idle");
    });
  });

  describe(`catalog graphs with a provider key (${mode})`, () => {
    const current = useTestServer(mode, { OPENAI_API_KEY: "sk-operator-key", OPENAI_BASE_URL: openai.baseUrl });
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("agent, react-agent and research-agent reach openai:* with the operator's key", async () => {
      const model = "openai:gpt-test";
      const before = chatRequests().length;
      const agent = (await server.client.runs.wait(null, "agent", {
        input: human("hello"),
        config: { configurable: { model } },
      })) as { messages: Message[] };
      expect(agent.messages.at(-1)?.content).toBe("gpt-test heard: hello");
      const react = (await server.client.runs.wait(null, "react-agent", {
        input: human("hi there"),
        config: { configurable: { model } },
      })) as { messages: Message[] };
      expect(react.messages.at(-1)?.content).toBe("gpt-test heard: hi there");
      const research = (await server.client.runs.wait(null, "research-agent", {
        input: human("tides"),
        config: { configurable: { model, review_plan: false, max_steps: 1 } },
      })) as { report: string };
      expect(research.report).toContain("gpt-test heard:");
      const made = chatRequests().slice(before);
      expect(made.length).toBeGreaterThanOrEqual(4);
      expect(made.every((r) => r.authorization === "Bearer sk-operator-key")).toBe(true);
    });
  });
}
