/**
 * Worker thread that owns the embedded database (PGlite). The server thread talks to it in raw
 * PostgreSQL wire-protocol bytes, so the database's work runs on its own core instead of taking
 * turns with request handling. Requests are answered strictly in order.
 */

import { parentPort } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { WorkerReply, WorkerRequest } from "./pglite-protocol.ts";

const port = parentPort;
if (!port) throw new Error("pglite-worker.ts runs as a worker thread");

/**
 * PostgreSQL settings of the embedded database. PGlite's WebAssembly memory only grows, so the
 * buffer cache (PostgreSQL's default is 128 MB) sets how large the process becomes under load;
 * pages it evicts are still in the operating system's file cache.
 */
const EMBEDDED_SETTINGS = ["shared_buffers=32MB"];

let db: PGlite | undefined;
let queue: Promise<unknown> = Promise.resolve();

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function handle(request: WorkerRequest): Promise<void> {
  try {
    if (request.op === "open") {
      db = await PGlite.create(request.dataDir === "memory" ? "memory://" : request.dataDir, {
        extensions: { vector },
        postgresqlconf: EMBEDDED_SETTINGS.join("\n"),
      });
      // Creating a data directory runs initdb in a WebAssembly instance of its own (~500 MB) that
      // nothing references afterwards: collect it now instead of whenever the heap next fills. On
      // Bun; Node (the published package) has no such call without --expose-gc.
      (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
      reply({ id: request.id });
    } else if (request.op === "exec") {
      if (!db) throw new Error("database is not open");
      // The result may be a view into WebAssembly memory: copy it before handing it over.
      const out = (await db.execProtocolRaw(request.bytes)).slice();
      reply({ id: request.id, bytes: out }, [out.buffer]);
    } else if (request.op === "exit") {
      process.exit(1);
    } else {
      await db?.close();
      db = undefined;
      reply({ id: request.id });
    }
  } catch (error) {
    reply({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
}

port.on("message", (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
});
