import type { RunKwargs, StreamMode } from "@fractal/runtime/runs/run-kwargs";
import type { CreateRunRequest } from "@fractal/runtime/runs/run-service";
import type { RunCreateBody } from "./schemas/runs.ts";

/**
 * Turns a validated run body into what the run service stores. `headers` are the request headers
 * selected for `config.configurable` (see configurableHeaders).
 */
export function toRunRequest(
  body: RunCreateBody,
  defaults: { streamMode: StreamMode[]; headers?: Record<string, string> },
): CreateRunRequest {
  // No modes (absent or `[]`) streams values, as on the reference server.
  const asked = body.stream_mode === undefined ? [] : [body.stream_mode].flat();
  const streamMode = asked.length > 0 ? asked : defaults.streamMode;
  const headers = defaults.headers ?? {};
  const config =
    Object.keys(headers).length > 0
      ? { ...body.config, configurable: { ...body.config?.configurable, ...headers } }
      : body.config;
  const kwargs: RunKwargs = {
    input: body.input,
    command: body.command ?? undefined,
    config,
    context: body.context,
    stream_mode: streamMode as StreamMode[],
    stream_subgraphs: body.stream_subgraphs,
    stream_resumable: body.stream_resumable,
    interrupt_before: body.interrupt_before,
    interrupt_after: body.interrupt_after,
    checkpoint_id: body.checkpoint_id,
    checkpoint: body.checkpoint,
    durability: body.durability,
    on_completion: body.on_completion,
    webhook: body.webhook,
  };
  return {
    assistant_id: body.assistant_id,
    kwargs,
    metadata: body.metadata,
    multitask_strategy: body.multitask_strategy,
    if_not_exists: body.if_not_exists,
    after_seconds: body.after_seconds,
  };
}

function globMatcher(patterns: string[]): (name: string) => boolean {
  const regexes = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .toLowerCase()
          .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")}$`,
      ),
  );
  return (name) => regexes.some((re) => re.test(name));
}

/**
 * The request headers langgraph.json `http.configurable_headers` lists, by lower-case name, for a
 * run's `config.configurable` (they win over the body's values; `langgraph_*` names never pass).
 */
export function configurableHeaders(
  headers: Headers,
  rule: { include: string[]; exclude: string[] },
): Record<string, string> {
  if (rule.include.length === 0) return {};
  const included = globMatcher(rule.include);
  const excluded = globMatcher(rule.exclude);
  const picked: Record<string, string> = {};
  headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (included(key) && !excluded(key) && !key.startsWith("langgraph_")) picked[key] = value;
  });
  return picked;
}
