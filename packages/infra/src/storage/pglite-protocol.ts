/** Messages between the server thread and the PGlite worker thread. */
export type WorkerRequest =
  | { id: number; op: "open"; dataDir: string }
  | { id: number; op: "exec"; bytes: Uint8Array }
  | { id: number; op: "close" }
  /** Ends the thread as a crash would (tests of the restart). */
  | { id: number; op: "exit" };

export type WorkerReply = { id: number; bytes?: Uint8Array; error?: string };
