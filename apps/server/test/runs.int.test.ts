import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const human = (content: string) => ({ messages: [{ role: "user", content }] });
type Event = { event: string; data: unknown; id?: string };

async function collect(stream: AsyncIterable<Event>): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

for (const mode of MODES) {
  describe(`runs API (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_STREAM_HEARTBEAT_MS: "200" }, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("background run then join: the agent answers, run and thread end consistent", async () => {
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, "agent", { input: human("hi") });
      expect(run).toMatchObject({ thread_id: thread.thread_id, assistant_id: defaultAssistantId("agent") });
      // Queued, or already handed to this server's worker (it had a free slot).
      expect(["pending", "running"]).toContain(run.status);
      const values = (await server.client.runs.join(thread.thread_id, run.run_id)) as {
        messages: Array<{ type: string; content: string }>;
      };
      expect(values.messages.map((m) => [m.type, m.content])).toEqual([
        ["human", "hi"],
        ["ai", "You said: hi"],
      ]);
      expect(await server.client.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: "success" });
      expect(await server.client.threads.get(thread.thread_id)).toMatchObject({
        status: "idle",
        metadata: { graph_id: "agent", assistant_id: defaultAssistantId("agent") },
      });
      expect((await server.client.runs.list(thread.thread_id)).map((r) => r.run_id)).toEqual([run.run_id]);
    });

    test("wait returns final values; config reaches the graph (assistant → run merge)", async () => {
      const assistant = await server.client.assistants.create({
        graphId: "agent",
        config: { configurable: { model: "fake:assistant" } },
      });
      const thread = await server.client.threads.create();
      const byAssistant = (await server.client.runs.wait(thread.thread_id, assistant.assistant_id, {
        input: human("one"),
      })) as { messages: Array<{ content: string }> };
      expect(byAssistant.messages.at(-1)?.content).toBe("assistant: one");
      const overridden = (await server.client.runs.wait(thread.thread_id, assistant.assistant_id, {
        input: human("two"),
        config: { configurable: { model: "fake:run" } },
      })) as { messages: Array<{ content: string }> };
      expect(overridden.messages.map((m) => m.content)).toEqual(["one", "assistant: one", "two", "run: two"]);
    });

    test("the graph sees the thread, run, assistant and graph ids, run context over assistant context", async () => {
      const assistant = await server.client.assistants.create({
        graphId: "inspect",
        config: { configurable: { team: "a", level: 1 } },
        context: { tone: "dry", lang: "en" },
      });
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, assistant.assistant_id, {
        input: {},
        config: { configurable: { level: 2 } },
        context: { lang: "fr" },
        feedbackKeys: ["score"],
      });
      const values = (await server.client.runs.join(thread.thread_id, run.run_id)) as {
        configurable: Record<string, unknown>;
        context: Record<string, unknown>;
      };
      expect(values.configurable).toMatchObject({
        thread_id: thread.thread_id,
        run_id: run.run_id,
        assistant_id: assistant.assistant_id,
        graph_id: "inspect",
        team: "a",
        level: 2,
      });
      expect(values.context).toEqual({ tone: "dry", lang: "fr" });
    });

    test("interrupt_after pauses after a node; a null-input run continues; list filters by status", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "inspect", { input: {}, interruptAfter: ["look"] });
      const paused = await server.client.threads.getState(thread.thread_id);
      expect(paused.next).toEqual(["after"]);
      expect((paused.values as { steps: number[] }).steps).toEqual([1]);
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
      const resumed = (await server.client.runs.wait(thread.thread_id, "inspect", { input: null })) as {
        steps: number[];
      };
      expect(resumed.steps).toEqual([1, 2]);
      const runs = await server.client.runs.list(thread.thread_id);
      expect(runs.map((r) => r.status)).toEqual(["success", "interrupted"]);
      const interrupted = await server.client.runs.list(thread.thread_id, { status: "interrupted" });
      expect(interrupted.map((r) => r.run_id)).toEqual([runs[1]?.run_id as string]);
    });

    test("stream_resumable: a client cut off mid-run rejoins with Last-Event-ID and gets the rest once", async () => {
      const thread = await server.client.threads.create();
      const controller = new AbortController();
      const firstPart: Event[] = [];
      const stream = server.client.runs.stream(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 6, delay_ms: 80 } },
        streamMode: "custom",
        streamResumable: true,
        signal: controller.signal,
      }) as AsyncIterable<Event>;
      try {
        for await (const e of stream) {
          firstPart.push(e);
          if (firstPart.length === 3) controller.abort();
        }
      } catch {
        // the abort ends the stream
      }
      expect(firstPart.length).toBe(3);
      const runId = (firstPart[0]?.data as { run_id: string } | undefined)?.run_id as string;
      expect((await server.client.runs.get(thread.thread_id, runId)).status).toBe("running");
      const rest = await collect(
        server.client.runs.joinStream(thread.thread_id, runId, {
          lastEventId: firstPart.at(-1)?.id,
        }) as AsyncIterable<Event>,
      );
      const ticks = [...firstPart, ...rest]
        .filter((e) => e.event === "custom")
        .map((e) => (e.data as { tick: number }).tick);
      expect(ticks).toEqual([0, 1, 2, 3, 4, 5]);
      // The stream closes after the last event; the protocol has no terminal `end` event.
      expect(rest.at(-1)?.event).toBe("custom");
    });

    test("a stateless run's stream can be joined by run id alone (GET /runs/{run_id}/stream)", async () => {
      const run = await server.client.runs.create(null, "slow", {
        input: {},
        config: { configurable: { steps: 3, delay_ms: 60 } },
        streamMode: ["custom"],
      });
      const events = await collect(
        server.client.runs.joinStream(null, run.run_id, { lastEventId: "-1" }) as AsyncIterable<Event>,
      );
      expect(events[0]?.event).toBe("metadata");
      expect(events.filter((e) => e.event === "custom").map((e) => (e.data as { tick: number }).tick)).toEqual([
        0, 1, 2,
      ]);
      expect(events.some((e) => e.event === "end")).toBe(false);
    });

    test("stateless wait deletes its temporary thread unless on_completion=keep", async () => {
      const before = await server.client.threads.count();
      const values = (await server.client.runs.wait(null, "agent", { input: human("stateless") })) as {
        messages: unknown[];
      };
      expect(values.messages.length).toBe(2);
      expect(await server.client.threads.count()).toBe(before);
      // The SDK's types leave onCompletion off stateless waits, but it sends it and the Platform honours it.
      await server.client.runs.wait(null, "agent", { input: human("keep me"), onCompletion: "keep" } as never);
      expect(await server.client.threads.count()).toBe(before + 1);
    });

    test("stream: metadata first, requested modes, strictly increasing ids, no end event", async () => {
      const thread = await server.client.threads.create();
      const events = await collect(
        server.client.runs.stream(thread.thread_id, "agent", {
          input: human("tell me more"),
          streamMode: ["values", "updates", "messages-tuple", "debug", "tasks", "checkpoints"],
        }) as AsyncIterable<Event>,
      );
      const names = events.map((e) => e.event);
      expect(names[0]).toBe("metadata");
      expect(events[0]?.data).toMatchObject({ attempt: 1 });
      expect(names).not.toContain("end");
      for (const mode of ["values", "updates", "messages", "debug", "tasks", "checkpoints"])
        expect(names).toContain(mode);
      const tokens = events
        .filter((e) => e.event === "messages")
        .map((e) => (e.data as [{ content: string }])[0].content);
      expect(tokens.join("")).toBe("You said: tell me more");
      expect(tokens.length).toBe(5);
      const ids = events.map((e) => e.id as string);
      for (let i = 1; i < ids.length; i++) {
        const [pm, ps] = (ids[i - 1] as string).split("-").map(Number) as [number, number];
        const [m, s] = (ids[i] as string).split("-").map(Number) as [number, number];
        expect(m > pm || (m === pm && s > ps)).toBe(true);
      }
      expect(JSON.stringify(events)).not.toContain("callbacks");
    });

    test("legacy messages mode: metadata, partials that accumulate, then complete", async () => {
      const events = await collect(
        server.client.runs.stream(null, "agent", {
          input: human("a b"),
          streamMode: "messages",
        }) as AsyncIterable<Event>,
      );
      const names = events.map((e) => e.event).filter((n) => n.startsWith("messages/"));
      expect(names[0]).toBe("messages/metadata");
      expect(names.filter((n) => n === "messages/partial").length).toBe(4);
      const partials = events
        .filter((e) => e.event === "messages/partial")
        .map((e) => (e.data as Array<{ content: string }>)[0]?.content);
      expect(partials).toEqual(["You", "You said:", "You said: a", "You said: a b"]);
      expect(names.at(-1)).toBe("messages/complete");
    });

    test("custom events arrive while the run is still going (incremental stream)", async () => {
      const thread = await server.client.threads.create();
      const stream = server.client.runs.stream(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 4, delay_ms: 150 } },
        streamMode: "custom",
      }) as AsyncIterable<Event>;
      const seen: Array<{ event: string; runStatus?: string }> = [];
      for await (const e of stream) {
        if (e.event === "custom" && seen.length === 1) {
          const runs = await server.client.runs.list(thread.thread_id);
          seen.push({ event: e.event, runStatus: runs[0]?.status });
        } else seen.push({ event: e.event });
      }
      expect(seen[1]).toEqual({ event: "custom", runStatus: "running" });
      expect(seen.filter((e) => e.event === "custom").length).toBe(4);
    });

    test("events mode: LangGraph callback events (v2) beside the other modes of the same run", async () => {
      const events = await collect(
        server.client.runs.stream(null, "agent", {
          input: human("x y"),
          streamMode: ["events", "values"],
        }) as AsyncIterable<Event>,
      );
      const names = events.map((e) => e.event);
      expect(names[0]).toBe("metadata");
      expect(names).toContain("values");
      const callbacks = events
        .filter((e) => e.event === "events")
        .map((e) => e.data as { event: string; run_id: string; name: string; data: { chunk?: { content: string } } });
      const kinds = new Set(callbacks.map((e) => e.event));
      for (const kind of ["on_chain_start", "on_chain_end", "on_chat_model_start", "on_chat_model_stream"])
        expect(kinds).toContain(kind);
      const tokens = callbacks.filter((e) => e.event === "on_chat_model_stream").map((e) => e.data.chunk?.content);
      expect(tokens.join("")).toBe("You said: x y");
      // Only callback events: the graph's own stream chunks are the values events, not repeated here.
      const metadata = events[0]?.data as { run_id: string };
      expect(callbacks.some((e) => e.event === "on_chain_stream" && e.run_id === metadata.run_id)).toBe(false);
      // events alone: no values events come with it.
      const only = await collect(
        server.client.runs.stream(null, "agent", { input: human("z"), streamMode: "events" }) as AsyncIterable<Event>,
      );
      expect(new Set(only.map((e) => e.event))).toEqual(new Set(["metadata", "events"]));
    });

    test("stream_subgraphs names subgraph events mode|namespace", async () => {
      const events = await collect(
        server.client.runs.stream(null, "parent", {
          input: {},
          streamMode: "updates",
          streamSubgraphs: true,
        }) as AsyncIterable<Event>,
      );
      const names = events.map((e) => e.event);
      expect(names.some((n) => /^updates\|child:/.test(n))).toBe(true);
      expect(names).toContain("updates");
    });

    test("a failing graph: error event, run error, thread error, wait reports __error__", async () => {
      const thread = await server.client.threads.create();
      const events = await collect(
        server.client.runs.stream(thread.thread_id, "fails", { input: {} }) as AsyncIterable<Event>,
      );
      const error = events.find((e) => e.event === "error");
      expect(error?.data).toMatchObject({ message: "boom in node" });
      const [run] = await server.client.runs.list(thread.thread_id);
      expect(run?.status).toBe("error");
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("error");
      await expect(server.client.runs.wait(null, "fails", { input: {} })).rejects.toThrow(/boom in node/);
    });

    test("human in the loop: interrupt, state shows it, resume with command", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "hitl", { input: { question: "ship it?" } });
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
      const [run] = await server.client.runs.list(thread.thread_id);
      expect(run?.status).toBe("interrupted");
      const state = await server.client.threads.getState(thread.thread_id);
      expect(state.next).toEqual(["ask"]);
      expect(state.tasks[0]?.interrupts[0]?.value).toEqual({ question: "ship it?" });
      const done = await server.client.runs.wait(thread.thread_id, "hitl", { command: { resume: "yes" } });
      expect(done).toMatchObject({ question: "ship it?", answer: "yes", done: true });
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("idle");
    });

    test("new input on an interrupted thread starts a run from its checkpoint; a busy thread is still 409", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "hitl", { input: { question: "q1" } });
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
      const before = await server.client.threads.getState(thread.thread_id);
      // The next message typed after an interrupt (as Agent Chat UI sends it) is a new run, not a 409.
      await server.client.runs.wait(thread.thread_id, "hitl", { input: { question: "q2" } });
      const after = await server.client.threads.getState(thread.thread_id);
      expect(after.tasks[0]?.interrupts[0]?.value).toEqual({ question: "q2" });
      expect(after.parent_checkpoint?.checkpoint_id).not.toBe(before.parent_checkpoint?.checkpoint_id);
      const runs = await server.client.runs.list(thread.thread_id);
      expect(runs.map((r) => r.status)).toEqual(["interrupted", "interrupted"]);
      // While a run is in progress, reject still refuses.
      const slow = await server.client.threads.create();
      await server.client.runs.create(slow.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 3, delay_ms: 100 } },
      });
      await expectStatus(server.client.runs.create(slow.thread_id, "slow", { input: {} }), 409);
    });

    test("interrupt_before pauses at a node; a null-input run continues; update then goto", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "agent", { input: human("wait"), interruptBefore: ["agent"] });
      const paused = await server.client.threads.getState(thread.thread_id);
      expect(paused.next).toEqual(["agent"]);
      const resumed = (await server.client.runs.wait(thread.thread_id, "agent", { input: null })) as {
        messages: Array<{ content: string }>;
      };
      expect(resumed.messages.at(-1)?.content).toBe("You said: wait");
      const updated = (await server.client.runs.wait(thread.thread_id, "agent", {
        command: { update: human("injected"), goto: "agent" },
      })) as { messages: Array<{ content: string }> };
      expect(updated.messages.slice(-2).map((m) => m.content)).toEqual(["injected", "You said: injected"]);
    });

    test("state update as_node, then a run continues from there; a run from an older checkpoint forks", async () => {
      const thread = await server.client.threads.create({ graphId: "agent" });
      await server.client.runs.wait(thread.thread_id, "agent", { input: human("first") });
      const history = await server.client.threads.getHistory(thread.thread_id);
      const start = history.at(-1)?.checkpoint.checkpoint_id as string;
      const forked = (await server.client.runs.wait(thread.thread_id, "agent", {
        input: human("other"),
        checkpointId: start,
      })) as { messages: Array<{ content: string }> };
      expect(forked.messages.map((m) => m.content)).toEqual(["other", "You said: other"]);
      await server.client.threads.updateState(thread.thread_id, {
        values: human("typed by hand"),
        asNode: "__start__",
      });
      const continued = (await server.client.runs.wait(thread.thread_id, "agent", { input: null })) as {
        messages: Array<{ content: string }>;
      };
      expect(continued.messages.at(-1)?.content).toBe("You said: typed by hand");
    });

    test("multitask reject: 409 while a run is active; 20 concurrent creates leave one run", async () => {
      const thread = await server.client.threads.create();
      const slowRun = { input: {}, config: { configurable: { steps: 1, delay_ms: 800 } } };
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => server.client.runs.create(thread.thread_id, "slow", slowRun)),
      );
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      expect(
        results.filter((r) => r.status === "rejected").every((r) => (r.reason as { status: number }).status === 409),
      ).toBe(true);
      await expectStatus(server.client.threads.updateState(thread.thread_id, { values: {}, asNode: "tick" }), 409);
      const [only] = await server.client.runs.list(thread.thread_id);
      await server.client.runs.join(thread.thread_id, only?.run_id as string);
    });

    test("multitask enqueue runs in order; interrupt cancels the active run and keeps its checkpoints", async () => {
      const thread = await server.client.threads.create();
      const slowRun = { input: {}, config: { configurable: { steps: 1, delay_ms: 400 } } };
      const a = await server.client.runs.create(thread.thread_id, "slow", slowRun);
      const b = await server.client.runs.create(thread.thread_id, "slow", { ...slowRun, multitaskStrategy: "enqueue" });
      await server.client.runs.join(thread.thread_id, b.run_id);
      const ra = await server.client.runs.get(thread.thread_id, a.run_id);
      const rb = await server.client.runs.get(thread.thread_id, b.run_id);
      expect([ra.status, rb.status]).toEqual(["success", "success"]);
      expect(new Date(ra.updated_at) <= new Date(rb.updated_at)).toBe(true);
      expect(((await server.client.threads.getState(thread.thread_id)).values as { steps: number[] }).steps).toEqual([
        0, 1,
      ]);

      const long = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 50, delay_ms: 100 } },
      });
      await Bun.sleep(300);
      const next = await server.client.runs.create(thread.thread_id, "slow", {
        ...slowRun,
        multitaskStrategy: "interrupt",
      });
      await server.client.runs.join(thread.thread_id, next.run_id);
      expect((await server.client.runs.get(thread.thread_id, long.run_id)).status).toBe("interrupted");
      expect((await server.client.runs.get(thread.thread_id, next.run_id)).status).toBe("success");
    });

    test("multitask rollback deletes the active run and its checkpoints", async () => {
      const thread = await server.client.threads.create();
      await server.client.runs.wait(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 1 } },
      });
      const before = (await server.client.threads.getHistory(thread.thread_id, { limit: 100 })).length;
      const long = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 50, delay_ms: 100 } },
      });
      await Bun.sleep(300);
      const next = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 1 } },
        multitaskStrategy: "rollback",
      });
      await server.client.runs.join(thread.thread_id, next.run_id);
      await expectStatus(server.client.runs.get(thread.thread_id, long.run_id), 404);
      const history = await server.client.threads.getHistory(thread.thread_id, { limit: 100 });
      // Only the kept run and the new one wrote checkpoints (input + loop steps each).
      expect(history.length).toBe(before * 2);
      expect(((await server.client.threads.getState(thread.thread_id)).values as { steps: number[] }).steps).toEqual([
        0, 1,
      ]);
    });

    test("cancel with wait, cancel of a finished run, bulk cancel of pending runs", async () => {
      const thread = await server.client.threads.create();
      const long = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 50, delay_ms: 100 } },
      });
      await Bun.sleep(300);
      await server.client.runs.cancel(thread.thread_id, long.run_id, true);
      expect((await server.client.runs.get(thread.thread_id, long.run_id)).status).toBe("interrupted");
      await expectStatus(server.client.runs.cancel(thread.thread_id, long.run_id), 409);

      const other = await server.client.threads.create();
      const later = await server.client.runs.create(other.thread_id, "agent", { input: human("x"), afterSeconds: 60 });
      await server.client.runs.cancelMany({ runIds: [later.run_id], action: "interrupt" });
      expect((await server.client.runs.get(other.thread_id, later.run_id)).status).toBe("interrupted");
      expect((await server.client.threads.get(other.thread_id)).status).toBe("idle");
    });

    test("join stream with Last-Event-ID yields each remaining event exactly once", async () => {
      const thread = await server.client.threads.create();
      const all = await collect(
        server.client.runs.stream(thread.thread_id, "slow", {
          input: {},
          config: { configurable: { steps: 5, delay_ms: 1 } },
          streamMode: ["custom", "values"],
        }) as AsyncIterable<Event>,
      );
      const [run] = await server.client.runs.list(thread.thread_id);
      const cut = 3;
      const rest = await collect(
        server.client.runs.joinStream(thread.thread_id, run?.run_id as string, {
          lastEventId: all[cut - 1]?.id,
        }) as AsyncIterable<Event>,
      );
      expect(rest.map((e) => e.id)).toEqual(all.slice(cut).map((e) => e.id));
      const everything = await collect(
        server.client.runs.joinStream(thread.thread_id, run?.run_id as string, {
          lastEventId: "-1",
        }) as AsyncIterable<Event>,
      );
      expect(everything.map((e) => e.id)).toEqual(all.map((e) => e.id));
      // stream_mode narrows a join to those modes (metadata always comes).
      const customOnly = await collect(
        server.client.runs.joinStream(thread.thread_id, run?.run_id as string, {
          lastEventId: "-1",
          streamMode: "custom",
        }) as AsyncIterable<Event>,
      );
      expect(customOnly.map((e) => e.id)).toEqual(
        all.filter((e) => ["metadata", "custom"].includes(e.event)).map((e) => e.id),
      );
      expect(customOnly.filter((e) => e.event === "custom").length).toBe(5);
    });

    test("on_disconnect=cancel cancels the run when the client goes away", async () => {
      const thread = await server.client.threads.create();
      const controller = new AbortController();
      const stream = server.client.runs.stream(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 50, delay_ms: 100 } },
        streamMode: "custom",
        onDisconnect: "cancel",
        signal: controller.signal,
      }) as AsyncIterable<Event>;
      try {
        for await (const e of stream) if (e.event === "custom") controller.abort();
      } catch {
        // aborted on purpose
      }
      const [run] = await server.client.runs.list(thread.thread_id);
      const final = await server.client.runs.join(thread.thread_id, run?.run_id as string);
      expect(final).toBeDefined();
      expect((await server.client.runs.get(thread.thread_id, run?.run_id as string)).status).toBe("interrupted");
    });

    test("a graph calls another assistant on this server through new Client() with no URL", async () => {
      const result = await server.client.runs.wait(null, "delegate", { input: { ask: "from inside" } });
      expect(result).toEqual({ ask: "from inside", reply: "You said: from inside" });
    });

    test("batch creates stateless runs; unknown assistant is 404; delete finished runs only", async () => {
      const runs = await server.client.runs.createBatch([
        { assistantId: "agent", input: human("one") },
        { assistantId: "agent", input: human("two") },
      ]);
      expect(runs.length).toBe(2);
      await expectStatus(server.client.runs.create(null, crypto.randomUUID(), { input: {} }), 404);
      await expectStatus(server.client.runs.create(null, "no-such-graph", { input: {} }), 404);
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, "agent", { input: human("x"), afterSeconds: 60 });
      await expectStatus(server.client.runs.delete(thread.thread_id, run.run_id), 409);
      await server.client.runs.cancel(thread.thread_id, run.run_id);
      await server.client.runs.delete(thread.thread_id, run.run_id);
      await expectStatus(server.client.runs.get(thread.thread_id, run.run_id), 404);
      await expectStatus(server.client.runs.create(crypto.randomUUID(), "agent", { input: {} }), 404);
      const created = await server.client.runs.create(crypto.randomUUID(), "agent", {
        input: human("new"),
        ifNotExists: "create",
      });
      expect((await server.client.runs.join(created.thread_id, created.run_id)) as object).toHaveProperty("messages");
    });
  });
}

for (const mode of MODES) {
  describe(`run time limit (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_RUN_TIMEOUT_SECONDS: "0.5" }, ["--config", CONFIG]);

    test("a run past FRACTAL_RUN_TIMEOUT_SECONDS is aborted: error event, run timeout, thread error", async () => {
      const server = current();
      const thread = await server.client.threads.create();
      const events = await collect(
        server.client.runs.stream(thread.thread_id, "slow", {
          input: {},
          config: { configurable: { steps: 20, delay_ms: 100 } },
          streamMode: "custom",
        }) as AsyncIterable<Event>,
      );
      const error = events.find((e) => e.event === "error");
      expect(error?.data).toMatchObject({ error: "RunTimeout" });
      expect(events.filter((e) => e.event === "custom").length).toBeLessThan(20);
      const [run] = await server.client.runs.list(thread.thread_id);
      expect(run?.status).toBe("timeout");
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("error");
      // A short run on the same server is not affected.
      const ok = (await server.client.runs.wait(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 2, delay_ms: 10 } },
      })) as { steps: number[] };
      expect(ok.steps.length).toBeGreaterThan(0);
      expect((await server.client.threads.get(thread.thread_id)).status).toBe("idle");
    });
  });
}
