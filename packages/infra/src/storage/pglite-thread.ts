import { Duplex } from "node:stream";
import { Worker } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./pglite-protocol.ts";

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** PGlite running on a worker thread, reached through wire-protocol bytes. */
export interface PGliteThread {
  /** A socket-like stream for `pg` (the `stream` option): one session on the embedded database. */
  socket(): Duplex;
  close(): Promise<void>;
}

/** Starts the worker thread and opens the database in it (`memory` for an in-memory one). */
export async function openPGliteThread(dataDir: string): Promise<PGliteThread> {
  // Source runs (Bun) load the .ts worker; the built package ships it as .js.
  const file = import.meta.url.endsWith(".ts") ? "./pglite-worker.ts" : "./pglite-worker.js";
  const worker = new Worker(new URL(file, import.meta.url));
  const waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;

  worker.on("message", (message: WorkerReply) => {
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (!entry) return;
    if (message.error !== undefined) entry.reject(new Error(message.error));
    else entry.resolve(message);
  });
  const fail = (error: Error) => {
    failure = new Error(`embedded database thread failed: ${error.message}`);
    for (const entry of waiting.values()) entry.reject(failure);
    waiting.clear();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));

  const call = (request: Request, transfer: ArrayBuffer[] = []) =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });

  try {
    await call({ op: "open", dataDir });
  } catch (error) {
    worker.terminate();
    throw error;
  }

  let sessions = 0;
  const exec = async (bytes: Uint8Array) => {
    const copy = bytes.slice();
    return (await call({ op: "exec", bytes: copy }, [copy.buffer])).bytes ?? new Uint8Array();
  };
  return {
    socket: () => new PGliteSocket(exec, sessions++ > 0),
    async close() {
      try {
        await call({ op: "close" });
      } finally {
        await worker.terminate();
      }
    },
  };
}

const code = (c: string) => c.charCodeAt(0);
/** Messages after which the backend answers: Sync, Flush, simple Query. */
const ANSWERED = new Set([code("S"), code("H"), code("Q")]);
const TERMINATE = code("X");

/** AuthenticationOk then ReadyForQuery (idle): the embedded backend needs no start-up exchange. */
const HANDSHAKE = Buffer.from([...[code("R"), 0, 0, 0, 8, 0, 0, 0, 0], ...[code("Z"), 0, 0, 0, 5, code("I")]]);
/** Simple query `ROLLBACK`: a new session must not inherit a transaction a dropped one left open. */
const RESET = Buffer.concat([Buffer.from([code("Q"), 0, 0, 0, 13]), Buffer.from("ROLLBACK\0")]);

/**
 * The socket `pg` writes to and reads from. Front-end messages are collected until one the backend
 * answers (Sync, Flush, Query), then sent to the database thread in one piece; its reply bytes are
 * what `pg` reads. The start-up message is answered here, and Terminate ends the stream without
 * reaching the shared backend.
 */
class PGliteSocket extends Duplex {
  #exec: (bytes: Uint8Array) => Promise<Uint8Array>;
  #reset: boolean;
  #started = false;
  #held: Buffer = Buffer.alloc(0);

  constructor(exec: (bytes: Uint8Array) => Promise<Uint8Array>, reset: boolean) {
    super();
    this.#exec = exec;
    this.#reset = reset;
  }

  connect(): this {
    process.nextTick(() => this.emit("connect"));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#take(chunk).then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.push(null);
    done();
  }

  async #take(chunk: Buffer): Promise<void> {
    if (!this.#started) {
      // The start-up message (length, protocol version, parameters).
      this.#started = true;
      if (this.#reset) await this.#exec(RESET);
      this.push(HANDSHAKE);
      return;
    }
    this.#held = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    // Walk the complete messages; send them all once the last one is answered by the backend.
    let offset = 0;
    let last = -1;
    while (offset + 5 <= this.#held.length) {
      const length = this.#held.readInt32BE(offset + 1);
      if (offset + 1 + length > this.#held.length) break;
      last = this.#held[offset] as number;
      offset += 1 + length;
    }
    if (last === TERMINATE) {
      this.#held = Buffer.alloc(0);
      this.push(null);
      return;
    }
    if (offset !== this.#held.length || !ANSWERED.has(last)) return;
    const batch = this.#held;
    this.#held = Buffer.alloc(0);
    const answer = await this.#exec(batch);
    if (answer.length > 0) this.push(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  }
}
