import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startTestMcpServer, type TestMcpServer } from "@fractal/graphs/testing/mcp-server";
import { Client } from "@langchain/langgraph-sdk";
import { rawRequest, useTestServer } from "./harness.ts";

const human = (content: string) => ({ messages: [{ role: "user", content }] });
type Message = { type: string; content: unknown };

let mcp: TestMcpServer;
beforeAll(async () => {
  mcp = await startTestMcpServer();
});
afterAll(() => mcp.stop());

describe("langgraph.json http: user app and configurable headers", () => {
  const current = useTestServer("embedded", {}, [
    "--config",
    resolve(import.meta.dir, "fixtures/http-app/langgraph.json"),
  ]);

  test("the user's routes answer first and its middleware runs for built-in routes too", async () => {
    const server = current();
    const hello = await fetch(`${server.url}/custom/hello?name=ada`);
    expect(await hello.json()).toEqual({ hello: "ada" });
    expect(hello.headers.get("x-custom-middleware")).toBe("ran");
    expect(await (await fetch(`${server.url}/info/extra`)).json()).toEqual({ from: "user app" });
    const ok = await fetch(`${server.url}/ok`);
    expect(await ok.json()).toEqual({ ok: true });
    expect(ok.headers.get("x-custom-middleware")).toBe("ran");
    const missing = await rawRequest(server.url, "GET", "/custom/nothing");
    expect(missing.status).toBe(404);
  });

  test("listed headers reach the run's configurable over the body; the caller's token reaches an MCP server", async () => {
    const server = current();
    const headers = { authorization: "Bearer user-token", "x-tenant-id": "acme", "x-tenant-secret": "hidden" };
    const client = new Client({ apiUrl: server.url, defaultHeaders: headers });
    const thread = await client.threads.create();
    const values = (await client.runs.wait(thread.thread_id, "react-agent", {
      input: human("who am i"),
      config: {
        configurable: {
          "x-tenant-id": "from-body",
          mcp_servers: [
            { name: "ids", url: mcp.httpUrl, forward_auth: true, tools: ["whoami"] },
            { name: "plain", url: mcp.sseUrl, transport: "sse", tools: ["add"] },
          ],
          fake_script: [{ tool_calls: [{ name: "whoami" }, { name: "add", args: { a: 1, b: 1 } }] }, "ok"],
        },
      },
    })) as { messages: Message[] };
    const tools = values.messages.filter((m) => m.type === "tool").map((m) => m.content);
    expect(tools).toEqual(["Bearer user-token", "2"]);
    const run = (await client.runs.list(thread.thread_id))[0] as unknown as {
      kwargs: { config: { configurable: Record<string, unknown> } };
    };
    expect(run.kwargs.config.configurable).toMatchObject({ authorization: "Bearer user-token", "x-tenant-id": "acme" });
    expect(run.kwargs.config.configurable["x-tenant-secret"]).toBeUndefined();
  });
});
