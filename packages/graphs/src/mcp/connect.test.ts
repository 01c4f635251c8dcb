import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestMcpServer, type TestMcpServer } from "../testing/mcp-server.ts";
import { connectMcpServers, mcpServerSchema } from "./connect.ts";

let mcp: TestMcpServer;
beforeAll(async () => {
  mcp = await startTestMcpServer();
});
afterAll(() => mcp.stop());

const server = (fields: Record<string, unknown>) => mcpServerSchema.parse(fields);

describe("connectMcpServers", () => {
  test.each(["http", "sse"] as const)("loads and calls tools over %s with the server's headers", async (transport) => {
    const url = transport === "http" ? mcp.httpUrl : mcp.sseUrl;
    const toolset = await connectMcpServers([server({ name: "calc", url, transport, headers: { "x-team": "blue" } })]);
    try {
      expect(toolset.failures).toEqual([]);
      expect(toolset.tools.map((t) => t.name).sort()).toEqual(["add", "fail", "slow", "whoami"]);
      const add = toolset.tools.find((t) => t.name === "add");
      expect(await add?.invoke({ a: 2, b: 40 })).toBe("42");
      expect(mcp.requests.at(-1)?.["x-team"]).toBe("blue");
    } finally {
      await toolset.close();
    }
  });

  test("forwards the caller's Authorization only to servers that ask for it", async () => {
    const toolset = await connectMcpServers(
      [
        server({ name: "trusted", url: mcp.httpUrl, forward_auth: true, tools: ["whoami"] }),
        server({ name: "other", url: mcp.sseUrl, transport: "sse", tools: ["add"] }),
      ],
      { authorization: "Bearer caller-token" },
    );
    try {
      expect(toolset.tools.map((t) => t.name)).toEqual(["whoami", "add"]);
      expect(await toolset.tools[0]?.invoke({})).toBe("Bearer caller-token");
      const seen = mcp.requests.filter((h) => h.authorization === "Bearer caller-token").length;
      await toolset.tools[1]?.invoke({ a: 1, b: 1 });
      expect(mcp.requests.filter((h) => h.authorization === "Bearer caller-token").length).toBe(seen);
    } finally {
      await toolset.close();
    }
  });

  test("an unreachable server is a failure entry; the reachable server's tools still load", async () => {
    const started = performance.now();
    const toolset = await connectMcpServers([
      server({ name: "down", url: "http://127.0.0.1:9/mcp", connect_timeout_ms: 500 }),
      server({ name: "calc", url: mcp.httpUrl, tools: ["add"] }),
    ]);
    try {
      expect(toolset.tools.map((t) => t.name)).toEqual(["add"]);
      expect(toolset.failures.map((f) => f.server)).toEqual(["down"]);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await toolset.close();
    }
  });

  test("a call past call_timeout_ms and a failing tool reject instead of hanging", async () => {
    const toolset = await connectMcpServers([server({ name: "calc", url: mcp.httpUrl, call_timeout_ms: 200 })]);
    try {
      const slow = toolset.tools.find((t) => t.name === "slow");
      const fail = toolset.tools.find((t) => t.name === "fail");
      const timedOut = await slow?.invoke({ ms: 3_000 }).then(
        () => "answered",
        (error: Error) => error.message,
      );
      expect(timedOut).toMatch(/timed out|timeout/i);
      const failed = await fail?.invoke({}).then(
        (v) => `answered ${v}`,
        (error: Error) => error.message,
      );
      expect(failed).toContain("failed on purpose");
    } finally {
      await toolset.close();
    }
  });

  test("the schema rejects a bad server entry", () => {
    expect(mcpServerSchema.safeParse({ name: "a b", url: "http://x" }).success).toBe(false);
    expect(mcpServerSchema.safeParse({ name: "a", url: "file:///etc/passwd" }).success).toBe(false);
    expect(mcpServerSchema.parse({ name: "a", url: "http://x/mcp" })).toMatchObject({
      transport: "http",
      forward_auth: false,
      connect_timeout_ms: 5000,
      call_timeout_ms: 30000,
    });
  });
});
