import type pg from "pg";
import { type CreatedRunSignal, createLocalRunControl, type RunControl } from "../run-control.ts";
import type { CancelAction } from "../storage/runs.ts";
import type { PgListener } from "./listener.ts";

export const CONTROL_CHANNEL = "fractal_control";

type Message =
  | { from: string; kind: "created"; run: CreatedRunSignal }
  | { from: string; kind: "cancel"; runId: string; action: CancelAction }
  | { from: string; kind: "state"; threadId: string };

/**
 * Run signals across processes through PostgreSQL NOTIFY, for deployments without Redis: delivered
 * to this process's listeners at once and to the others' through their LISTEN connection.
 */
export function createPgRunControl(options: {
  pool: pg.Pool;
  listener: PgListener;
  onError?: (error: unknown) => void;
}): RunControl & { close(): void } {
  const local = createLocalRunControl();
  const self = crypto.randomUUID();
  const publish = (message: Message) => {
    options.pool
      .query("select pg_notify($1, $2)", [CONTROL_CHANNEL, JSON.stringify(message)])
      .catch((error: unknown) => options.onError?.(error));
  };
  const off = options.listener.on(CONTROL_CHANNEL, (raw) => {
    const message = JSON.parse(raw) as Message;
    if (message.from === self) return;
    if (message.kind === "created") local.created(message.run);
    else if (message.kind === "cancel") local.cancel(message.runId, message.action);
    else local.stateUpdated(message.threadId);
  });
  return {
    ...local,
    created(run) {
      local.created(run);
      publish({ from: self, kind: "created", run });
    },
    cancel(runId, action) {
      local.cancel(runId, action);
      publish({ from: self, kind: "cancel", runId, action });
    },
    stateUpdated(threadId) {
      local.stateUpdated(threadId);
      publish({ from: self, kind: "state", threadId });
    },
    close: off,
  };
}
