/// <reference lib="webworker" />
import { extractTypeSchemas, type TypedGraph } from "./extract.ts";

// Runs the TypeScript compiler on its own thread: seconds of CPU that must not stall requests.
self.onmessage = (event: MessageEvent<TypedGraph[]>) => {
  try {
    self.postMessage({ ok: true, result: extractTypeSchemas(event.data) });
  } catch (error) {
    self.postMessage({ ok: false, error: (error as Error).message });
  }
};
