import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestMcpServer, type TestMcpServer } from "@fractal/graphs/testing/mcp-server";
import { Client } from "@langchain/langgraph-sdk";
import { SignJWT } from "jose";
import { MODES, type TestServer, useTestServer } from "./harness.ts";
import { startCollector } from "./otlp-collector.ts";

const JWT_SECRET = "jwt-signing-secret-7f3a9c1e5b";
const WEBHOOK_SECRET = "webhook-hmac-secret-2d8e4f6a";
const PROVIDER_KEY = "sk-provider-key-9b1c3d5e7f";
const OTLP_TOKEN = "otlp-collector-token-4a6c8e0b";
const MCP_TOKEN = "mcp-server-token-1e3g5i7k";

const collector = startCollector();
const receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status: 204 }) });
let mcp: TestMcpServer;
beforeAll(async () => {
  mcp = await startTestMcpServer();
});
afterAll(async () => {
  collector.stop();
  receiver.stop(true);
  await mcp.stop();
});

const sign = (sub: string, secret = JWT_SECRET) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(secret));

for (const mode of MODES) {
  describe(`no secret reaches the logs or the traces (${mode})`, () => {
    const current = useTestServer(mode, {
      LOG_LEVEL: "debug",
      FRACTAL_AUTH: "jwt",
      FRACTAL_JWT_SECRET: JWT_SECRET,
      FRACTAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
      FRACTAL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      OPENAI_API_KEY: PROVIDER_KEY,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN}`,
    });
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("a full run with auth, an MCP tool with its own token and a signed webhook logs none of them", async () => {
      const token = await sign("alice");
      const forged = await sign("mallory", "not-the-secret-at-all-000");
      const client = new Client({ apiUrl: server.url, defaultHeaders: { authorization: `Bearer ${token}` } });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "react-agent", {
        input: { messages: [{ role: "user", content: "what is 2+3?" }] },
        config: {
          configurable: {
            mcp_servers: [{ name: "calc", url: mcp.httpUrl, headers: { authorization: `Bearer ${MCP_TOKEN}` } }],
            fake_script: [{ content: "Adding.", tool_calls: [{ name: "add", args: { a: 2, b: 3 } }] }, "It is 5."],
          },
        },
        webhook: `http://127.0.0.1:${receiver.port}/hook`,
      });
      await client.runs.join(thread.thread_id, run.run_id);
      expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
      expect(mcp.calls.at(-1)).toBe("add");
      expect(mcp.requests.some((headers) => headers.authorization === `Bearer ${MCP_TOKEN}`)).toBe(true);
      // Refused requests are logged with their reason, not their token.
      for (const bad of [forged, `${token}x`, "not-a-jwt"]) {
        const res = await fetch(`${server.url}/threads`, {
          method: "POST",
          headers: { authorization: `Bearer ${bad}` },
        });
        expect(res.status).toBe(401);
      }
      await collector.waitFor((s) => s.name === "run react-agent");
      // The webhook went out (it is signed with the secret) before the logs are read.
      for (let i = 0; i < 100 && !server.output().includes('"webhook delivered"'); i++) await Bun.sleep(50);

      const output = server.output();
      expect(output).toContain('"webhook delivered"');
      expect(output).toContain('"authentication refused"');
      expect(output).toContain('"run finished"');
      const spans = JSON.stringify(collector.spans);
      for (const secret of [JWT_SECRET, WEBHOOK_SECRET, PROVIDER_KEY, OTLP_TOKEN, MCP_TOKEN, token, forged]) {
        expect([secret, output.includes(secret)]).toEqual([secret, false]);
        expect([secret, spans.includes(secret)]).toEqual([secret, false]);
      }
    }, 60_000);
  });
}
