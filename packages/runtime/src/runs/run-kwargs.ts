/** API stream modes. `messages-tuple` streams [chunk, metadata]; `messages` is the legacy partial/complete form. */
export const STREAM_MODES = [
  "values",
  "updates",
  "messages",
  "messages-tuple",
  "custom",
  "debug",
  "tasks",
  "checkpoints",
  "events",
  "tools",
  "lifecycle",
] as const;
export type StreamMode = (typeof STREAM_MODES)[number];

/** What a run was asked to do, stored with the run (runs.kwargs). */
export interface RunKwargs {
  input?: unknown;
  command?: { resume?: unknown; update?: unknown; goto?: unknown } | null;
  config?: { configurable?: Record<string, unknown>; tags?: string[]; recursion_limit?: number; [k: string]: unknown };
  context?: Record<string, unknown>;
  stream_mode: StreamMode[];
  stream_subgraphs?: boolean;
  stream_resumable?: boolean;
  interrupt_before?: "*" | string[];
  interrupt_after?: "*" | string[];
  checkpoint_id?: string;
  checkpoint?: { checkpoint_id?: string; checkpoint_ns?: string; checkpoint_map?: Record<string, unknown> | null };
  durability?: "sync" | "async" | "exit";
  /** Stateless run: the thread is temporary. */
  temporary?: boolean;
  on_completion?: "delete" | "keep";
  /** URL the run is POSTed to when it ends (relative: this server). */
  webhook?: string;
}
