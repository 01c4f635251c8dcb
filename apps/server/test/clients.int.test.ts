// What clients nobody here wrote send (JS SDK 1.15, useStream, Agent Chat UI, Python SDK, RemoteGraph,
// Open Agent Platform): each case through HTTP, with the SDK where it can say it, raw fetch where only
// the Python SDK or a browser sends it.
import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import { RemoteGraph } from "@langchain/langgraph/remote";
import { MODES, rawRequest, type TestServer, useTestServer } from "./harness.ts";
import { type SseEvent, sse } from "./sse.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
type Event = SseEvent;

async function collect(stream: AsyncIterable<Event>): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

for (const mode of MODES) {
  describe(`what real clients send (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_STREAM_GRACE_MS: "300" }, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("stream_mode tools: a tool call's start and end, in the SDK 1.15 shape", async () => {
      const events = await collect(
        server.client.runs.stream(null, "toolcall", { input: {}, streamMode: ["tools"] }) as AsyncIterable<Event>,
      );
      const tools = events.filter((e) => e.event === "tools").map((e) => e.data as Record<string, unknown>);
      expect(tools).toMatchObject([
        { event: "on_tool_start", name: "lookup", toolCallId: "call-1", input: { city: "Oslo" } },
        { event: "on_tool_end", name: "lookup", toolCallId: "call-1" },
      ]);
      expect(JSON.stringify(tools[1]?.output)).toContain("sunny in Oslo");
    });

    test("stream_mode lifecycle: a subgraph's start and end, named by its namespace", async () => {
      const events = await collect(
        server.client.runs.stream(null, "parent", { input: {}, streamMode: ["lifecycle"] }) as AsyncIterable<Event>,
      );
      const lifecycle = events.filter((e) => e.event.startsWith("lifecycle|"));
      expect(lifecycle.map((e) => (e.data as { event: string }).event)).toEqual(["started", "completed"]);
      const { namespace } = (lifecycle[0]?.data ?? { namespace: [] }) as { namespace: string[] };
      expect(namespace).toHaveLength(1);
      expect(namespace[0]).toStartWith("child:");
      expect(lifecycle[0]?.event).toBe(`lifecycle|${namespace[0]}`);
      // Without stream_subgraphs, the subgraph's own chunks stay out of the stream.
      expect(events.every((e) => e.event === "metadata" || e.event.startsWith("lifecycle|"))).toBe(true);
    });

    test("stream_mode [] streams values, as the reference server does", async () => {
      const res = await fetch(`${server.url}/runs/stream`, {
        method: "POST",
        body: JSON.stringify({
          assistant_id: "slow",
          input: {},
          stream_mode: [],
          config: { configurable: { steps: 1 } },
        }),
      });
      expect(res.status).toBe(200);
      const names = (await sse(res)).map((e) => e.event);
      expect(names[0]).toBe("metadata");
      expect(names).toContain("values");
    });

    test("a graph id works wherever an assistant id does (RemoteGraph calls them so)", async () => {
      const assistant = await server.client.assistants.get("slow");
      expect(assistant.assistant_id).toBe(defaultAssistantId("slow"));
      expect((await server.client.assistants.getGraph("slow")).nodes.map((n) => n.id)).toContain("tick");
      expect((await server.client.assistants.getSchemas("slow")).graph_id).toBe("slow");
      expect(Object.keys(await server.client.assistants.getSubgraphs("parent"))).toEqual(["child"]);
      const remote = new RemoteGraph({ graphId: "slow", url: server.url });
      const drawable = await remote.getGraphAsync();
      expect(Object.keys(drawable.nodes)).toContain("tick");
      const unknown = await rawRequest(server.url, "GET", "/assistants/no-such-graph");
      expect(unknown.status).toBe(404);
      // Cron filters resolve a graph id too (a cron made with the graph id is found by it).
      const thread = await server.client.threads.create();
      const cron = await server.client.crons.createForThread(thread.thread_id, "slow", { schedule: "0 0 1 1 *" });
      expect((await server.client.crons.search({ assistantId: "slow" })).map((c) => c.cron_id)).toEqual([cron.cron_id]);
      expect(await server.client.crons.count({ assistantId: "slow" })).toBe(1);
      await server.client.crons.delete(cron.cron_id);
    });

    test("Python SDK joins: stream_mode= (empty) is every event; thread run_modes adds run_done", async () => {
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        streamMode: ["values", "custom"],
        config: { configurable: { steps: 2, delay_ms: 30 } },
      });
      const joined = await sse(
        await fetch(`${server.url}/threads/${thread.thread_id}/runs/${run.run_id}/stream?stream_mode=`),
      );
      const names = new Set(joined.map((e) => e.event));
      expect(names).toEqual(new Set(["metadata", "values", "custom"]));

      const controller = new AbortController();
      const reading = fetch(`${server.url}/threads/${thread.thread_id}/stream?stream_mode=run_modes`, {
        signal: controller.signal,
      });
      const lifecycleReading = fetch(`${server.url}/threads/${thread.thread_id}/stream?stream_mode=lifecycle`, {
        signal: controller.signal,
      });
      const stateReading = fetch(`${server.url}/threads/${thread.thread_id}/stream?stream_mode=state_update`, {
        signal: controller.signal,
      });
      await Bun.sleep(200);
      const second = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        streamMode: ["custom"],
        config: { configurable: { steps: 2, delay_ms: 30 } },
      });
      await server.client.runs.join(thread.thread_id, second.run_id);
      await Bun.sleep(300);
      const readSome = async (pending: Promise<Response>) => {
        const res = await pending;
        const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
        let text = "";
        const deadline = Date.now() + 2000;
        while (Date.now() < deadline && !text.includes("event: run_done") && !text.includes("event: state_update")) {
          const { value, done } = await Promise.race([
            reader.read(),
            Bun.sleep(500).then(() => ({ value: undefined, done: false })),
          ]);
          if (done) break;
          if (value) text += new TextDecoder().decode(value);
        }
        return sse(new Response(text));
      };
      const all = await readSome(reading);
      const lifecycle = await readSome(lifecycleReading);
      const states = await readSome(stateReading);
      controller.abort();
      expect(all.map((e) => e.event)).toEqual(["metadata", "custom", "custom", "run_done"]);
      expect(all.at(-1)?.data).toEqual({ run_id: second.run_id, status: "success" });
      expect(lifecycle.map((e) => e.event)).toEqual(["metadata", "run_done"]);
      expect(states.map((e) => e.event)).toEqual(["state_update"]);
      expect((states[0]?.data as { values?: { steps: number[] } } | undefined)?.values?.steps).toEqual([0, 1, 2, 3]);
    });

    test("join streams honour namespace; checkpoint_id, which a join cannot honour, is a 422 naming it", async () => {
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, "parent", {
        input: {},
        streamMode: ["updates"],
        streamSubgraphs: true,
        streamResumable: true,
      });
      await server.client.runs.join(thread.thread_id, run.run_id);
      const all = await collect(
        server.client.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: "-1" }) as AsyncIterable<Event>,
      );
      expect(all.map((e) => e.event.split("|")[0])).toContain("updates");
      expect(all.some((e) => e.event.startsWith("updates|child:"))).toBe(true);
      expect(all.some((e) => e.event === "updates")).toBe(true);
      const base = `${server.url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`;
      const inChild = await sse(await fetch(`${base}?namespace=child`, { headers: { "last-event-id": "-1" } }));
      expect(inChild.length).toBeGreaterThan(1);
      expect(inChild.every((e) => e.event === "metadata" || e.event.startsWith("updates|child:"))).toBe(true);
      const bad = await rawRequest(
        server.url,
        "GET",
        `/threads/${thread.thread_id}/runs/${run.run_id}/stream?checkpoint_id=x`,
      );
      expect(bad.status).toBe(422);
      expect(JSON.stringify(bad.body)).toContain("checkpoint_id");
    });

    test("stream_resumable: only a resumable run is replayed after it ended; others end at once", async () => {
      const thread = await server.client.threads.create();
      const plain = await server.client.runs.create(thread.thread_id, "slow", { input: {}, streamMode: ["custom"] });
      await server.client.runs.join(thread.thread_id, plain.run_id);
      const resumable = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        streamMode: ["custom"],
        streamResumable: true,
      });
      await server.client.runs.join(thread.thread_id, resumable.run_id);
      await Bun.sleep(700);
      const started = Date.now();
      const late = await collect(
        server.client.runs.joinStream(thread.thread_id, plain.run_id, { lastEventId: "-1" }) as AsyncIterable<Event>,
      );
      expect(late).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2000);
      const replay = await collect(
        server.client.runs.joinStream(thread.thread_id, resumable.run_id, {
          lastEventId: "-1",
          streamMode: ["custom"],
        }) as AsyncIterable<Event>,
      );
      expect(replay.map((e) => e.event)).toEqual(["metadata", "custom", "custom", "custom"]);
    });

    test("thread stream state_update also reports a state edited through the API", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "slow", { input: {}, config: { configurable: { steps: 1 } } });
      const controller = new AbortController();
      const res = await fetch(`${server.url}/threads/${thread.thread_id}/stream?stream_mode=state_update`, {
        signal: controller.signal,
      });
      await Bun.sleep(200);
      await server.client.threads.updateState(thread.thread_id, { values: { steps: [42] }, asNode: "tick" });
      const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      let text = "";
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && !text.includes("42")) {
        const { value, done } = await Promise.race([
          reader.read(),
          Bun.sleep(500).then(() => ({ value: undefined, done: false })),
        ]);
        if (done) break;
        if (value) text += new TextDecoder().decode(value);
      }
      controller.abort();
      const events = await sse(new Response(text));
      expect(events.map((e) => e.event)).toEqual(["state_update"]);
      expect((events[0]?.data as { values?: { steps: number[] } } | undefined)?.values?.steps).toEqual([0, 42]);
    });

    test("an idle thread stream sends its status and headers at once, not at the first heartbeat", async () => {
      const thread = await server.client.threads.create();
      const controller = new AbortController();
      const started = Date.now();
      // The heartbeat is the default 15 s here.
      const res = await fetch(`${server.url}/threads/${thread.thread_id}/stream`, { signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/event-stream");
      const first = await (res.body as ReadableStream<Uint8Array>).getReader().read();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(new TextDecoder().decode(first.value)).toStartWith(":");
      controller.abort();
    });

    test("command.goto with Send objects {node, input} runs the node once per Send", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "fanout", { input: {} });
      const values = (await server.client.runs.wait(thread.thread_id, "fanout", {
        command: {
          goto: [
            { node: "work", input: { item: "a" } },
            { node: "work", input: { item: "b" } },
          ],
        },
      })) as { done: string[] };
      expect(values.done.sort()).toEqual(["worked on a", "worked on b"]);
      const bad = await rawRequest(
        server.url,
        "POST",
        `/threads/${thread.thread_id}/runs/wait`,
        JSON.stringify({ assistant_id: "fanout", command: { goto: [{ input: {} }] } }),
      );
      expect(bad.status).toBe(422);
    });

    test("POST /threads/prune deletes threads, or keeps only the latest checkpoint", async () => {
      const keep = await server.client.threads.create();
      const gone = await server.client.threads.create();
      for (const t of [keep, gone]) await server.client.runs.wait(t.thread_id, "inspect", { input: {} });
      expect((await server.client.threads.getHistory(keep.thread_id)).length).toBeGreaterThan(1);
      const latest = await server.client.threads.getState(keep.thread_id);
      expect(await server.client.threads.prune([keep.thread_id], { strategy: "keep_latest" })).toEqual({
        pruned_count: 1,
      });
      const history = await server.client.threads.getHistory(keep.thread_id);
      expect(history.map((h) => h.checkpoint?.checkpoint_id)).toEqual([latest.checkpoint?.checkpoint_id]);
      expect((await server.client.threads.getState(keep.thread_id)).values).toEqual(latest.values);
      // A run on the pruned thread still continues from its state.
      await server.client.runs.wait(keep.thread_id, "inspect", { input: {} });
      expect(((await server.client.threads.getState(keep.thread_id)).values as { steps: number[] }).steps).toEqual([
        1, 2, 1, 2,
      ]);
      const missing = crypto.randomUUID();
      expect(await server.client.threads.prune([gone.thread_id, missing])).toEqual({ pruned_count: 1 });
      expect((await rawRequest(server.url, "GET", `/threads/${gone.thread_id}`)).status).toBe(404);
    });

    test("PATCH /threads/{id}/state merges metadata into the latest checkpoint", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "inspect", { input: {} });
      await server.client.threads.patchState(thread.thread_id, { reviewed: true });
      const [latest, older] = await server.client.threads.getHistory(thread.thread_id, { limit: 2 });
      expect(latest?.metadata).toMatchObject({ reviewed: true, source: "loop" });
      expect(older?.metadata).not.toHaveProperty("reviewed");
      const empty = await server.client.threads.create();
      const res = await rawRequest(server.url, "PATCH", `/threads/${empty.thread_id}/state`, '{"metadata":{"a":1}}');
      expect(res.status).toBe(404);
    });

    test("select on state, history and run lists; extract on thread search", async () => {
      const thread = await server.client.threads.create({ metadata: { topic: "select" } });
      await server.client.runs.wait(thread.thread_id, "inspect", { input: {}, context: { who: "me" } });
      const state = await server.client.threads.getState(thread.thread_id, undefined, {
        select: ["values.steps", "next"],
      } as never);
      expect(state as unknown).toEqual({ values: { steps: [1, 2] }, next: [] });
      const history = await server.client.threads.getHistory(thread.thread_id, { select: ["metadata"] } as never);
      expect(history.every((h) => Object.keys(h).join() === "metadata")).toBe(true);
      const runs = await server.client.runs.list(thread.thread_id, { select: ["run_id", "status"] } as never);
      expect(runs.map((r) => Object.keys(r).sort().join())).toEqual(["run_id,status"]);
      const badSelect = await rawRequest(server.url, "GET", `/threads/${thread.thread_id}/state?select=nope`);
      expect(badSelect.status).toBe(422);
      expect(JSON.stringify(badSelect.body)).toContain("nope");
      const found = await server.client.threads.search({
        metadata: { topic: "select" },
        extract: { last_step: "values.steps[-1]", who: "values.context.who", missing: "values.none.deeper" },
        select: ["thread_id"],
      } as never);
      expect(found as unknown).toEqual([
        { thread_id: thread.thread_id, extracted: { last_step: 2, who: "me", missing: null } },
      ]);
    });

    test("CORS exposes the headers a browser client needs to reconnect and page", async () => {
      const res = await fetch(`${server.url}/threads/search`, {
        method: "POST",
        headers: { origin: "http://localhost:3000" },
        body: "{}",
      });
      const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(",");
      for (const header of ["location", "content-location", "x-pagination-next", "x-pagination-total"]) {
        expect(exposed).toContain(header);
      }
    });

    test("/info carries version, flags, metadata and host", async () => {
      const info = (await (await fetch(`${server.url}/info`)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({
        version: expect.any(String),
        flags: { assistants: true, crons: true },
        metadata: expect.any(Object),
        host: { kind: "self-hosted" },
      });
    });

    test("Prefer: return=minimal answers 204 without a body", async () => {
      const res = await fetch(`${server.url}/threads`, {
        method: "POST",
        headers: { prefer: "return=minimal" },
        body: JSON.stringify({ metadata: { minimal: true } }),
      });
      expect(res.status).toBe(204);
      expect(res.headers.get("preference-applied")).toBe("return=minimal");
      expect(await res.text()).toBe("");
      expect(await server.client.threads.count({ metadata: { minimal: true } })).toBe(1);
    });
  });
}
