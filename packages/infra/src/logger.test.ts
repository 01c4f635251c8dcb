import { expect, test } from "bun:test";
import { createLogger } from "./logger.ts";

test("logs JSON lines at or above the level, with bound fields and serialised errors", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", write: (l) => lines.push(l) }).child({ request_id: "r1" });
  logger.debug("hidden");
  logger.info("shown", { run_id: "run-1" });
  logger.error("failed", { error: new Error("boom") });
  const entries = lines.map((l) => JSON.parse(l));
  expect(entries.map((e) => e.msg)).toEqual(["shown", "failed"]);
  expect(entries[0]).toMatchObject({ level: "info", request_id: "r1", run_id: "run-1" });
  expect(entries[1].error).toMatchObject({ name: "Error", message: "boom" });
  expect(typeof entries[0].time).toBe("string");
});
