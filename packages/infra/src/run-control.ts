import type { CancelAction } from "./storage/runs.ts";

/**
 * Signals between the API and workers: a run was queued (wake a worker now) and a run should be
 * cancelled (abort it where it runs). This in-process implementation serves embedded mode; the
 * database carries cancel flags too (worker heartbeats read them), so no request is lost.
 */
export interface RunControl {
  queued(): void;
  onQueued(listener: () => void): () => void;
  cancel(runId: string, action: CancelAction): void;
  onCancel(listener: (runId: string, action: CancelAction) => void): () => void;
  listenerCount(): number;
}

export function createLocalRunControl(): RunControl {
  const queuedListeners = new Set<() => void>();
  const cancelListeners = new Set<(runId: string, action: CancelAction) => void>();
  return {
    queued: () => {
      for (const l of queuedListeners) l();
    },
    onQueued: (listener) => {
      queuedListeners.add(listener);
      return () => queuedListeners.delete(listener);
    },
    cancel: (runId, action) => {
      for (const l of cancelListeners) l(runId, action);
    },
    onCancel: (listener) => {
      cancelListeners.add(listener);
      return () => cancelListeners.delete(listener);
    },
    listenerCount: () => queuedListeners.size + cancelListeners.size,
  };
}
