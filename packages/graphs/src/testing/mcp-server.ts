import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/**
 * A real MCP server for tests, on a free port, speaking streamable HTTP at `/mcp` (stateless) and
 * SSE at `/sse` + `/messages`. Tools: `add`, `whoami` (the Authorization it received), `slow`
 * (sleeps `ms`) and `fail` (always errors). Every request's headers are recorded.
 */
export interface TestMcpServer {
  httpUrl: string;
  sseUrl: string;
  /** Headers of every HTTP request the server received. */
  requests: Array<Record<string, string | string[] | undefined>>;
  /** Tool calls by name, in order. */
  calls: string[];
  stop(): Promise<void>;
}

function buildServer(authorization: () => string | undefined, calls: string[]): McpServer {
  const server = new McpServer({ name: "fractal-test-tools", version: "1.0.0" });
  const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => {
      calls.push("add");
      return text(String(a + b));
    },
  );
  server.registerTool("whoami", { description: "The Authorization header this server received" }, async () => {
    calls.push("whoami");
    return text(authorization() ?? "anonymous");
  });
  server.registerTool(
    "slow",
    { description: "Answers after a delay", inputSchema: { ms: z.number() } },
    async ({ ms }) => {
      calls.push("slow");
      await new Promise((resolve) => setTimeout(resolve, ms));
      return text("done");
    },
  );
  server.registerTool("fail", { description: "Always fails" }, async () => {
    calls.push("fail");
    throw new Error("the fail tool failed on purpose");
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  return raw ? JSON.parse(raw) : undefined;
}

export async function startTestMcpServer(): Promise<TestMcpServer> {
  const requests: TestMcpServer["requests"] = [];
  const calls: string[] = [];
  const sse = new Map<string, { transport: SSEServerTransport; authorization?: string }>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ ...req.headers });
    const url = new URL(req.url ?? "/", "http://localhost");
    const authorization = req.headers.authorization;
    if (url.pathname === "/mcp" && req.method === "POST") {
      // Stateless: a server and transport per request, as the SDK documents for this mode.
      const server = buildServer(() => authorization, calls);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, await readJson(req));
      return;
    }
    if (url.pathname === "/sse" && req.method === "GET") {
      const transport = new SSEServerTransport("/messages", res);
      const entry: { transport: SSEServerTransport; authorization?: string } = { transport };
      sse.set(transport.sessionId, entry);
      res.on("close", () => sse.delete(transport.sessionId));
      await buildServer(() => entry.authorization, calls).connect(transport);
      return;
    }
    if (url.pathname === "/messages" && req.method === "POST") {
      const entry = sse.get(url.searchParams.get("sessionId") ?? "");
      if (!entry) {
        res.writeHead(404).end("unknown session");
        return;
      }
      entry.authorization = authorization;
      await entry.transport.handlePostMessage(req, res, await readJson(req));
      return;
    }
    res.writeHead(405, { "content-type": "application/json" }).end('{"error":"method not allowed"}');
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    httpUrl: `http://127.0.0.1:${port}/mcp`,
    sseUrl: `http://127.0.0.1:${port}/sse`,
    requests,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
