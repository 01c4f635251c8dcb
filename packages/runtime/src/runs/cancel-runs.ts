import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog } from "@fractal/infra/run-events";
import type { CancelAction } from "@fractal/infra/storage/runs";
import type { Storage } from "@fractal/infra/storage/storage";

/**
 * Cancels runs: pending ones end in the database at once (their streams get `end`); running ones
 * are flagged and their worker is told to abort. Returns how many were cancelled.
 */
export async function cancelRuns(
  deps: { storage: Storage; control: RunControl; events: RunEventLog },
  runIds: string[],
  action: CancelAction,
  threadId?: string,
): Promise<number> {
  const touched = await deps.storage.runs.cancel(runIds, action, threadId);
  for (const t of touched) {
    if (t.was === "running") deps.control.cancel(t.run_id, action);
    else if (!(await deps.events.isClosed(t.run_id))) {
      deps.events.append(t.run_id, "end", null);
      deps.events.close(t.run_id);
    }
  }
  return touched.length;
}
