type Emit = (event: string, data: unknown) => void;
type Ending = "completed" | "failed" | "interrupted";

/**
 * The `lifecycle` stream mode: `lifecycle|<namespace>` events when a subgraph starts and when it
 * ends (`completed`, `failed`, `interrupted`), derived from the namespaced chunks of the run and
 * the `tasks` results of the parent graph (a subgraph's namespace is `<node>:<task id>`).
 */
export function createLifecycleStream(emit: Emit) {
  const open = new Map<string, string[]>();
  const key = (ns: string[]) => ns.join("|");
  const send = (ns: string[], event: "started" | Ending, error?: unknown) =>
    emit(`lifecycle|${key(ns)}`, { event, namespace: ns, ...(error !== undefined ? { error } : {}) });
  const end = (k: string, how: Ending, error?: unknown) => {
    const ns = open.get(k);
    if (!ns) return;
    // A subgraph ends after the subgraphs inside it.
    for (const [inner] of [...open].filter(([other]) => other.startsWith(`${k}|`)).reverse()) end(inner, how);
    open.delete(k);
    send(ns, how, error);
  };
  return {
    /** Every chunk the graph streams, with its namespace. */
    observe(ns: string[], mode: string, data: unknown) {
      for (let depth = 1; depth <= ns.length; depth++) {
        const prefix = ns.slice(0, depth);
        if (!open.has(key(prefix))) {
          open.set(key(prefix), prefix);
          send(prefix, "started");
        }
      }
      const task = data as { id?: string; name?: string; error?: unknown; interrupts?: unknown[]; result?: unknown };
      if (mode !== "tasks" || !task?.id || !("result" in task || "error" in task)) return;
      const child = key([...ns, `${task.name}:${task.id}`]);
      if (task.error) end(child, "failed", { error: "Error", message: String(task.error) });
      else if ((task.interrupts?.length ?? 0) > 0) end(child, "interrupted");
      else end(child, "completed");
    },
    /** The run ended: subgraphs still open end the way the run did. */
    finish(how: Ending) {
      for (const k of [...open.keys()].reverse()) end(k, how);
    },
  };
}
