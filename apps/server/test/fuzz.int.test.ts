// Property-based fuzzing of every route in /openapi.json (so new routes are covered without new
// cases): wrong types, missing and extra fields, out-of-range numbers, huge and deep values, odd path
// ids (non-uuid, unicode, NUL, very long), bad enums and content types. For each request: never a 5xx,
// an error body that carries the message and the request id, the server still answering, and the
// data that existed before unchanged afterwards. FUZZ_RUNS (default 2000 per mode) sets the count;
// FUZZ_SEED replays.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MODES, startTestServer, type TestServer } from "./harness.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

interface Operation {
  method: string;
  path: string;
  query: string[];
  bodyFields: string[];
}

type JsonSchema = { properties?: Record<string, unknown>; $ref?: string };

function operationsOf(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    // The test-only reset route would wipe what the fuzzer checks is kept.
    if (path.startsWith("/internal")) continue;
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []) as Array<{ name: string; in: string }>;
      const schema = (op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content?.[
        "application/json"
      ]?.schema;
      out.push({
        method: method.toUpperCase(),
        path,
        query: parameters.filter((p) => p.in === "query").map((p) => p.name),
        bodyFields: Object.keys(schema?.properties ?? {}),
      });
    }
  }
  return out;
}

const oddId = fc.oneof(
  fc.constant("not-a-uuid"),
  fc.uuid(),
  fc.constant("%00"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.constant("x".repeat(600)),
  fc.constant("agent"),
);

const weirdNumber = fc.oneof(
  fc.constantFrom(-1, 0, 1e12, 1e308, -1e308, 2 ** 53, 2 ** 31, 0.5, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true }),
  fc.integer(),
);

const deep = (depth: number, leaf: unknown) => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  weirdNumber,
  fc.string({ maxLength: 30 }),
  fc.constantFrom("x\u0000y", "", " ", "values", "delete", "*", "\u{1F600}"),
  fc.constant("y".repeat(5000)),
  fc.constantFrom(null, true, false, [], {}),
  fc.integer({ min: 70, max: 3000 }).map((d) => deep(d, 1)),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 30 }),
);

function bodyOf(op: Operation) {
  const fields = op.bodyFields.length > 0 ? op.bodyFields : ["metadata"];
  return fc.oneof(
    // Known fields with wrong, boundary or hostile values, and an extra one now and then.
    fc
      .dictionary(fc.constantFrom(...fields, "unexpected_field"), weirdValue, { maxKeys: 6 })
      .map((o) => JSON.stringify(o)),
    fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
    fc.constantFrom("", "{", "[1,", "null", "nope", "{}", "[]", '"text"'),
    fc.constant(JSON.stringify({ metadata: deep(4000, 1) })),
  );
}

function requestOf(op: Operation) {
  return fc.record({
    path: fc.array(oddId, { minLength: 4, maxLength: 4 }).map((ids) => {
      let i = 0;
      return op.path.replace(/\{[^}]+\}/g, () => ids[i++] as string);
    }),
    query: fc.dictionary(
      fc.constantFrom(...op.query, "junk"),
      fc.oneof(fc.string({ maxLength: 20 }), weirdNumber.map(String), fc.constantFrom("true", "maybe", "%00", "[1]")),
      { maxKeys: 3 },
    ),
    body: op.method === "GET" || op.method === "DELETE" ? fc.constant(undefined) : bodyOf(op),
    contentType: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", ""),
    json: fc.boolean(),
  });
}

for (const mode of MODES) {
  describe(`fuzzing every route from /openapi.json (${mode})`, () => {
    let server: TestServer;
    const kept: Record<string, string> = {};
    const snapshot = async () => ({
      assistant: await server.client.assistants.get(kept.assistant as string),
      thread: await server.client.threads.get(kept.thread as string),
      state: (await server.client.threads.getState(kept.thread as string)).values,
      item: await server.client.store.getItem(["keep"], "item"),
      assistants: (await server.client.assistants.search({ metadata: { keep: 1 } })).length,
    });

    beforeAll(async () => {
      server = await startTestServer(mode, { FRACTAL_MAX_BODY_BYTES: String(256 * 1024) });
      kept.assistant = (
        await server.client.assistants.create({ graphId: "agent", metadata: { keep: 1 } })
      ).assistant_id;
      const thread = await server.client.threads.create({ graphId: "agent", metadata: { keep: 1 } });
      kept.thread = thread.thread_id;
      await server.client.threads.updateState(kept.thread, {
        values: { messages: [{ type: "human", content: "precious" }] },
        asNode: "agent",
      });
      await server.client.store.putItem(["keep"], "item", { precious: true });
    }, 90_000);
    afterAll(async () => server?.stop());

    test(`${RUNS} generated requests: no 5xx, an error body with the message and request id, data kept`, async () => {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0];
      const ops = operationsOf(doc);
      expect(ops.length).toBeGreaterThan(40);
      const before = await snapshot();
      const seen = new Map<string, number>();
      let sent = 0;
      const arbitrary = fc
        .integer({ min: 0, max: ops.length - 1 })
        .chain((i) => requestOf(ops[i] as Operation).map((request) => ({ op: ops[i] as Operation, request })));
      await fc.assert(
        fc.asyncProperty(arbitrary, async ({ op, request }) => {
          const search = new URLSearchParams(request.query as Record<string, string>).toString();
          const headers: Record<string, string> = request.json ? { accept: "application/json" } : {};
          if (request.contentType) headers["content-type"] = request.contentType;
          const res = await fetch(`${server.url}${request.path}${search ? `?${search}` : ""}`, {
            method: op.method,
            body: request.body,
            headers,
            signal: AbortSignal.timeout(10_000),
          });
          sent++;
          const key = `${op.method} ${op.path} ${res.status}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          const type = res.headers.get("content-type") ?? "";
          if (type.includes("text/event-stream")) {
            await res.body?.cancel();
          } else {
            const text = await res.text();
            if (res.status >= 400) {
              const message = type.includes("json") ? (JSON.parse(text) as { message?: unknown }).message : text;
              if (typeof message !== "string" || message.length === 0) {
                throw new Error(`${key}: error body without a message: ${text.slice(0, 200)}`);
              }
              const requestId = res.headers.get("x-request-id");
              if (!requestId || !text.includes(requestId)) {
                throw new Error(`${key}: error body without the request id ${requestId}: ${text.slice(0, 200)}`);
              }
            }
          }
          if (res.status >= 500)
            throw new Error(`${key} for ${request.path}?${search}: ${request.body?.slice(0, 300)}`);
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      );
      expect(sent).toBeGreaterThanOrEqual(RUNS);
      expect((await fetch(`${server.url}/ok?check_db=1`)).status).toBe(200);
      expect(await snapshot()).toEqual(before);
      const byStatus: Record<string, number> = {};
      for (const [key, count] of seen) {
        const status = key.split(" ").at(-1) as string;
        byStatus[status] = (byStatus[status] ?? 0) + count;
      }
      process.stderr.write(
        `fuzz (${mode}): ${sent} requests over ${ops.length} operations, ${seen.size} operation/status pairs; by status ${JSON.stringify(byStatus)}\n`,
      );
    }, 600_000);
  });
}
