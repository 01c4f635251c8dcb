import { beforeAll, describe, expect, test } from "bun:test";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

interface Stats {
  events: { runs: number; readers: number; timers: number };
  control_listeners: number;
  active_runs: number;
}

for (const mode of MODES) {
  describe(`dropped streams leave nothing behind (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_STREAM_RETAIN_MS: "300" });
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    const stats = async () => (await (await fetch(`${server.url}/internal/stats`)).json()) as Stats;

    test("500 streams opened and dropped: readers, buffers and timers return to zero", async () => {
      const baseline = await stats();
      const body = JSON.stringify({
        assistant_id: "agent",
        input: { messages: [{ role: "user", content: "hi" }] },
        stream_mode: ["messages-tuple", "values"],
      });
      const opened = await Promise.all(
        Array.from({ length: 500 }, async () => {
          const controller = new AbortController();
          const res = await fetch(`${server.url}/runs/stream`, { method: "POST", body, signal: controller.signal });
          const reader = (res.body as ReadableStream<Uint8Array>).getReader();
          // The opening comment may come on its own; read on to the first event.
          let text = "";
          for (let i = 0; i < 5 && !text.includes("event: metadata"); i++) {
            const { value, done } = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
          }
          controller.abort();
          await reader.cancel().catch(() => {});
          return text;
        }),
      );
      expect(opened.every((chunk) => chunk.includes("event: metadata"))).toBe(true);
      // Let the runs finish and the retention window pass.
      const deadline = Date.now() + 60_000;
      let now = await stats();
      while (Date.now() < deadline && (now.active_runs > 0 || now.events.runs > 0 || now.events.readers > 0)) {
        await Bun.sleep(200);
        now = await stats();
      }
      expect(now).toEqual({ ...baseline, events: { runs: 0, readers: 0, timers: 0 }, active_runs: 0 });
      expect(await server.client.threads.count()).toBe(0);
    }, 120_000);
  });
}
