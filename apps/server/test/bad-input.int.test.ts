import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MODES, rawRequest, startTestServer, type TestServer } from "./harness.ts";

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  status: number;
  /** For 422s: the field the message must name. */
  field?: string;
}

const MAX_BODY = 64 * 1024;

function cases(ids: { assistant: string; thread: string; bare: string; missing: string }): Case[] {
  const a = `/assistants/${ids.assistant}`;
  const t = `/threads/${ids.thread}`;
  const big = JSON.stringify({ graph_id: "agent", metadata: { blob: "x".repeat(MAX_BODY) } });
  const bigItem = JSON.stringify({ namespace: ["a"], key: "k", value: { blob: "x".repeat(MAX_BODY) } });
  // 5,000 levels: PostgreSQL's jsonb operators run out of stack on such a filter, PGlite spins.
  const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
  return [
    // Nested past the documented depth, or a NUL character (jsonb refuses it) → 422 before any query
    {
      name: "thread search, metadata 5,000 deep",
      method: "POST",
      path: "/threads/search",
      body: `{"metadata":${deep}}`,
      status: 422,
      field: "body.metadata",
    },
    {
      name: "thread count, values 5,000 deep",
      method: "POST",
      path: "/threads/count",
      body: `{"values":${deep}}`,
      status: 422,
      field: "body.values",
    },
    {
      name: "assistant search, metadata 5,000 deep",
      method: "POST",
      path: "/assistants/search",
      body: `{"metadata":${deep}}`,
      status: 422,
      field: "body.metadata",
    },
    {
      name: "cron search, metadata 5,000 deep",
      method: "POST",
      path: "/runs/crons/search",
      body: `{"metadata":${deep}}`,
      status: 422,
      field: "body.metadata",
    },
    {
      name: "store search, filter 5,000 deep",
      method: "POST",
      path: "/store/items/search",
      body: `{"filter":${deep}}`,
      status: 422,
      field: "body.filter",
    },
    {
      name: "create assistant, config 5,000 deep",
      method: "POST",
      path: "/assistants",
      body: `{"graph_id":"agent","config":${deep}}`,
      status: 422,
      field: "body.config",
    },
    {
      name: "create thread, NUL in metadata",
      method: "POST",
      path: "/threads",
      body: '{"metadata":{"a":"x\\u0000y"}}',
      status: 422,
      field: "body.metadata.a",
    },
    {
      name: "put item, NUL in a key of the value",
      method: "PUT",
      path: "/store/items",
      body: '{"namespace":["a"],"key":"k","value":{"b\\u0000":1}}',
      status: 422,
      field: "body.value",
    },
    {
      name: "state at a checkpoint id with NUL",
      method: "GET",
      path: `${t}/state/%00`,
      status: 422,
      field: "path.checkpoint_id",
    },
    // Numbers past what stores them, strings past what an index row holds → 422
    {
      name: "latest version 1e12",
      method: "POST",
      path: `${a}/latest`,
      body: '{"version":1e12}',
      status: 422,
      field: "body.version",
    },
    {
      name: "store ttl 1e12 minutes",
      method: "PUT",
      path: "/store/items",
      body: '{"namespace":["a"],"key":"k","value":{},"ttl":1e12}',
      status: 422,
      field: "body.ttl",
    },
    {
      name: "thread ttl 1e12 minutes",
      method: "POST",
      path: "/threads",
      body: '{"ttl":{"ttl":1e12}}',
      status: 422,
      field: "body.ttl.ttl",
    },
    {
      name: "thread search offset 1e12",
      method: "POST",
      path: "/threads/search",
      body: '{"offset":1e12}',
      status: 422,
      field: "body.offset",
    },
    {
      name: "store key of 5,000 characters",
      method: "PUT",
      path: "/store/items",
      body: JSON.stringify({ namespace: ["a"], key: "k".repeat(5000), value: {} }),
      status: 422,
      field: "body.key",
    },
    {
      name: "namespace label of 5,000 characters",
      method: "PUT",
      path: "/store/items",
      body: JSON.stringify({ namespace: ["n".repeat(5000)], key: "k", value: {} }),
      status: 422,
      field: "body.namespace.0",
    },
    // A cron filter's assistant_id: a uuid or a graph id; anything else is named, not sent to the uuid column
    {
      name: "cron search, assistant_id neither id nor graph",
      method: "POST",
      path: "/runs/crons/search",
      body: '{"assistant_id":"no-such-graph"}',
      status: 422,
      field: "body.assistant_id",
    },
    {
      name: "cron count, assistant_id neither id nor graph",
      method: "POST",
      path: "/runs/crons/count",
      body: '{"assistant_id":"no-such-graph"}',
      status: 422,
      field: "body.assistant_id",
    },
    // Malformed JSON → 400
    { name: "create assistant, broken JSON", method: "POST", path: "/assistants", body: "{bad", status: 400 },
    { name: "search assistants, truncated JSON", method: "POST", path: "/assistants/search", body: "{", status: 400 },
    { name: "count assistants, broken array", method: "POST", path: "/assistants/count", body: "[1,", status: 400 },
    { name: "patch assistant, not JSON", method: "PATCH", path: a, body: "nope", status: 400 },
    { name: "versions, missing value", method: "POST", path: `${a}/versions`, body: '{"a":}', status: 400 },
    { name: "latest, double brace", method: "POST", path: `${a}/latest`, body: "{{", status: 400 },
    { name: "create thread, truncated", method: "POST", path: "/threads", body: '{"metadata":', status: 400 },
    { name: "search threads, bare word", method: "POST", path: "/threads/search", body: "x", status: 400 },
    { name: "count threads, stray brace", method: "POST", path: "/threads/count", body: "}", status: 400 },
    { name: "patch thread, truncated", method: "PATCH", path: t, body: "{", status: 400 },
    { name: "update state, truncated", method: "POST", path: `${t}/state`, body: "{", status: 400 },
    { name: "history, truncated", method: "POST", path: `${t}/history`, body: "{", status: 400 },
    { name: "state at checkpoint, truncated", method: "POST", path: `${t}/state/checkpoint`, body: "{", status: 400 },
    {
      name: "text/plain broken JSON",
      method: "POST",
      path: "/threads",
      body: "{oops",
      contentType: "text/plain",
      status: 400,
    },
    // Schema violations → 422 naming the field
    {
      name: "assistant without graph_id",
      method: "POST",
      path: "/assistants",
      body: "{}",
      status: 422,
      field: "body.graph_id",
    },
    {
      name: "assistant graph_id number",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":1}',
      status: 422,
      field: "body.graph_id",
    },
    {
      name: "assistant id not a uuid",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":"agent","assistant_id":"abc"}',
      status: 422,
      field: "body.assistant_id",
    },
    {
      name: "assistant bad if_exists",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":"agent","if_exists":"explode"}',
      status: 422,
      field: "body.if_exists",
    },
    {
      name: "assistant metadata string",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":"agent","metadata":"s"}',
      status: 422,
      field: "body.metadata",
    },
    {
      name: "assistant config array",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":"agent","config":[]}',
      status: 422,
      field: "body.config",
    },
    { name: "assistant body is an array", method: "POST", path: "/assistants", body: "[]", status: 422, field: "body" },
    {
      name: "search limit 0",
      method: "POST",
      path: "/assistants/search",
      body: '{"limit":0}',
      status: 422,
      field: "body.limit",
    },
    {
      name: "search limit string",
      method: "POST",
      path: "/assistants/search",
      body: '{"limit":"ten"}',
      status: 422,
      field: "body.limit",
    },
    {
      name: "search negative offset",
      method: "POST",
      path: "/assistants/search",
      body: '{"offset":-1}',
      status: 422,
      field: "body.offset",
    },
    {
      name: "search unknown sort_by",
      method: "POST",
      path: "/assistants/search",
      body: '{"sort_by":"color"}',
      status: 422,
      field: "body.sort_by",
    },
    {
      name: "search bad sort_order",
      method: "POST",
      path: "/assistants/search",
      body: '{"sort_order":"up"}',
      status: 422,
      field: "body.sort_order",
    },
    {
      name: "count metadata array",
      method: "POST",
      path: "/assistants/count",
      body: '{"metadata":[1]}',
      status: 422,
      field: "body.metadata",
    },
    { name: "patch empty name", method: "PATCH", path: a, body: '{"name":""}', status: 422, field: "body.name" },
    {
      name: "latest version string",
      method: "POST",
      path: `${a}/latest`,
      body: '{"version":"1"}',
      status: 422,
      field: "body.version",
    },
    {
      name: "latest without version",
      method: "POST",
      path: `${a}/latest`,
      body: "{}",
      status: 422,
      field: "body.version",
    },
    {
      name: "versions limit too big",
      method: "POST",
      path: `${a}/versions`,
      body: '{"limit":100000}',
      status: 422,
      field: "body.limit",
    },
    // Not a uuid: read as a graph id (RemoteGraph sends those), and no graph has this one.
    { name: "assistant path an unknown graph id", method: "GET", path: "/assistants/not-a-graph", status: 404 },
    {
      name: "assistant path too long",
      method: "GET",
      path: `/assistants/${"g".repeat(300)}`,
      status: 422,
      field: "path.assistant_id",
    },
    { name: "graph xray garbage", method: "GET", path: `${a}/graph?xray=maybe`, status: 422, field: "query.xray" },
    {
      name: "delete_threads garbage",
      method: "DELETE",
      path: `${a}?delete_threads=perhaps`,
      status: 422,
      field: "query.delete_threads",
    },
    {
      name: "thread id not a uuid",
      method: "POST",
      path: "/threads",
      body: '{"thread_id":"123"}',
      status: 422,
      field: "body.thread_id",
    },
    {
      name: "thread metadata number",
      method: "POST",
      path: "/threads",
      body: '{"metadata":5}',
      status: 422,
      field: "body.metadata",
    },
    {
      name: "thread bad if_exists",
      method: "POST",
      path: "/threads",
      body: '{"if_exists":"overwrite"}',
      status: 422,
      field: "body.if_exists",
    },
    {
      name: "thread empty superstep",
      method: "POST",
      path: "/threads",
      body: '{"supersteps":[{"updates":[]}]}',
      status: 422,
      field: "body.supersteps.0.updates",
    },
    {
      name: "thread search bad status",
      method: "POST",
      path: "/threads/search",
      body: '{"status":"sleeping"}',
      status: 422,
      field: "body.status",
    },
    {
      name: "thread search bad ids",
      method: "POST",
      path: "/threads/search",
      body: '{"ids":["x"]}',
      status: 422,
      field: "body.ids.0",
    },
    {
      name: "thread count values string",
      method: "POST",
      path: "/threads/count",
      body: '{"values":"v"}',
      status: 422,
      field: "body.values",
    },
    {
      name: "patch thread metadata array",
      method: "PATCH",
      path: t,
      body: '{"metadata":[]}',
      status: 422,
      field: "body.metadata",
    },
    {
      name: "state empty as_node",
      method: "POST",
      path: `${t}/state`,
      body: '{"values":{},"as_node":""}',
      status: 422,
      field: "body.as_node",
    },
    {
      name: "state unknown as_node",
      method: "POST",
      path: `${t}/state`,
      body: '{"values":{},"as_node":"ghost"}',
      status: 422,
    },
    { name: "history limit 0 (GET)", method: "GET", path: `${t}/history?limit=0`, status: 422, field: "query.limit" },
    {
      name: "history limit text (GET)",
      method: "GET",
      path: `${t}/history?limit=abc`,
      status: 422,
      field: "query.limit",
    },
    {
      name: "history negative limit (POST)",
      method: "POST",
      path: `${t}/history`,
      body: '{"limit":-5}',
      status: 422,
      field: "body.limit",
    },
    {
      name: "state subgraphs garbage",
      method: "GET",
      path: `${t}/state?subgraphs=yes-please`,
      status: 422,
      field: "query.subgraphs",
    },
    // Unknown ids → 404
    { name: "get unknown assistant", method: "GET", path: `/assistants/${ids.missing}`, status: 404 },
    { name: "patch unknown assistant", method: "PATCH", path: `/assistants/${ids.missing}`, body: "{}", status: 404 },
    { name: "delete unknown assistant", method: "DELETE", path: `/assistants/${ids.missing}`, status: 404 },
    { name: "schemas of unknown assistant", method: "GET", path: `/assistants/${ids.missing}/schemas`, status: 404 },
    { name: "get unknown thread", method: "GET", path: `/threads/${ids.missing}`, status: 404 },
    { name: "delete unknown thread", method: "DELETE", path: `/threads/${ids.missing}`, status: 404 },
    { name: "copy unknown thread", method: "POST", path: `/threads/${ids.missing}/copy`, status: 404 },
    { name: "state of unknown thread", method: "GET", path: `/threads/${ids.missing}/state`, status: 404 },
    {
      name: "update state of unknown thread",
      method: "POST",
      path: `/threads/${ids.missing}/state`,
      body: '{"values":{}}',
      status: 404,
    },
    {
      name: "assistant for unknown graph",
      method: "POST",
      path: "/assistants",
      body: '{"graph_id":"no-such"}',
      status: 404,
    },
    { name: "unknown route", method: "GET", path: "/definitely/not/here", status: 404 },
    // Conflicts → 409
    {
      name: "duplicate assistant id",
      method: "POST",
      path: "/assistants",
      body: JSON.stringify({ graph_id: "agent", assistant_id: ids.assistant }),
      status: 409,
    },
    {
      name: "duplicate thread id",
      method: "POST",
      path: "/threads",
      body: JSON.stringify({ thread_id: ids.thread }),
      status: 409,
    },
    {
      name: "state update on a thread without graph",
      method: "POST",
      path: `/threads/${ids.bare}/state`,
      body: '{"values":{}}',
      status: 409,
    },
    // Runs, webhooks, thread TTL, store and crons (P2, P3 routes)
    { name: "stateless run, broken JSON", method: "POST", path: "/runs/wait", body: "{", status: 400 },
    { name: "run, truncated", method: "POST", path: `${t}/runs`, body: '{"assistant_id":', status: 400 },
    {
      name: "run without assistant",
      method: "POST",
      path: `${t}/runs`,
      body: "{}",
      status: 422,
      field: "body.assistant_id",
    },
    {
      name: "run bad stream_mode",
      method: "POST",
      path: "/runs/stream",
      body: '{"assistant_id":"agent","stream_mode":"telepathy"}',
      status: 422,
      field: "body.stream_mode",
    },
    {
      name: "run bad multitask_strategy",
      method: "POST",
      path: `${t}/runs`,
      body: '{"assistant_id":"agent","multitask_strategy":"shout"}',
      status: 422,
      field: "body.multitask_strategy",
    },
    {
      name: "run webhook not http",
      method: "POST",
      path: `${t}/runs`,
      body: '{"assistant_id":"agent","webhook":"ftp://example.com/x"}',
      status: 422,
    },
    {
      name: "run webhook to a private address",
      method: "POST",
      path: `${t}/runs`,
      body: '{"assistant_id":"agent","webhook":"http://169.254.169.254/latest"}',
      status: 422,
    },
    {
      name: "run for unknown assistant",
      method: "POST",
      path: `${t}/runs`,
      body: JSON.stringify({ assistant_id: ids.missing }),
      status: 404,
    },
    {
      name: "run on unknown thread",
      method: "POST",
      path: `/threads/${ids.missing}/runs`,
      body: '{"assistant_id":"agent"}',
      status: 404,
    },
    { name: "get unknown run", method: "GET", path: `${t}/runs/${ids.missing}`, status: 404 },
    { name: "cancel unknown run", method: "POST", path: `${t}/runs/${ids.missing}/cancel`, status: 404 },
    { name: "run id not a uuid", method: "GET", path: `${t}/runs/nope`, status: 422, field: "path.run_id" },
    {
      name: "thread ttl keep_latest",
      method: "POST",
      path: "/threads",
      body: '{"ttl":{"strategy":"keep_latest","ttl":5}}',
      status: 422,
    },
    {
      name: "thread ttl negative",
      method: "PATCH",
      path: t,
      body: '{"ttl":{"strategy":"delete","ttl":-5}}',
      status: 422,
    },
    { name: "store put, broken JSON", method: "PUT", path: "/store/items", body: "{", status: 400 },
    {
      name: "store put, dotted label",
      method: "PUT",
      path: "/store/items",
      body: '{"namespace":["a.b"],"key":"k","value":{}}',
      status: 422,
    },
    {
      name: "store put, value not an object",
      method: "PUT",
      path: "/store/items",
      body: '{"namespace":["a"],"key":"k","value":"v"}',
      status: 422,
      field: "body.value",
    },
    { name: "store get without key", method: "GET", path: "/store/items?namespace=a", status: 422 },
    {
      name: "store search limit 0",
      method: "POST",
      path: "/store/items/search",
      body: '{"limit":0}',
      status: 422,
      field: "body.limit",
    },
    {
      name: "store namespaces max_depth string",
      method: "POST",
      path: "/store/namespaces",
      body: '{"max_depth":"deep"}',
      status: 422,
      field: "body.max_depth",
    },
    {
      name: "store delete without key",
      method: "DELETE",
      path: "/store/items",
      body: '{"namespace":["a"]}',
      status: 422,
    },
    { name: "cron, broken JSON", method: "POST", path: "/runs/crons", body: "{", status: 400 },
    {
      name: "cron without schedule",
      method: "POST",
      path: "/runs/crons",
      body: '{"assistant_id":"agent"}',
      status: 422,
      field: "body.schedule",
    },
    {
      name: "cron bad schedule",
      method: "POST",
      path: "/runs/crons",
      body: '{"assistant_id":"agent","schedule":"every tuesday"}',
      status: 422,
    },
    {
      name: "cron bad timezone",
      method: "POST",
      path: "/runs/crons",
      body: '{"assistant_id":"agent","schedule":"0 9 * * *","timezone":"Moon/Base"}',
      status: 422,
    },
    {
      name: "cron on unknown thread",
      method: "POST",
      path: `/threads/${ids.missing}/runs/crons`,
      body: '{"assistant_id":"agent","schedule":"0 9 * * *"}',
      status: 404,
    },
    { name: "patch unknown cron", method: "PATCH", path: `/runs/crons/${ids.missing}`, body: "{}", status: 404 },
    { name: "delete unknown cron", method: "DELETE", path: `/runs/crons/${ids.missing}`, status: 404 },
    {
      name: "cron search negative offset",
      method: "POST",
      path: "/runs/crons/search",
      body: '{"offset":-1}',
      status: 422,
      field: "body.offset",
    },
    // Oversized → 413
    { name: "oversized store item", method: "PUT", path: "/store/items", body: bigItem, status: 413 },
    { name: "oversized assistant body", method: "POST", path: "/assistants", body: big, status: 413 },
    { name: "oversized thread search body", method: "POST", path: "/threads/search", body: big, status: 413 },
  ];
}

for (const mode of MODES) {
  describe(`bad input is refused without touching data (${mode})`, () => {
    let server: TestServer;
    const ids = { assistant: "", thread: "", bare: "", missing: crypto.randomUUID() };

    const snapshot = async () => ({
      assistants: await server.client.assistants.search({ limit: 1000, sortBy: "assistant_id" }),
      versions: await server.client.assistants.getVersions(ids.assistant, { limit: 100 }),
      threads: await server.client.threads.search({ limit: 1000, sortBy: "thread_id" }),
      state: await server.client.threads.getState(ids.thread),
      history: await server.client.threads.getHistory(ids.thread, { limit: 100 }),
      runs: await server.client.runs.list(ids.thread, { limit: 100 }),
      items: await server.client.store.searchItems([], { limit: 1000 }),
      crons: await server.client.crons.search({ limit: 1000 }),
    });

    beforeAll(async () => {
      server = await startTestServer(mode, { FRACTAL_MAX_BODY_BYTES: String(MAX_BODY) });
      ids.assistant = (await server.client.assistants.create({ graphId: "agent", metadata: { keep: 1 } })).assistant_id;
      const thread = await server.client.threads.create({ graphId: "agent" });
      ids.thread = thread.thread_id;
      await server.client.threads.updateState(ids.thread, {
        values: { messages: [{ type: "human", content: "precious" }] },
        asNode: "agent",
      });
      ids.bare = (await server.client.threads.create()).thread_id;
      await server.client.store.putItem(["keep"], "item", { precious: true });
      await server.client.crons.createForThread(ids.thread, "agent", { schedule: "0 0 1 1 *" });
    }, 90_000);
    afterAll(async () => server?.stop());

    test("at least 40 malformed requests each get the right status and a JSON error body", async () => {
      const before = await snapshot();
      const table = cases(ids);
      expect(table.length).toBeGreaterThanOrEqual(40);
      const mismatches: string[] = [];
      for (const c of table) {
        const res = await rawRequest(server.url, c.method, c.path, c.body, {
          "content-type": c.contentType ?? "application/json",
        });
        const body = res.body as { error?: unknown; message?: unknown } | undefined;
        if (res.status !== c.status) mismatches.push(`${c.name}: status ${res.status}, want ${c.status}`);
        if (typeof body?.error !== "string" || typeof body?.message !== "string") {
          mismatches.push(`${c.name}: body is not {error, message}: ${JSON.stringify(res.body)}`);
        }
        if (c.field && !String(body?.message).startsWith(c.field)) {
          mismatches.push(`${c.name}: message ${JSON.stringify(body?.message)} does not name ${c.field}`);
        }
      }
      expect(mismatches).toEqual([]);
      expect(await snapshot()).toEqual(before);
    }, 60_000);

    test("JSON sent as text/plain is accepted", async () => {
      const res = await rawRequest(server.url, "POST", "/threads/count", '{"metadata":{"nobody":true}}', {
        "content-type": "text/plain;charset=UTF-8",
      });
      expect(res).toEqual({ status: 200, body: 0 });
    });
  });
}
