import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestMcpServer, type TestMcpServer } from "@fractal/graphs/testing/mcp-server";
import { Client } from "@langchain/langgraph-sdk";
import { SignJWT } from "jose";
import { MODES, type TestServer, useSpawned, useTestServer } from "./harness.ts";
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

const SECRET_ENV = {
  LOG_LEVEL: "debug",
  FRACTAL_AUTH: "jwt",
  FRACTAL_JWT_SECRET: JWT_SECRET,
  FRACTAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
  FRACTAL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
  OPENAI_API_KEY: PROVIDER_KEY,
  OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN}`,
};

/**
 * Runs react-agent with an MCP tool (its own bearer token) and a signed webhook, as an authenticated
 * caller, plus refused tokens; then reads everything the processes logged and every exported span.
 */
async function expectNoSecrets(apiUrl: string, output: () => string) {
  const token = await sign("alice");
  const forged = await sign("mallory", "not-the-secret-at-all-000");
  const client = new Client({ apiUrl, defaultHeaders: { authorization: `Bearer ${token}` } });
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
    const res = await fetch(`${apiUrl}/threads`, { method: "POST", headers: { authorization: `Bearer ${bad}` } });
    expect(res.status).toBe(401);
  }
  await collector.waitFor((s) => s.name === "run react-agent" && s.attributes["fractal.run.id"] === run.run_id);
  // The webhook went out (it is signed with the secret) before the logs are read.
  for (let i = 0; i < 100 && !output().includes('"webhook delivered"'); i++) await Bun.sleep(50);

  const logged = output();
  expect(logged).toContain('"webhook delivered"');
  expect(logged).toContain('"authentication refused"');
  expect(logged).toContain('"run finished"');
  const spans = JSON.stringify(collector.spans);
  for (const secret of [JWT_SECRET, WEBHOOK_SECRET, PROVIDER_KEY, OTLP_TOKEN, MCP_TOKEN, token, forged]) {
    expect([secret, logged.includes(secret)]).toEqual([secret, false]);
    expect([secret, spans.includes(secret)]).toEqual([secret, false]);
  }
}

for (const mode of MODES) {
  describe(`no secret reaches the logs or the traces (${mode})`, () => {
    const current = useTestServer(mode, SECRET_ENV);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("a full run with auth, an MCP tool with its own token and a signed webhook logs none of them", async () => {
      await expectNoSecrets(server.url, () => server.output());
    }, 60_000);
  });
}

describe("no secret reaches the logs or the traces (API and worker processes)", () => {
  const spawned = useSpawned();

  test("the same run, created on the API process and executed on a worker process", async () => {
    const env = { ...SECRET_ENV, DATABASE_URL: await spawned.database() };
    const api = await spawned.start({ env, args: ["--no-worker"] });
    const worker = await spawned.start({ command: "worker", env, args: ["--no-migrate"] });
    await expectNoSecrets(api.url, () => api.output() + worker.output());
    expect(worker.output()).toContain('"run finished"');
  }, 90_000);
});
