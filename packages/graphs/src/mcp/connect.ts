import type { StructuredToolInterface } from "@langchain/core/tools";
import { loadMcpTools } from "@langchain/mcp-adapters";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";

/** One MCP server an agent takes tools from (assistant or run config, `mcp_servers`). */
export const mcpServerSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, _ and - only"),
  url: z.url({ protocol: /^https?$/ }),
  transport: z.enum(["http", "sse"]).default("http"),
  headers: z.record(z.string(), z.string()).optional(),
  /** Send the caller's `Authorization` header (see `http.configurable_headers`) to this server. */
  forward_auth: z.boolean().default(false),
  connect_timeout_ms: z.number().int().min(1).max(120_000).default(5_000),
  call_timeout_ms: z.number().int().min(1).max(600_000).default(30_000),
  /** Only these tools of the server; all when absent. */
  tools: z.array(z.string()).optional(),
});
export type McpServerSettings = z.output<typeof mcpServerSchema>;

export interface McpFailure {
  server: string;
  message: string;
}

/** Tools of every reachable server; servers that could not be reached are listed, not thrown. */
export interface McpToolset {
  tools: StructuredToolInterface[];
  failures: McpFailure[];
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function headersFor(server: McpServerSettings, authorization: string | undefined): Record<string, string> {
  return { ...server.headers, ...(server.forward_auth && authorization ? { authorization } : {}) };
}

async function connectOne(server: McpServerSettings, authorization: string | undefined) {
  const client = new Client({ name: "fractal-agents-runtime", version: "1" });
  const requestInit = { headers: headersFor(server, authorization) };
  const url = new URL(server.url);
  const transport =
    server.transport === "sse"
      ? new SSEClientTransport(url, { requestInit })
      : new StreamableHTTPClientTransport(url, { requestInit });
  try {
    await withTimeout(
      client.connect(transport),
      server.connect_timeout_ms,
      `connecting to MCP server '${server.name}'`,
    );
    const tools = await withTimeout(
      loadMcpTools(server.name, client, { throwOnLoadError: false, defaultToolTimeout: server.call_timeout_ms }),
      server.connect_timeout_ms,
      `listing the tools of MCP server '${server.name}'`,
    );
    const wanted = server.tools ? new Set(server.tools) : undefined;
    return { client, tools: wanted ? tools.filter((tool) => wanted.has(tool.name)) : tools };
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}

/**
 * Connects to the configured MCP servers in parallel and loads their tools. A server that fails to
 * connect within its timeout is reported in `failures`; the others' tools are still returned. When
 * two servers offer a tool of the same name, the first listed keeps it.
 */
export async function connectMcpServers(
  servers: McpServerSettings[],
  options: { authorization?: string } = {},
): Promise<McpToolset> {
  const settled = await Promise.allSettled(servers.map((server) => connectOne(server, options.authorization)));
  const tools: StructuredToolInterface[] = [];
  const failures: McpFailure[] = [];
  const clients: Client[] = [];
  const seen = new Set<string>();
  settled.forEach((result, index) => {
    const server = servers[index] as McpServerSettings;
    if (result.status === "rejected") {
      failures.push({ server: server.name, message: (result.reason as Error)?.message ?? String(result.reason) });
      return;
    }
    clients.push(result.value.client);
    for (const tool of result.value.tools) {
      if (seen.has(tool.name)) continue;
      seen.add(tool.name);
      tools.push(tool);
    }
  });
  return {
    tools,
    failures,
    close: async () => {
      await Promise.allSettled(clients.map((client) => client.close()));
    },
  };
}
