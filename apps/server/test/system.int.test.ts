import { beforeAll, describe, expect, test } from "bun:test";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

for (const mode of MODES) {
  describe(`system endpoints (${mode})`, () => {
    const current = useTestServer(mode);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("/ok, and /info reports the version and the storage in use", async () => {
      expect(await (await fetch(`${server.url}/ok`)).json()).toEqual({ ok: true });
      const info = (await (await fetch(`${server.url}/info`)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ version: "0.1.0", storage: mode === "embedded" ? "pglite" : "postgres" });
    });

    test("/openapi.json and /docs are served", async () => {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(["/assistants/{assistant_id}/versions", "/threads/{thread_id}/state/{checkpoint_id}"]),
      );
      const docs = await fetch(`${server.url}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain("fractal-agents-runtime API");
    });
  });
}
