import { beforeAll, describe, expect, test } from "bun:test";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

type Event = { event: string; data: unknown; id?: string };
const human = (content: string) => ({ messages: [{ role: "user", content }] });

for (const mode of MODES) {
  describe(`thread stream (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_STREAM_HEARTBEAT_MS: "100" });
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("stays open across runs and resumes from Last-Event-ID", async () => {
      const thread = await server.client.threads.create();
      const controller = new AbortController();
      const seen: Event[] = [];
      const reading = (async () => {
        try {
          for await (const e of server.client.threads.joinStream(thread.thread_id, {
            streamMode: ["values"],
            signal: controller.signal,
          } as never) as AsyncIterable<Event>) {
            seen.push(e);
            if (seen.filter((x) => x.event === "values").length === 4) controller.abort();
          }
        } catch {
          // aborted on purpose
        }
      })();
      await Bun.sleep(200);
      await server.client.runs.wait(thread.thread_id, "agent", { input: human("one") });
      await server.client.runs.wait(thread.thread_id, "agent", { input: human("two") });
      await Promise.race([reading, Bun.sleep(10_000)]);
      controller.abort();
      const names = seen.map((e) => e.event);
      expect(names.filter((n) => n === "metadata").length).toBe(2);
      expect(names.every((n) => ["metadata", "values"].includes(n))).toBe(true);
      const lastValues = seen.filter((e) => e.event === "values").at(-1)?.data as { messages: unknown[] };
      expect(lastValues.messages.length).toBe(4);

      // Resuming after the first run's last event replays exactly the second run.
      const secondStart = seen.findLastIndex((e) => e.event === "metadata");
      const firstEnd = seen[secondStart - 1]?.id as string;
      const resumeController = new AbortController();
      const resumed: Event[] = [];
      try {
        for await (const e of server.client.threads.joinStream(thread.thread_id, {
          lastEventId: firstEnd,
          streamMode: ["values"],
          signal: resumeController.signal,
        } as never) as AsyncIterable<Event>) {
          resumed.push(e);
          if (resumed.filter((x) => x.event === "values").length === 2) resumeController.abort();
        }
      } catch {
        // aborted on purpose
      }
      expect(resumed.map((e) => e.id)).toEqual(
        seen.slice(seen.findIndex((e) => e.id === firstEnd) + 1).map((e) => e.id),
      );
    }, 30_000);
  });
}
