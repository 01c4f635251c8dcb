import { Duplex } from "node:stream";
import { Worker } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./pglite-protocol.ts";
import { EMBEDDED_DATABASE_STUCK } from "./unavailable.ts";

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** What happened to the embedded database thread, for logs and `/ok?check_db=1`. */
export type PGliteEvent =
  | { kind: "stuck"; waitedMs: number }
  | { kind: "restarted"; ms: number }
  | { kind: "restart_failed"; error: Error }
  | { kind: "recycled"; statements: number; ms: number }
  | { kind: "crashed"; error: Error };

export interface PGliteThreadOptions {
  /**
   * The watchdog's bound. PGlite ignores `statement_timeout`, so when the thread has work and
   * answers nothing for this long it is treated as stuck: the waiting statements fail (503), the
   * thread is terminated and the database reopened from its files.
   */
  watchdogMs?: number;
  /**
   * PGlite 0.5 keeps about 450 bytes of JavaScript heap per statement it executes, which no garbage
   * collection frees. After this many statements (50,000, about 22 MB) the thread is replaced by a
   * fresh one on the same files at the next idle moment: no statement waiting or in flight, no
   * session inside a transaction, nothing executed for `recycleIdleMs` (150 ms: the background
   * pollers leave gaps of about 250 ms between their statements; a server under load has none).
   * A file-backed database only; an in-memory one has nothing to reopen from.
   */
  recycleAfterStatements?: number;
  recycleIdleMs?: number;
  onEvent?: (event: PGliteEvent) => void;
}

/** PGlite running on a worker thread, reached through wire-protocol bytes. */
export interface PGliteThread {
  /** A socket-like stream for `pg` (the `stream` option): one session on the embedded database. */
  socket(): Duplex;
  /**
   * `ok`; `restarting` while a stuck thread is replaced (and until a failed reopen succeeds);
   * `failed` for an in-memory database that was stuck (it has no files to reopen from).
   */
  state(): "ok" | "restarting" | "failed";
  /** How many times the watchdog replaced the thread. */
  restarts(): number;
  /** Closes the database; a thread that does not answer within `boundMs` (the watchdog's) is terminated. */
  close(boundMs?: number): Promise<void>;
  /** Ends the database thread as a crash would (for tests of the restart). */
  crashForTests(): void;
}

const OPEN_BOUND_MS = 120_000;

export class EmbeddedDatabaseStuckError extends Error {
  override name = "EmbeddedDatabaseStuckError";
  readonly code = EMBEDDED_DATABASE_STUCK;
}

/** One worker thread and the calls waiting on it. */
class Generation {
  readonly worker: Worker;
  readonly sockets = new Set<PGliteSocket>();
  #waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;
  /** When the thread last answered, or when it was last given work while idle. */
  lastProgress = performance.now();
  /** Statement batches executed on this thread. */
  executed = 0;
  /** Called when the thread ends without having been failed first (a crash, not a close or a restart). */
  onLost?: () => void;

  constructor() {
    // Source runs (Bun) load the .ts worker; the built package ships it as .js.
    const file = import.meta.url.endsWith(".ts") ? "./pglite-worker.ts" : "./pglite-worker.js";
    this.worker = new Worker(new URL(file, import.meta.url));
    this.worker.on("message", (message: WorkerReply) => {
      this.lastProgress = performance.now();
      const entry = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (!entry) return;
      if (message.error !== undefined) entry.reject(new Error(message.error));
      else entry.resolve(message);
    });
    const ended = (why: string) => {
      const lost = this.#failure === undefined;
      this.fail(new EmbeddedDatabaseStuckError(`the embedded database thread ${why}; it is being restarted`));
      if (lost) this.onLost?.();
    };
    this.worker.on("error", (error: Error) => ended(`failed: ${error.message}`));
    this.worker.on("exit", (code) => ended(`exited with code ${code}`));
  }

  get busy(): boolean {
    return this.#waiting.size > 0;
  }

  call(request: Request, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      if (this.#waiting.size === 0) this.lastProgress = performance.now();
      const id = this.#nextId++;
      if (request.op === "exec") this.executed++;
      this.#waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Rejects every waiting call and every later one, and ends the sessions opened on this thread. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const entry of this.#waiting.values()) entry.reject(this.#failure);
    this.#waiting.clear();
    for (const socket of this.sockets) socket.destroy(this.#failure);
    this.sockets.clear();
  }
}

/** Starts the worker thread and opens the database in it (`memory` for an in-memory one). */
export async function openPGliteThread(dataDir: string, options: PGliteThreadOptions = {}): Promise<PGliteThread> {
  const watchdogMs = options.watchdogMs ?? 30_000;
  const emit = options.onEvent ?? (() => {});
  // An in-memory database has no files to reopen from: once stuck, it stays failed.
  const reopenable = dataDir !== "memory";

  const start = async (): Promise<Generation> => {
    const generation = new Generation();
    const timer = setTimeout(
      () => generation.fail(new Error(`embedded database did not open within ${OPEN_BOUND_MS} ms`)),
      OPEN_BOUND_MS,
    );
    try {
      await generation.call({ op: "open", dataDir });
      return generation;
    } catch (error) {
      await generation.worker.terminate();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  /** A thread that dies on its own is treated as stuck: its statements fail (503) and it is reopened. */
  const adopt = (generation: Generation): Generation => {
    generation.onLost = () => {
      if (closed || generation !== current) return;
      emit({ kind: "crashed", error: new Error("the embedded database thread ended unexpectedly") });
      broken = new EmbeddedDatabaseStuckError(
        reopenable
          ? "the embedded database is restarting"
          : "the in-memory embedded database's thread ended; its data is gone",
      );
      if (reopenable) reopen().catch(() => {});
    };
    return generation;
  };

  let current: Generation = adopt(await start());
  let reopening: Promise<Generation> | undefined;
  /** Set when the watchdog stopped a stuck thread; cleared by the reopen that replaces it. */
  let broken: Error | undefined;
  let restarts = 0;
  /** Statement batches written by a session but not yet handed to a thread (waiting in ready()). */
  let handingOver = 0;
  const recycleAfter = options.recycleAfterStatements ?? 50_000;
  const recycleIdleMs = options.recycleIdleMs ?? 150;

  const recycleDue = (generation: Generation) =>
    reopenable &&
    !broken &&
    generation.executed >= recycleAfter &&
    handingOver === 0 &&
    performance.now() - generation.lastProgress >= recycleIdleMs &&
    [...generation.sockets].every((socket) => socket.idle);
  let closed = false;

  /**
   * Puts a fresh thread on the same files in place of the current one, once for concurrent callers;
   * statements sent meanwhile wait for it. `retire` first ends a thread that still runs (one PGlite
   * per data dir). A failed open leaves the database broken, to be retried by the next request.
   */
  const replace = (done: (ms: number) => void, retire?: () => Promise<void>): Promise<Generation> => {
    reopening ??= (async () => {
      const began = performance.now();
      try {
        await retire?.();
        current = adopt(await start());
        broken = undefined;
        done(Math.round(performance.now() - began));
        return current;
      } catch (error) {
        broken ??= new EmbeddedDatabaseStuckError("the embedded database is restarting");
        emit({ kind: "restart_failed", error: error as Error });
        throw error;
      } finally {
        reopening = undefined;
      }
    })();
    return reopening;
  };

  /** After the watchdog stopped a stuck thread, or a thread ended on its own. */
  const reopen = () =>
    replace((ms) => {
      restarts++;
      emit({ kind: "restarted", ms });
    });

  /**
   * Replaces an idle thread (see recycleAfterStatements): its database is closed, its sessions end
   * (the pool opens new ones).
   */
  const recycle = (generation: Generation) =>
    replace(
      (ms) => emit({ kind: "recycled", statements: generation.executed, ms }),
      async () => {
        await generation.call({ op: "close" }).catch(() => {});
        generation.fail(new Error("the embedded database thread was replaced (recycled)"));
        await generation.worker.terminate();
      },
    ).catch(() => {});

  const watchdog = setInterval(
    () => {
      const generation = current;
      if (closed || reopening || !generation.busy) return;
      const waitedMs = performance.now() - generation.lastProgress;
      if (waitedMs < watchdogMs) return;
      emit({ kind: "stuck", waitedMs: Math.round(waitedMs) });
      generation.fail(
        new EmbeddedDatabaseStuckError(
          `the embedded database did not answer within ${watchdogMs} ms (FRACTAL_DB_STATEMENT_TIMEOUT_MS); it is being restarted`,
        ),
      );
      void generation.worker.terminate();
      broken = new EmbeddedDatabaseStuckError(
        reopenable
          ? "the embedded database is restarting"
          : "the in-memory embedded database was stuck and has been stopped; its data is gone",
      );
      // A failed reopen is reported (restart_failed) and retried by the next request.
      if (reopenable) reopen().catch(() => {});
    },
    Math.max(10, Math.min(1_000, watchdogMs / 4)),
  );
  watchdog.unref?.();
  // Sampled often, so the gaps between background pollers' statements (a second apart) are seen.
  const recycler = setInterval(() => {
    if (!closed && !reopening && !current.busy && recycleDue(current)) recycle(current);
  }, 100);
  recycler.unref?.();

  /** The thread to use now: waits for a reopen in progress, and retries one that failed. */
  const ready = async (): Promise<Generation> => {
    if (reopening) return reopening;
    if (broken) {
      const failure = broken;
      if (!reopenable) throw failure;
      return reopen().catch(() => Promise.reject(failure));
    }
    return current;
  };

  let sessions = 0;
  return {
    socket: () => {
      let generation: Generation | undefined;
      const socket: PGliteSocket = new PGliteSocket(async (bytes) => {
        handingOver++;
        let now: Generation;
        try {
          now = await ready();
        } finally {
          handingOver--;
        }
        // A session belongs to one thread: after a restart its server-side state is gone.
        if (generation && generation !== now) throw new EmbeddedDatabaseStuckError("the embedded database restarted");
        if (!generation) {
          generation = now;
          now.sockets.add(socket);
        }
        // A copy with its own ArrayBuffer: a Buffer (and Buffer#slice) may be a view into Node's shared
        // pool, and transferring that would detach every other Buffer allocated from it.
        const copy = new Uint8Array(bytes);
        return (await now.call({ op: "exec", bytes: copy }, [copy.buffer])).bytes ?? new Uint8Array();
      }, sessions++ > 0);
      socket.once("close", () => generation?.sockets.delete(socket));
      return socket;
    },
    state: () => (reopening || broken ? (reopenable ? "restarting" : "failed") : "ok"),
    crashForTests: () => current.worker.postMessage({ op: "exit", id: -1 }),
    restarts: () => restarts,
    async close(boundMs = watchdogMs) {
      closed = true;
      clearInterval(watchdog);
      clearInterval(recycler);
      const generation = await (reopening ?? Promise.resolve(current)).catch(() => current);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          generation.call({ op: "close" }),
          new Promise((resolve) => {
            timer = setTimeout(resolve, boundMs);
          }),
        ]);
      } catch {
        // A thread that already failed has nothing left to close.
      } finally {
        clearTimeout(timer);
        generation.fail(new Error("the embedded database is closed"));
        await generation.worker.terminate();
      }
    },
  };
}

const code = (c: string) => c.charCodeAt(0);
/** Messages after which the backend answers: Sync, Flush, simple Query. */
const ANSWERED = new Set([code("S"), code("H"), code("Q")]);
const TERMINATE = code("X");
/** ReadyForQuery, and its status byte for a session outside any transaction. */
const READY_FOR_QUERY = code("Z");
const IDLE = code("I");

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
  /** Batches sent and not yet answered. */
  #executing = 0;
  /** The backend's transaction status after the last answer: I (idle), T (in a transaction), E (failed one). */
  #status = IDLE;

  constructor(exec: (bytes: Uint8Array) => Promise<Uint8Array>, reset: boolean) {
    super();
    this.#exec = exec;
    this.#reset = reset;
  }

  /** Nothing sent or half-written, and not inside a transaction: the session may be ended. */
  get idle(): boolean {
    return this.#executing === 0 && this.#held.length === 0 && this.#status === IDLE;
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
    this.#executing++;
    let answer: Uint8Array;
    try {
      answer = await this.#exec(batch);
    } finally {
      this.#executing--;
    }
    // An answer ends with ReadyForQuery ('Z', length 5, status) once the backend is ready again.
    if (answer.length >= 6 && answer[answer.length - 6] === READY_FOR_QUERY)
      this.#status = answer[answer.length - 1] as number;
    if (answer.length > 0) this.push(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  }
}
