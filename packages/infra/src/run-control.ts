import type { CancelAction } from "./storage/runs.ts";

/** What a created run announces: pending ones wake workers, and thread streams pick up both. */
export interface CreatedRunSignal {
  run_id: string;
  thread_id: string;
  /** `pending` (queued for any worker) or `running` (handed to this process's worker at once). */
  status: string;
}

/**
 * Signals between the API and workers: a run was created (wake a worker now, tell thread streams)
 * and a run should be cancelled (abort it where it runs). This in-process implementation serves embedded mode; the
 * database carries cancel flags too (worker heartbeats read them), so no request is lost.
 */
export interface RunControl {
  created(run: CreatedRunSignal): void;
  onCreated(listener: (run: CreatedRunSignal) => void): () => void;
  cancel(runId: string, action: CancelAction): void;
  onCancel(listener: (runId: string, action: CancelAction) => void): () => void;
  /** A thread's state was changed outside a run (`POST /threads/{id}/state`): thread streams say so. */
  stateUpdated(threadId: string): void;
  onStateUpdated(listener: (threadId: string) => void): () => void;
  listenerCount(): number;
}

export function createLocalRunControl(): RunControl {
  const createdListeners = new Set<(run: CreatedRunSignal) => void>();
  const cancelListeners = new Set<(runId: string, action: CancelAction) => void>();
  const stateListeners = new Set<(threadId: string) => void>();
  return {
    created: (run) => {
      for (const l of createdListeners) l(run);
    },
    onCreated: (listener) => {
      createdListeners.add(listener);
      return () => createdListeners.delete(listener);
    },
    cancel: (runId, action) => {
      for (const l of cancelListeners) l(runId, action);
    },
    onCancel: (listener) => {
      cancelListeners.add(listener);
      return () => cancelListeners.delete(listener);
    },
    stateUpdated: (threadId) => {
      for (const l of stateListeners) l(threadId);
    },
    onStateUpdated: (listener) => {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    listenerCount: () => createdListeners.size + cancelListeners.size + stateListeners.size,
  };
}

/** A signal as it travels between processes, with the sender's id so it can ignore its own. */
export type RunControlMessage =
  | { from: string; kind: "created"; run: CreatedRunSignal }
  | { from: string; kind: "cancel"; runId: string; action: CancelAction }
  | { from: string; kind: "state"; threadId: string };

/**
 * Run control across processes over some channel: each signal reaches this process's listeners at
 * once and is handed to `publish` for the others; `receive` takes a message from the channel and
 * delivers it here, unless this process sent it.
 */
export function createRelayedRunControl(publish: (message: RunControlMessage) => void): {
  control: RunControl;
  receive: (raw: string) => void;
} {
  const local = createLocalRunControl();
  const self = crypto.randomUUID();
  const control: RunControl = {
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
  };
  const receive = (raw: string) => {
    const message = JSON.parse(raw) as RunControlMessage;
    if (message.from === self) return;
    if (message.kind === "created") local.created(message.run);
    else if (message.kind === "cancel") local.cancel(message.runId, message.action);
    else local.stateUpdated(message.threadId);
  };
  return { control, receive };
}
